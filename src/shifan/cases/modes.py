"""The programme's nine service-oriented manufacturing modes, as the batch's spec names them."""

from typing import Any

from shifan.applications.answers import chosen_modes, options_for
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
    """Return the first of the programme's modes the unit declared in its application, or "".

    Read by `applications.answers.chosen_modes`.
    """
    keys = {value for value, _label in choices}
    return next((value for value in chosen_modes(answers) if value in keys), "")
