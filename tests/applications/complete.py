"""Build a complete, consistent set of answers for a category of the Guangdong 2024 spec."""

from typing import Any

from shifan.applications import answers as answer_rules
from shifan.programs.spec import Column, Field, Form

YEARLY = {
    "total_assets": "20000",
    "debt_ratio": "40",  # 20000 × (1 − 40%) = 12000, the net assets
    "net_assets": "12000",
    "operating_revenue": "10000",
    "service_revenue": "3000",
    "net_profit": "800",
    "energy_intensity": "0.12",
    "rd_intensity": "4.5",
    "main_business_revenue": "9000",
}


def simple_value(column: Column | Field, index: int = 0) -> Any:
    kind = column.type
    if kind in {"integer"}:
        low = int(column.min) if column.min is not None else 0
        return str(max(low, 2020 if "year" in column.key else 10))
    if kind in {"money", "decimal"}:
        return YEARLY.get(column.key, "100")
    if kind == "percent":
        return "20"
    if kind == "date":
        return "2023-01-15"
    if kind == "choice":
        options = (
            answer_rules.options_for(column)
            if isinstance(column, Field)
            else [(o.key, o.label) for o in column.options]
        )
        plain = [key for key, _label in options if not _is_other(column, key)]
        key = plain[index % len(plain)]
        return {"selected": key, "other": {}} if isinstance(column, Field) else key
    if kind == "yesno":
        return True
    if kind == "credit_code":
        return "91440101MA5CJQ4N59"
    if kind == "phone":
        return "020-83133359"
    if kind == "email":
        return "contact@example.com"
    if kind == "url":
        return "https://platform.example.com"
    text = f"{column.label}示例内容"
    return text[: column.max_length] if column.max_length else text


def _is_other(column: Any, key: str) -> bool:
    return any(option.key == key and option.other for option in getattr(column, "options", ()))


def complete_answers(form: Form) -> dict[str, Any]:
    answers: dict[str, Any] = {}
    for field in form.fields():
        kind = field.type
        if kind == "attachments":
            continue
        if kind == "longtext":
            answers[field.key] = f"{field.label}：本单位围绕服务型制造开展了系统工作。" * 20
        elif kind == "multichoice":
            options = [key for key, _label in answer_rules.options_for(field) if not _is_other(field, key)]
            answers[field.key] = {"selected": options[:2], "other": {}}
        elif kind == "confirm":
            answers[field.key] = True
        elif kind == "table":
            count = max(field.min_rows, 1)
            answers[field.key] = [
                {column.key: simple_value(column, row) for column in field.columns if not column.computed}
                for row in range(count)
            ]
            for column in field.columns:
                if column.sum_max is not None:
                    for row in answers[field.key]:
                        row[column.key] = str(column.sum_max / count)
        elif kind == "yearly":
            answers[field.key] = {
                row.key: {str(year): simple_value(row) for year in field.years}
                for row in field.rows
                if not row.computed
            }
        elif kind == "service_revenue_breakdown":
            continue  # filled after the service types below
        else:
            answers[field.key] = simple_value(field)
    for field in form.fields():
        if field.type == "service_revenue_breakdown":
            chosen = answer_rules.selected(answers.get(field.source_field or "")) or []
            share = str(int(YEARLY["service_revenue"]) / max(len(chosen), 1))
            answers[field.key] = {key: {column.key: share for column in field.columns} for key in chosen}
    return answers
