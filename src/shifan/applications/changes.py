"""The change between two versions of an application's answers, at the level a reviewer reads it.

A reviewer comparing a resubmission wants the one figure or the few words that changed, not the
whole field painted. So:

- a text (short or long) is compared by characters, since Chinese has no word spaces, and the
  result is cleaned up semantically (diff-match-patch's `diff_cleanupSemantic`) so that a rewritten
  clause reads as one deletion and one insertion rather than a scatter of single characters.
  Unchanged runs longer than twice `CONTEXT` characters are cut to their ends, the middle replaced
  by a marker that counts the characters left out;
- a yearly or table field is compared cell by cell: a changed cell shows old → new, a row with no
  changed cell is left out and counted; table rows are compared by position (the order the applicant
  gave them), a row added or removed at the end shows as cells from or to empty;
- any other value (a number, a choice, a date) shows old → new as displayed.

Pure Python over the answer rules: no database, so the submission pages, the province's pages and
the revision history use the same function.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from typing import Any, Final, Literal

from shifan.applications import answers as answer_rules
from shifan.programs.spec import Column, Field, Form

# Characters of unchanged text kept on each side of a change.
CONTEXT: Final = 30
TEXT_TYPES: Final = frozenset({"text", "longtext"})

SpanKind = Literal["same", "insert", "delete", "skip"]


@dataclass(frozen=True)
class Span:
    """A piece of a compared text; for "skip", `count` characters of unchanged text left out."""

    kind: SpanKind
    text: str = ""
    count: int = 0


@dataclass(frozen=True)
class Cell:
    old: str
    new: str

    @property
    def changed(self) -> bool:
        return self.old != self.new


@dataclass(frozen=True)
class GridRow:
    label: str
    cells: list[Cell]


@dataclass
class FieldChange:
    """How one field changed: `kind` says which of spans, grid or old/new the page shows."""

    field: Field
    kind: Literal["text", "grid", "value"]
    old: str = ""
    new: str = ""
    spans: list[Span] = dataclass_field(default_factory=list)
    header: list[str] = dataclass_field(default_factory=list)
    rows: list[GridRow] = dataclass_field(default_factory=list)
    unchanged_rows: int = 0

    @property
    def changed_cells(self) -> int:
        return sum(1 for row in self.rows for cell in row.cells if cell.changed)


def text_spans(old: str, new: str, *, context: int = CONTEXT) -> list[Span]:
    """Return the character-level change from `old` to `new`, long unchanged runs cut to their ends."""
    from diff_match_patch import diff_match_patch  # imported here: only comparison pages need it

    matcher = diff_match_patch()
    matcher.Diff_Timeout = 1.0  # seconds: a pathological pair of long texts degrades, never hangs
    diffs = matcher.diff_main(old, new)
    matcher.diff_cleanupSemantic(diffs)
    spans: list[Span] = []
    last = len(diffs) - 1
    for index, (operation, text) in enumerate(diffs):
        if operation == matcher.DIFF_INSERT:
            spans.append(Span("insert", text))
        elif operation == matcher.DIFF_DELETE:
            spans.append(Span("delete", text))
        else:
            spans.extend(_collapsed(text, context, first=index == 0, last=index == last))
    return spans


def _collapsed(text: str, context: int, *, first: bool, last: bool) -> list[Span]:
    """Return an unchanged run, keeping `context` characters next to each neighbouring change."""
    head = 0 if first else context
    tail = 0 if last else context
    if len(text) <= head + tail + 10:  # cutting fewer than ten characters saves nothing
        return [Span("same", text)]
    spans = [Span("same", text[:head])] if head else []
    spans.append(Span("skip", count=len(text) - head - tail))
    if tail:
        spans.append(Span("same", text[-tail:]))
    return spans


def field_change(field: Field, before: Any, after: Any, *, form: Form | None = None) -> FieldChange | None:
    """Return how `field` changed from `before` to `after`, or None when the values are the same."""
    if field.type == "attachments":
        return None
    blank = answer_rules.empty_value(field)
    before = blank if before is None else before
    after = blank if after is None else after
    if not answer_rules.changed_fields({field.key: before}, {field.key: after}):
        return None
    if field.type in TEXT_TYPES:
        old, new = answer_rules.display_value(field, before), answer_rules.display_value(field, after)
        return FieldChange(field, "text", old=old, new=new, spans=text_spans(old, new))
    if field.type == "yearly":
        return _grid_change(
            field,
            [f"{year}年" for year in field.years],
            [
                (
                    row.label,
                    [
                        Cell(
                            answer_rules.cell_display(row, _cell(before, row.key, str(year))),
                            answer_rules.cell_display(row, _cell(after, row.key, str(year))),
                        )
                        for year in field.years
                    ],
                )
                for row in field.rows
            ],
        )
    if field.type == "table":
        old_rows, new_rows = _rows(before), _rows(after)
        return _grid_change(
            field,
            [column.label for column in field.columns],
            [
                (
                    str(index + 1),
                    _entry_cells(
                        field.columns,
                        old_rows[index] if index < len(old_rows) else {},
                        new_rows[index] if index < len(new_rows) else {},
                    ),
                )
                for index in range(max(len(old_rows), len(new_rows)))
            ],
        )
    if field.type == "service_revenue_breakdown":
        labels = answer_rules.breakdown_labels(field, form)
        old_entries, new_entries = _entries(before), _entries(after)
        options = list(old_entries) + [key for key in new_entries if key not in old_entries]
        return _grid_change(
            field,
            [column.label for column in field.columns],
            [
                (
                    labels.get(option, option),
                    _entry_cells(field.columns, old_entries.get(option, {}), new_entries.get(option, {})),
                )
                for option in options
            ],
        )
    return FieldChange(
        field,
        "value",
        old=answer_rules.display_value(field, before, form=form),
        new=answer_rules.display_value(field, after, form=form),
    )


def answer_changes(form: Form, before: Mapping[str, Any], after: Mapping[str, Any]) -> list[FieldChange]:
    """Return the change of every field that differs between two answer sets, in form order."""
    return [
        change
        for form_field in form.fields()
        if (
            change := field_change(
                form_field, before.get(form_field.key), after.get(form_field.key), form=form
            )
        )
    ]


def _grid_change(field: Field, header: list[str], rows: list[tuple[str, list[Cell]]]) -> FieldChange:
    shown = [GridRow(label, cells) for label, cells in rows if any(cell.changed for cell in cells)]
    return FieldChange(field, "grid", header=header, rows=shown, unchanged_rows=len(rows) - len(shown))


def _entry_cells(columns: tuple[Column, ...], old: Mapping[str, Any], new: Mapping[str, Any]) -> list[Cell]:
    return [
        Cell(
            answer_rules.cell_display(column, old.get(column.key)),
            answer_rules.cell_display(column, new.get(column.key)),
        )
        for column in columns
    ]


def _cell(value: Any, row: str, year: str) -> Any:
    entry = value.get(row) if isinstance(value, dict) else None
    return entry.get(year) if isinstance(entry, dict) else None


def _rows(value: Any) -> list[dict[str, Any]]:
    return [row for row in value if isinstance(row, dict)] if isinstance(value, list) else []


def _entries(value: Any) -> dict[str, dict[str, Any]]:
    if not isinstance(value, dict):
        return {}
    return {key: entry for key, entry in value.items() if isinstance(entry, dict)}
