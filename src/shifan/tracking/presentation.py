"""Page contexts of tracking reports, built on the application form's field templates."""

from dataclasses import replace
from typing import Any

from shifan.applications import answers as answer_rules
from shifan.applications.presentation import Cell, FieldView
from shifan.programs.spec import Column, Field, Form
from shifan.tracking.models import Report


def _cells(field_key: str, prefix: str, columns: tuple[Column, ...], values: dict[str, Any]) -> list[Cell]:
    return [
        Cell(
            name=f"{field_key}__{prefix}__{column.key}",
            value=values.get(column.key, ""),
            column=column,
            computed=bool(column.computed),
        )
        for column in columns
    ]


def field_view(field: Field, answers: dict[str, Any], errors: dict[str, str]) -> FieldView:
    """Return what `applications/_field.html` needs to draw one report field (not attachments)."""
    value = answers.get(field.key, answer_rules.empty_value(field))
    shown = field
    if field.required_if is not None:
        # The report page does not autosave, so nothing would reveal a hidden conditional field:
        # it stays visible and says when it is needed.
        shown = replace(field, required_if=None, help=field.help or "上一项选择“是”时必填。")
    view = FieldView(
        field=shown,
        value=value,
        required=answer_rules.is_required(field, answers),
        errors=[errors[field.key]] if field.key in errors else [],
    )
    if field.type in {"choice", "multichoice"}:
        view.options = answer_rules.options_for(field)
        view.selected = answer_rules.selected(value) or ([] if field.type == "multichoice" else "")
        view.other = (value or {}).get("other", {}) if isinstance(value, dict) else {}
    elif field.type == "table":
        rows = value or []
        view.table_rows = [
            _cells(field.key, str(index), field.columns, row) for index, row in enumerate(rows)
        ]
        view.table_template = _cells(field.key, "__index__", field.columns, {})
    return view


def form_sections(form: Form, answers: dict[str, Any], errors: dict[str, str]) -> list[dict[str, Any]]:
    """Return each section with its field views; attachment fields are listed apart (uploaded at once)."""
    return [
        {
            "section": section,
            "fields": [field_view(f, answers, errors) for f in section.fields if f.type != "attachments"],
            "attachment_fields": [f for f in section.fields if f.type == "attachments"],
        }
        for section in form.sections
    ]


def read_only_sections(form: Form, report: Report) -> list[dict[str, Any]]:
    """Return each section with its fields' readable values (for officers and submitted reports)."""
    answers = report.answers or {}
    files = list(report.attachments.all())
    return [
        {
            "section": section,
            "rows": [
                {
                    "field": f,
                    "value": answer_rules.display_value(f, answers.get(f.key), form=form),
                    "files": [file for file in files if file.field_key == f.key],
                    "long": f.type == "longtext",
                    "table": f.type == "table",
                    "cells": table_rows(f, answers.get(f.key)) if f.type == "table" else [],
                }
                for f in section.fields
                # A conditional question that does not apply (事故情况说明 without an accident) is left out.
                if not (f.required_if and not answer_rules.is_required(f, answers))
            ],
        }
        for section in form.sections
    ]


def table_rows(field: Field, value: Any) -> list[list[str]]:
    return [
        [answer_rules.cell_display(column, row.get(column.key)) for column in field.columns]
        for row in (value or [])
        if isinstance(row, dict)
    ]
