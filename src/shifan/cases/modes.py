"""The programme's nine service-oriented manufacturing modes, as the batch's spec names them."""

from typing import Any

from shifan.applications.answers import options_for
from shifan.programs.models import Batch

# The enterprise form's `modes` field lists the nine modes of the work plan, then 其他.
MODES_FIELD = ("enterprise", "modes")


def mode_choices(batch: Batch) -> list[tuple[str, str]]:
    """Return the batch's modes as (key, label), without the free-text 其他."""
    category, key = MODES_FIELD
    try:
        field = batch.spec.category(category).form.field(key)
    except KeyError:
        return []
    others = {option.key for option in getattr(field, "options", ()) if option.other}
    return [(value, label) for value, label in options_for(field) if value not in others]


def declared_mode(answers: dict[str, Any], choices: list[tuple[str, str]]) -> str:
    """Return the first of the programme's modes the unit declared in its application, or ""."""
    keys = {value for value, _label in choices}
    declared: list[str] = []
    modes = answers.get("modes")
    if isinstance(modes, dict):
        declared += [value for value in modes.get("selected") or [] if isinstance(value, str)]
    main_mode = answers.get("main_mode")
    if isinstance(main_mode, str):
        declared.append(main_mode)
    other_modes = answers.get("other_modes")
    if isinstance(other_modes, dict):
        declared += [value for value in other_modes.get("selected") or [] if isinstance(value, str)]
    return next((value for value in declared if value in keys), "")
