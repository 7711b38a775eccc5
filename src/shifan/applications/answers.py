"""An application's answers: read from the posted page, stored as JSON, checked, completed and shown.

The answers of an application are one JSON object, one entry per field key of its form. Each type
of field has exactly one stored shape:

- text, longtext, phone, email, url, credit_code, date: a str, "" when empty. What was typed is
  kept (trimmed) even when it is not valid, because the page autosaves everything and nothing typed
  is ever lost; `field_errors` reports the problems beside the field. A valid credit code is stored
  normalised (upper case, no spaces); a date typed as 2024/1/5 or 2024年1月5日 is stored as 2024-01-05.
- integer, money, percent, decimal: a str as typed, trimmed, full-width characters made ASCII
  and thousands separators removed; `number` gives its Decimal.
- choice: {"selected": option key or "", "other": {option key: text}} (a plain key inside table
  and yearly cells); multichoice the same with
  "selected" a list in option order. "other" holds the texts of options marked other: true.
- yesno: True, False or None. confirm: True or False.
- table: a list of rows {column key: cell in the shape of its type}; empty rows are dropped.
- yearly: {row key: {"2021": cell, "2022": cell, "2023": cell}}, computed rows included.
- service_revenue_breakdown: {option key of the source field: {column key: cell}}.
- attachments: never in the answers; files are counted per field key by the caller.

Input names of the page: "<key>" for simple values (repeated for a multichoice),
"<key>__other__<option>" for other texts, "<key>__<row>__<column>" and "<key>__rows" for tables,
"<key>__<row>__<year>" for yearly figures, "<key>__<option>__<column>" for a breakdown.

Pure Python: no database, so the same rules serve the page, the submission and the tests.
"""

from __future__ import annotations

import copy
import datetime
import decimal
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Final

from shifan.core import reference, uscc
from shifan.core.dates import no_such_day
from shifan.programs.spec import NUMERIC_TYPES, Column, Field, Form, Section, evaluate_computed

Answers = dict[str, Any]
# A field of a form, or a column of a table (a row of a yearly field): anything holding one value.
Item = Field | Column
# What the page posts: a Django QueryDict, or any mapping of input name to a list of strings.
PostedData = Mapping[str, Any]

TEXT_TYPES: Final = frozenset({"text", "longtext", "phone", "email", "url", "credit_code", "date"})
MAX_TABLE_ROWS: Final = 500  # rows read from one post, whatever "<key>__rows" claims
MAX_BREAKDOWN_ENTRIES: Final = 200
MAX_CHOICES: Final = 200  # options read from one post
# A number may have at most this many digits before and after the decimal point.
MAX_INTEGER_DIGITS: Final = 20
MAX_DECIMAL_PLACES: Final = 20
# A percent field without a max of its own is refused above this (a ratio may exceed 100, not 1000).
PERCENT_CEILING: Final = Decimal(1000)
BREAKDOWN_TOLERANCE: Final = Decimal("0.5")  # 万元
DEBT_RATIO_TOLERANCE: Final = Decimal(1)  # percentage points, i.e. 1% of total assets

MSG_NOT_A_NUMBER: Final = "请输入数字，如 1234.5"
MSG_NOT_AN_INTEGER: Final = "请输入整数"
MSG_BAD_EMAIL: Final = "请输入有效的电子邮箱，如 name@example.com"
MSG_BAD_URL_SCHEME: Final = "网址应以 http:// 或 https:// 开头"
MSG_BAD_URL: Final = "请输入有效的网址，如 https://www.example.com"
MSG_BAD_PHONE: Final = "请输入有效的电话号码：7–20 位数字，可含空格、+、- 和括号"
MSG_BAD_DATE: Final = "请输入有效日期，如 2024-01-31"
MSG_NO_SUCH_DAY: Final = "这一天不存在"
MSG_UNKNOWN_OPTION: Final = "选项无效，请重新选择"
MSG_OTHER_TEXT: Final = "请注明其他内容"

_FULLWIDTH: Final = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)} | {0x3000: 0x20, 0x2212: 0x2D}
_NUMBER_RE: Final = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?\Z")
_DATE_RE: Final = re.compile(r"([0-9]{4})\s*[-/.年]\s*([0-9]{1,2})\s*[-/.月]\s*([0-9]{1,2})\s*日?\Z")
_ISO_DATE_RE: Final = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}\Z")
_EMAIL_RE: Final = re.compile(
    r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@(?:[A-Za-z0-9\u00a1-\uffff](?:[A-Za-z0-9\u00a1-\uffff-]*"
    r"[A-Za-z0-9\u00a1-\uffff])?\.)+[A-Za-z\u00a1-\uffff]{2,}\Z"
)
_URL_RE: Final = re.compile(
    r"https?://(?:[^\s/?#@:]+\.)+[^\s/?#@:.]+(?::[0-9]{1,5})?(?:[/?#]\S*)?\Z|https?://localhost(?::[0-9]{1,5})?"
    r"(?:[/?#]\S*)?\Z",
    re.IGNORECASE,
)
_PHONE_RE: Final = re.compile(r"[0-9 +()\-]+\Z")
_KEY_RE: Final = re.compile(r"[a-z][a-z0-9_]*\Z")
_UNIT_SUFFIX_RE: Final = re.compile(r"\s*[（(][^（）()]*[）)]\s*\Z")
_HUNDREDTH: Final = Decimal("0.01")

# Keys of the rows of the 经营指标 (yearly) field that the consistency checks read.
OPERATING_REVENUE = "operating_revenue"
SERVICE_REVENUE = "service_revenue"
TOTAL_ASSETS = "total_assets"
NET_ASSETS = "net_assets"
DEBT_RATIO = "debt_ratio"
MAIN_BUSINESS_REVENUE = "main_business_revenue"
EMPLOYEES = "employees"  # the field (outside the table) giving the headcount
# Rows measuring the organisation's size, compared with its total assets and headcount.
SCALE_ROWS: Final = frozenset({OPERATING_REVENUE, MAIN_BUSINESS_REVENUE, SERVICE_REVENUE, TOTAL_ASSETS})
# A figure typed in 元 into a 万元 field is 10,000 times too large: a factor of 1,000 between two
# figures that should be of one size (the same row in two years, revenue and assets) is doubted.
UNIT_FACTOR: Final = Decimal(1000)
# 1亿元 of revenue or assets per employee: far above any manufacturer's, well below 元 typed as 万元.
PER_EMPLOYEE_MAX: Final = Decimal(10000)  # 万元 per employee


# --- reading what was typed -----------------------------------------------------------------------


def _halfwidth(text: str) -> str:
    """Return the text with full-width ASCII characters, the ideographic space and − made ASCII."""
    return text.translate(_FULLWIDTH)


def _clean_text(text: str) -> str:
    """Return typed text trimmed, with CR LF line ends made LF and NUL characters removed."""
    return text.replace("\x00", "").replace("\r\n", "\n").replace("\r", "\n").strip()


def normalise_number(text: str) -> str:
    """Return a typed number as stored: trimmed, full-width made ASCII, thousands separators removed."""
    return _halfwidth(_clean_text(text)).strip().replace(",", "")


def _normalise_date(text: str) -> str:
    """Return a date typed as 2024/1/5, 2024.1.5 or 2024年1月5日 as 2024-01-05; other text unchanged."""
    match = _DATE_RE.match(_halfwidth(text))
    if match is None:
        return text
    try:
        return datetime.date(*(int(part) for part in match.groups())).isoformat()
    except ValueError:
        return text


def _getlist(data: PostedData, name: str) -> list[str]:
    """Return every string posted under `name` (a QueryDict's getlist, or a mapping to lists)."""
    getlist = getattr(data, "getlist", None)
    values = getlist(name) if callable(getlist) else data.get(name)
    if values is None:
        return []
    if isinstance(values, str):
        return [values]
    if isinstance(values, list | tuple):
        return [value for value in values if isinstance(value, str)]
    return []


def _get(data: PostedData, name: str) -> str:
    """Return the last string posted under `name`, or "" when there is none."""
    values = _getlist(data, name)
    return values[-1] if values else ""


def _other_texts(item: Item, data: PostedData, name: str) -> dict[str, str]:
    """Return the non-empty "other" texts posted for the options of `item` that ask for one."""
    texts: dict[str, str] = {}
    for option in item.options:
        if option.other:
            text = _clean_text(_get(data, f"{name}__other__{option.key}"))
            if text:
                texts[option.key] = text
    return texts


def _parse_simple(item: Item, data: PostedData, name: str) -> Any:
    """Return the stored value of a single-valued field or cell posted under `name`."""
    kind = item.type
    if kind in NUMERIC_TYPES:
        return normalise_number(_get(data, name))
    if kind == "choice":
        if isinstance(item, Column):
            # A choice inside a table or yearly row is stored as its plain key: cells have no "other".
            return _clean_text(_get(data, name))
        return {"selected": _clean_text(_get(data, name)), "other": _other_texts(item, data, name)}
    if kind == "multichoice":
        posted: list[str] = []
        for raw in _getlist(data, name)[:MAX_CHOICES]:
            key = raw.strip()
            if key and key not in posted:
                posted.append(key)
        order = [key for key, _label in options_for(item)]
        chosen = [key for key in order if key in posted] + [key for key in posted if key not in order]
        return {"selected": chosen, "other": _other_texts(item, data, name)}
    if kind == "yesno":
        answer = _get(data, name).strip().lower()
        return True if answer == "yes" else False if answer == "no" else None
    if kind == "confirm":
        values = _getlist(data, name)
        return bool(values) and values[-1].strip().lower() not in ("", "no", "off", "false", "0")
    text = _clean_text(_get(data, name))
    if kind == "date":
        return _normalise_date(text)
    if kind == "credit_code":
        try:
            return uscc.validate(text)
        except uscc.CreditCodeError:
            return text
    if kind in ("phone", "email", "url"):
        return _halfwidth(text).strip()
    return text


def _row_count(field: Field, data: PostedData) -> int:
    """Return how many table rows to read: "<key>__rows", or the highest row index posted."""
    try:
        count = max(int(_get(data, f"{field.key}__rows").strip()), 0)
    except ValueError:
        count = 0
    pattern = re.compile(rf"{re.escape(field.key)}__([0-9]{{1,6}})__")
    for name in data:
        match = pattern.match(name) if isinstance(name, str) else None
        if match is not None:
            count = max(count, int(match.group(1)) + 1)
    return min(count, MAX_TABLE_ROWS)


def _parse_table(field: Field, data: PostedData) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for index in range(_row_count(field, data)):
        row = {
            column.key: empty_value(column)
            if column.computed
            else _parse_simple(column, data, f"{field.key}__{index}__{column.key}")
            for column in field.columns
        }
        if any(not _blank(row[column.key]) for column in field.columns if not column.computed):
            rows.append(row)
    return [_with_computed_columns(field.columns, row) for row in rows]


def _parse_yearly(field: Field, data: PostedData) -> dict[str, dict[str, str]]:
    value = {
        row.key: {
            str(year): "" if row.computed else normalise_number(_get(data, f"{field.key}__{row.key}__{year}"))
            for year in field.years
        }
        for row in field.rows
    }
    return _with_computed_rows(field, value)


def _parse_breakdown(field: Field, data: PostedData) -> dict[str, dict[str, Any]]:
    """Return the breakdown entries posted, keeping those with at least one figure typed."""
    prefix = f"{field.key}__"
    options: list[str] = []
    for name in data:
        if not isinstance(name, str) or not name.startswith(prefix):
            continue
        rest = name[len(prefix) :]
        for column in field.columns:
            suffix = f"__{column.key}"
            option = rest[: -len(suffix)]
            if rest.endswith(suffix) and _KEY_RE.match(option) and option not in options:
                options.append(option)
        if len(options) >= MAX_BREAKDOWN_ENTRIES:
            break
    result: dict[str, dict[str, Any]] = {}
    for option in options:
        entry = {
            column.key: ""
            if column.computed
            else normalise_number(_get(data, f"{prefix}{option}__{column.key}"))
            for column in field.columns
        }
        if any(entry[column.key] for column in field.columns if not column.computed):
            result[option] = _with_computed_columns(field.columns, entry)
    return result


def parse_field(field: Field, data: PostedData) -> Any:
    """Return the stored value of `field` from the posted inputs; raise ValueError for attachments.

    A computed field is never posted and reads as ""; computed yearly rows and table columns are
    filled at once. A breakdown keeps every entry with a figure typed; `computed_answers` aligns it
    with the options chosen in its source field.
    """
    if field.type == "attachments":
        raise ValueError(f'"{field.key}" is an attachments field: its files are not part of the answers')
    if field.type == "table":
        return _parse_table(field, data)
    if field.type == "yearly":
        return _parse_yearly(field, data)
    if field.type == "service_revenue_breakdown":
        return _parse_breakdown(field, data)
    if field.computed:
        return ""
    return _parse_simple(field, data, field.key)


def empty_value(field: Item) -> Any:
    """Return the stored value of `field` (or of a cell of `column`) when nothing is filled in."""
    kind = field.type
    if kind == "attachments":
        raise ValueError(f'"{field.key}" is an attachments field: its files are not part of the answers')
    if kind == "choice":
        return "" if isinstance(field, Column) else {"selected": "", "other": {}}
    if kind == "multichoice":
        return {"selected": [], "other": {}}
    if kind == "yesno":
        return None
    if kind == "confirm":
        return False
    if kind == "table":
        return []
    if kind == "yearly" and isinstance(field, Field):
        return {row.key: {str(year): "" for year in field.years} for row in field.rows}
    if kind == "service_revenue_breakdown":
        return {}
    return ""


def blank_answers(form: Form) -> Answers:
    """Return the answers of a form with nothing filled in (attachments have no entry)."""
    return {field.key: empty_value(field) for field in form.fields() if field.type != "attachments"}


# --- values ---------------------------------------------------------------------------------------


def number(value: object) -> Decimal | None:
    """Return the Decimal a stored number holds, or None when it is empty or not a valid number.

    Strings are read as `parse_field` stores them, and full-width digits, ．，－ and thousands
    separators are accepted too. At most 20 digits before and 20 after the decimal point.
    """
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int):
        result = Decimal(value)
    elif isinstance(value, Decimal):
        result = value
    elif isinstance(value, float):
        result = Decimal(str(value))
    elif isinstance(value, str):
        text = normalise_number(value)
        if not _NUMBER_RE.match(text):
            return None
        result = Decimal(text)
    else:
        return None
    if not result.is_finite():
        return None
    exponent = result.as_tuple().exponent
    assert isinstance(exponent, int)  # finite
    if exponent < -MAX_DECIMAL_PLACES or result.adjusted() >= MAX_INTEGER_DIGITS:
        return None
    return result


def selected(value: Any) -> str | list[str] | None:
    """Return the selected option key (choice) or keys (multichoice) of a stored value, or None."""
    if isinstance(value, dict):
        chosen = value.get("selected")
        if isinstance(chosen, str):
            return chosen
        if isinstance(chosen, list):
            return [key for key in chosen if isinstance(key, str)]
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        return [key for key in value if isinstance(key, str)]
    return None


def chosen(value: Any) -> list[str]:
    """Return the selected keys of a stored choice or multichoice value as a list."""
    keys = selected(value)
    if isinstance(keys, str):
        return [keys] if keys else []
    return keys or []


def other_answers(value: Any) -> dict[str, str]:
    other = value.get("other") if isinstance(value, dict) else None
    if not isinstance(other, dict):
        return {}
    return {key: text for key, text in other.items() if isinstance(text, str)}


def options_for(field: Item) -> list[tuple[str, str]]:
    """Return the (key, label) options of a choice or multichoice field, or of a choice column."""
    source = getattr(field, "options_from", None)
    if source == "registration_types":
        return reference.registration_type_choices()
    if source == "industries":
        return reference.industry_choices()
    if source == "manufacturing_industries":
        return reference.industry_choices(manufacturing_only=True)
    return [(option.key, option.label) for option in field.options]


def _blank(value: Any) -> bool:
    """Return True if a stored value holds nothing: None, "", or containers of blanks only.

    False is an answer (否, or an unticked box), not a blank.
    """
    if value is None:
        return True
    if isinstance(value, str):
        return not value.strip()
    if isinstance(value, dict):
        return all(_blank(item) for item in value.values())
    if isinstance(value, list | tuple):
        return all(_blank(item) for item in value)
    return False


def _same(old: Any, new: Any) -> bool:
    return bool(old == new) or (_blank(old) and _blank(new))


def _as_dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _as_rows(value: Any) -> list[dict[str, Any]]:
    return [row for row in value if isinstance(row, dict)] if isinstance(value, list) else []


def _short_label(label: str) -> str:
    """Return a label without its trailing unit in brackets: 营业收入（万元） gives 营业收入."""
    return _UNIT_SUFFIX_RE.sub("", label) or label


def _plain(amount: Decimal) -> str:
    """Return a bound as written in messages: 0, 100, 1949, 0.5 (no exponent, no trailing zeros)."""
    text = format(amount.normalize(), "f")
    return "0" if text in ("-0", "0") else text


def _figure(amount: Decimal, kind: str = "money") -> str:
    """Return a figure with thousands separators (integers from 10,000 only: years stay 2024)."""
    if kind == "integer" and abs(amount) < 10000:
        return format(amount, "f")
    return format(amount, ",f")


def _with_unit(text: str, unit: str) -> str:
    if not unit or not text:
        return text
    return f"{text}{unit}" if unit in ("%", "‰") else f"{text} {unit}"


# --- computed values ------------------------------------------------------------------------------


def _format_computed(result: Decimal | None) -> str:
    """Return a computed value as stored: two decimals rounded half up ("25.00"), "" when missing."""
    if result is None:
        return ""
    with decimal.localcontext() as context:
        context.prec = 100
        try:
            rounded = result.quantize(_HUNDREDTH, rounding=decimal.ROUND_HALF_UP)
        except decimal.InvalidOperation:
            return ""
        if rounded.is_zero():
            rounded = abs(rounded)
    return format(rounded, "f")


def _compute_all(items: Iterable[Item], values: dict[str, Any]) -> dict[str, str]:
    """Return the computed values of `items` over `values` (numbers by key), in dependency order."""
    computed = [item for item in items if item.computed]
    numbers: dict[str, Decimal | None] = {key: number(value) for key, value in values.items()}
    results: dict[str, str] = {}
    # Each pass settles at least one more level of computed-on-computed; the spec forbids cycles.
    for _ in range(len(computed)):
        for item in computed:
            assert item.computed is not None
            results[item.key] = _format_computed(evaluate_computed(item.computed, numbers))
            numbers[item.key] = number(results[item.key])
    return results


def _with_computed_columns(columns: tuple[Column, ...], row: dict[str, Any]) -> dict[str, Any]:
    if not any(column.computed for column in columns):
        return row
    return {**row, **_compute_all(columns, row)}


def _with_computed_rows(field: Field, value: Any) -> dict[str, Any]:
    """Return a yearly value with every row and year present and the computed rows filled."""
    stored = _as_dict(value)
    result: dict[str, Any] = dict(stored)
    for row in field.rows:
        cells = _as_dict(stored.get(row.key))
        result[row.key] = {**cells, **{str(year): cells.get(str(year), "") for year in field.years}}
    for year in field.years:
        cells = {row.key: result[row.key][str(year)] for row in field.rows}
        for key, computed in _compute_all(field.rows, cells).items():
            result[key][str(year)] = computed
    return result


def _aligned_breakdown(field: Field, value: Any, answers: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """Return a breakdown with one entry per option chosen in its source field, in the chosen order."""
    stored = _as_dict(value)
    result: dict[str, dict[str, Any]] = {}
    for option in chosen(answers.get(field.source_field or "")):
        entry = _as_dict(stored.get(option))
        full = {column.key: entry.get(column.key, "") for column in field.columns}
        result[option] = _with_computed_columns(field.columns, {**entry, **full})
    return result


def computed_answers(form: Form, answers: Mapping[str, Any]) -> Answers:
    """Return a copy of the answers with every computed value filled in from its expression.

    Computed fields, computed rows of yearly fields (per year) and computed table columns (per row)
    hold two decimals ("25.00"), or "" while an input is missing or a divisor is zero. Each
    breakdown is aligned with its source field: one entry per chosen option, none for the others.
    """
    result: Answers = copy.deepcopy(dict(answers))
    fields = list(form.fields())
    numeric = {field.key: result.get(field.key) for field in fields if field.is_numeric}
    result.update(_compute_all(fields, numeric))
    for field in fields:
        if field.type == "yearly":
            result[field.key] = _with_computed_rows(field, result.get(field.key))
        elif field.type == "table" and field.key in result:
            result[field.key] = [
                _with_computed_columns(field.columns, row) for row in _as_rows(result[field.key])
            ]
        elif field.type == "service_revenue_breakdown":
            result[field.key] = _aligned_breakdown(field, result.get(field.key), result)
    return result


# --- errors beside a field ------------------------------------------------------------------------


def _number_errors(item: Item, value: Any) -> list[str]:
    if _blank(value):
        return []
    amount = number(value)
    if amount is None:
        return [MSG_NOT_A_NUMBER]
    errors: list[str] = []
    if item.type == "integer" and amount != amount.to_integral_value():
        errors.append(MSG_NOT_AN_INTEGER)
    if item.min is not None and amount < item.min:
        errors.append(f"不能小于 {_plain(item.min)}")
    maximum = item.max
    if maximum is None and item.type == "percent":
        maximum = PERCENT_CEILING
    if maximum is not None and amount > maximum:
        errors.append(f"不能大于 {_plain(maximum)}")
    return errors


def _choice_errors(item: Item, value: Any) -> list[str]:
    keys = chosen(value)
    if not keys:
        return []
    known = {key for key, _label in options_for(item)}
    other = other_answers(value)
    errors: list[str] = []
    if any(key not in known for key in keys):
        errors.append(MSG_UNKNOWN_OPTION)
    groups = {group.key: group.label for group in getattr(item, "groups", ())}
    for option in item.options:
        if option.other and option.key in keys and not other.get(option.key, "").strip():
            # Several "其他" in groups (研发设计阶段 …): say which one.
            message = (
                f"{MSG_OTHER_TEXT}（{groups[option.group]}）" if option.group in groups else MSG_OTHER_TEXT
            )
            if message not in errors:
                errors.append(message)
    return errors


def _simple_errors(item: Item, value: Any) -> list[str]:
    """Return the errors of a single-valued field or cell (never "required")."""
    kind = item.type
    if kind in NUMERIC_TYPES:
        return _number_errors(item, value)
    if kind in ("choice", "multichoice"):
        return _choice_errors(item, value)
    if kind not in TEXT_TYPES or not isinstance(value, str) or not value.strip():
        return []
    if kind in ("text", "longtext"):
        if item.max_length is not None and len(value) > item.max_length:
            return [f"最多 {item.max_length} 字，当前 {len(value)} 字"]
        return []
    if kind == "credit_code":
        try:
            uscc.validate(value)
        except uscc.CreditCodeError as error:
            return [error.message]
        return []
    if kind == "date":
        try:
            if _ISO_DATE_RE.match(value):
                datetime.date.fromisoformat(value)
                return []
        except ValueError:
            pass
        return [MSG_NO_SUCH_DAY if no_such_day(value) else MSG_BAD_DATE]
    if kind == "email":
        return [] if len(value) <= 254 and _EMAIL_RE.match(value) else [MSG_BAD_EMAIL]
    if kind == "url":
        if not value.lower().startswith(("http://", "https://")):
            return [MSG_BAD_URL_SCHEME]
        return [] if len(value) <= 2000 and _URL_RE.match(value) else [MSG_BAD_URL]
    if kind == "phone":
        digits = sum(ch.isdigit() for ch in value)
        return [] if _PHONE_RE.match(value) and 7 <= digits <= 20 else [MSG_BAD_PHONE]
    return []


def _table_errors(field: Field, value: Any) -> list[str]:
    rows = _as_rows(value)
    errors: list[str] = []
    # No rows at all is a matter of "required", reported by missing_required, not here.
    if 0 < len(rows) < field.min_rows:
        errors.append(f"至少填写 {field.min_rows} 行，当前 {len(rows)} 行")
    if field.max_rows is not None and len(rows) > field.max_rows:
        errors.append(f"最多填写 {field.max_rows} 行，当前 {len(rows)} 行")
    for index, row in enumerate(rows, start=1):
        for column in field.columns:
            if not column.computed:
                for message in _simple_errors(column, row.get(column.key)):
                    errors.append(f"第{index}行 {_short_label(column.label)}：{message}")
    for column in field.columns:
        if column.sum_max is None:
            continue
        amounts = [number(row.get(column.key)) for row in rows]
        total = sum((amount for amount in amounts if amount is not None), Decimal(0))
        if total > column.sum_max:
            errors.append(
                f"{_short_label(column.label)}合计 {_with_unit(_figure(total), column.unit)} 超过 "
                f"{_with_unit(_plain(column.sum_max), column.unit)}"
            )
    return errors


def _yearly_errors(field: Field, value: Any) -> list[str]:
    stored = _as_dict(value)
    errors: list[str] = []
    for year in field.years:
        for row in field.rows:
            if row.computed:
                continue
            cell = _as_dict(stored.get(row.key)).get(str(year))
            for message in _simple_errors(row, cell):
                errors.append(f"{year}年 {_short_label(row.label)}：{message}")
    return errors


def breakdown_labels(field: Field, form: Form | None) -> dict[str, str]:
    if form is None or not field.source_field:
        return {}
    try:
        return dict(options_for(form.field(field.source_field)))
    except KeyError:
        return {}


def _breakdown_errors(field: Field, value: Any, form: Form | None) -> list[str]:
    labels = breakdown_labels(field, form)
    errors: list[str] = []
    for option, entry in _as_dict(value).items():
        for column in field.columns:
            if column.computed:
                continue
            for message in _simple_errors(column, _as_dict(entry).get(column.key)):
                errors.append(f"{labels.get(option, option)} {_short_label(column.label)}：{message}")
    return errors


def field_errors(field: Field, value: Any, *, form: Form | None = None) -> list[str]:
    """Return the Chinese messages to show beside a field for its stored value; [] when it is fine.

    Only what is wrong with what was typed: an empty field is never an error here (see
    `missing_required`). Pass `form` to have breakdown entries named by their option labels.
    """
    if field.computed or field.type == "attachments":
        return []
    if field.type == "table":
        return _table_errors(field, value)
    if field.type == "yearly":
        return _yearly_errors(field, value)
    if field.type == "service_revenue_breakdown":
        return _breakdown_errors(field, value, form)
    return _simple_errors(field, value)


# --- consistency of the figures -------------------------------------------------------------------


@dataclass(frozen=True)
class FigureIssue:
    """A figure that contradicts another or is implausible, and the cells it concerns.

    `cells` holds (field key, row key or None, year or None) of every figure the finding puts in
    doubt, computed rows derived from them included, so that a rule reading any of them can tell.
    """

    field: str
    message: str
    cells: frozenset[tuple[str, str | None, int | None]]
    # What was found: "unit" (typed in another unit), "above:<row>" (a part above 营业收入),
    # "negative_assets", "debt_ratio".
    kind: str = ""


def _unit_doubt(amount: Decimal, unit: str) -> str:
    """Return "请确认单位为万元" with what the figure would mean in 元 typed as 万元: 1.2万亿元."""
    if unit != "万元":
        return f"请确认单位为{unit}" if unit else "请确认单位"
    yuan = amount * 10000
    for size, word in ((Decimal(10) ** 12, "万亿元"), (Decimal(10) ** 8, "亿元")):
        if abs(yuan) >= size:
            return f"请确认单位为万元（按万元计即 {_plain((yuan / size).quantize(Decimal('0.01')))}{word}）"
    return "请确认单位为万元"


def _yearly_issues(field: Field, value: Any, answers: Mapping[str, Any]) -> list[FigureIssue]:
    stored = _as_dict(value)
    rows = {row.key: row for row in field.rows}
    computed_rows = [row.key for row in field.rows if row.computed]

    def cell(row_key: str, year: int) -> Decimal | None:
        if row_key not in rows:
            return None
        return number(_as_dict(stored.get(row_key)).get(str(year)))

    def money(amount: Decimal, row_key: str) -> str:
        return _with_unit(_figure(amount), rows[row_key].unit)

    def issue(kind: str, message: str, year: int, *row_keys: str) -> FigureIssue:
        cells = {(field.key, key, year) for key in (*row_keys, *computed_rows)}
        return FigureIssue(field.key, message, frozenset(cells), kind)

    def name(row_key: str) -> str:
        return _short_label(rows[row_key].label).removeprefix("其中")

    issues: list[FigureIssue] = []
    years = sorted(field.years)
    employees = number(answers.get(EMPLOYEES))
    for year in years:
        operating = cell(OPERATING_REVENUE, year)
        for part in (SERVICE_REVENUE, MAIN_BUSINESS_REVENUE):
            amount = cell(part, year)
            if amount is not None and operating is not None and amount > operating:
                issues.append(
                    issue(
                        f"above:{part}",
                        f"{year}年 {name(part)} {money(amount, part)} 大于营业收入 "
                        f"{money(operating, OPERATING_REVENUE)}",
                        year,
                        part,
                        OPERATING_REVENUE,
                    )
                )
        total, net, ratio = cell(TOTAL_ASSETS, year), cell(NET_ASSETS, year), cell(DEBT_RATIO, year)
        if total is not None and total < 0:
            issues.append(
                issue(
                    "negative_assets",
                    f"{year}年 资产总额为负数（{money(total, TOTAL_ASSETS)}），请核对",
                    year,
                    TOTAL_ASSETS,
                )
            )
        if total is not None and net is not None and ratio is not None and total > 0:
            expected_net = total * (1 - ratio / 100)
            if abs(net - expected_net) > total * DEBT_RATIO_TOLERANCE / 100:
                implied = _format_computed((total - net) / total * 100)
                issues.append(
                    issue(
                        "debt_ratio",
                        f"{year}年 资产负债率与资产总额、净资产不一致："
                        f"按资产总额 {money(total, TOTAL_ASSETS)}、净资产 {money(net, NET_ASSETS)}"
                        f"计算应约为 {implied}%，填写为 {_plain(ratio)}%",
                        year,
                        TOTAL_ASSETS,
                        NET_ASSETS,
                        DEBT_RATIO,
                    )
                )
        issues.extend(_implausible_cells(field, rows, year, cell, employees, issue, money, name))
    return issues


def _implausible_cells(  # noqa: PLR0913 - the helpers of _yearly_issues, passed on
    field: Field,
    rows: Mapping[str, Column],
    year: int,
    cell: Any,
    employees: Decimal | None,
    issue: Any,
    money: Any,
    name: Any,
) -> list[FigureIssue]:
    """Return the money figures of a year that look typed in 元 (or 千元) instead of 万元.

    A figure is doubted when it exceeds its row's `plausible_max` from the spec, when it is at
    least `UNIT_FACTOR` times the same row's figure of another year, when a revenue is at least
    `UNIT_FACTOR` times the year's total assets or the other way round, or when a revenue or the
    total assets per employee exceed `PER_EMPLOYEE_MAX`.
    """
    found: list[FigureIssue] = []
    for row in field.rows:
        if row.type != "money" or row.computed:
            continue
        amount = cell(row.key, year)
        if amount is None or amount <= 0:
            continue
        reasons: list[str] = []
        if row.plausible_max is not None and amount > row.plausible_max:
            reasons.append(f"超过本批次合理上限 {money(row.plausible_max, row.key)}")
        others = [
            (other_year, other)
            for other_year in sorted(field.years)
            if other_year != year and (other := cell(row.key, other_year)) is not None and other > 0
        ]
        smaller = [(other_year, other) for other_year, other in others if amount >= other * UNIT_FACTOR]
        if smaller:
            other_year, other = smaller[0]
            times = _plain((amount / other).quantize(Decimal(1)))
            reasons.append(f"是{other_year}年 {money(other, row.key)} 的 {times} 倍")
        # Revenue against total assets, and total assets against operating revenue.
        scale = OPERATING_REVENUE if row.key == TOTAL_ASSETS else TOTAL_ASSETS
        base = cell(scale, year) if row.key in SCALE_ROWS else None
        if base is not None and base > 0 and amount >= base * UNIT_FACTOR:
            times = _plain((amount / base).quantize(Decimal(1)))
            reasons.append(f"是当年{name(scale)} {money(base, scale)} 的 {times} 倍")
        if row.key in SCALE_ROWS and employees is not None and employees > 0:
            per_head = amount / employees
            if per_head > PER_EMPLOYEE_MAX:
                head = _figure(per_head.quantize(Decimal(1)))
                reasons.append(f"按员工 {_figure(employees, 'integer')} 人计人均 {head} {row.unit}")
        if reasons:
            found.append(
                issue(
                    "unit",
                    f"{_unit_doubt(amount, row.unit)}：{year}年 {name(row.key)} 填写为 "
                    f"{money(amount, row.key)}，{'；'.join(reasons)}",
                    year,
                    row.key,
                )
            )
    return found


def _simple_field_issues(form: Form, answers: Mapping[str, Any]) -> list[FigureIssue]:
    """Return the money fields outside tables (注册资本) above their bound or far above total assets."""
    yearly = next((f for f in form.fields() if f.type == "yearly" and f.years), None)
    issues: list[FigureIssue] = []
    for field in form.fields():
        if field.type != "money" or field.computed:
            continue
        amount = number(answers.get(field.key))
        if amount is None or amount <= 0:
            continue
        reasons: list[str] = []
        if field.plausible_max is not None and amount > field.plausible_max:
            reasons.append(f"超过本批次合理上限 {_with_unit(_figure(field.plausible_max), field.unit)}")
        if yearly is not None and any(row.key == TOTAL_ASSETS for row in yearly.rows):
            totals = _as_dict(_as_dict(answers.get(yearly.key)).get(TOTAL_ASSETS))
            amounts = [t for y in yearly.years if (t := number(totals.get(str(y)))) is not None and t > 0]
            if amounts and amount >= max(amounts) * UNIT_FACTOR:
                largest = _with_unit(_figure(max(amounts)), yearly.column(TOTAL_ASSETS).unit)
                reasons.append(
                    f"是资产总额 {largest} 的 {_plain((amount / max(amounts)).quantize(Decimal(1)))} 倍"
                )
        if reasons:
            message = (
                f"{_unit_doubt(amount, field.unit)}：{_short_label(field.label)} 填写为 "
                f"{_with_unit(_figure(amount), field.unit)}，{'；'.join(reasons)}"
            )
            issues.append(FigureIssue(field.key, message, frozenset({(field.key, None, None)}), "unit"))
    return issues


def figure_issues(form: Form, answers: Mapping[str, Any]) -> list[FigureIssue]:
    """Return every figure that contradicts another or looks typed in the wrong unit.

    Per year of a yearly field with the rows operating_revenue, service_revenue,
    main_business_revenue, total_assets, net_assets and debt_ratio (whichever it has): a service or
    main business revenue above operating revenue, negative total assets, a debt ratio off by more
    than 1 point from 1 − net assets ÷ total assets, and money figures that look typed in 元 (see
    `_implausible_cells`); money fields outside the table (注册资本) likewise. Warnings only.
    """
    issues: list[FigureIssue] = []
    for field in form.fields():
        if field.type == "yearly":
            issues.extend(_yearly_issues(field, answers.get(field.key), answers))
    issues.extend(_simple_field_issues(form, answers))
    return issues


def _breakdown_warnings(form: Form, field: Field, answers: Mapping[str, Any]) -> list[str]:
    """Compare the breakdown's total with the service revenue of the latest year."""
    yearly = next(
        (
            f
            for f in form.fields()
            if f.type == "yearly" and f.years and any(row.key == SERVICE_REVENUE for row in f.rows)
        ),
        None,
    )
    columns = [column for column in field.columns if not column.computed and column.is_numeric]
    if yearly is None or not columns:
        return []
    column = next((c for c in columns if c.key == "revenue"), columns[0])
    latest = max(yearly.years)
    service = number(_as_dict(_as_dict(answers.get(yearly.key)).get(SERVICE_REVENUE)).get(str(latest)))
    entries = _aligned_breakdown(field, answers.get(field.key), answers)
    amounts = [number(entry.get(column.key)) for entry in entries.values()]
    typed = [amount for amount in amounts if amount is not None]
    if service is None or not typed:
        return []
    total = sum(typed, Decimal(0))
    if abs(total - service) <= BREAKDOWN_TOLERANCE:
        return []
    unit = yearly.column(SERVICE_REVENUE).unit
    difference = _with_unit(_figure(abs(total - service)), unit)
    return [
        f"服务收入构成合计 {_with_unit(_figure(total), column.unit)} 与{latest}年服务收入 "
        f"{_with_unit(_figure(service), unit)} 不一致（相差 {difference}）"
    ]


def consistency_warnings(form: Form, answers: Mapping[str, Any]) -> dict[str, list[str]]:
    """Return warnings about figures, by field key: `figure_issues`, and for a breakdown its total
    differing by more than 0.5万元 from the latest year's service revenue. Never block a submission.
    """
    warnings: dict[str, list[str]] = {}
    for issue in figure_issues(form, answers):
        warnings.setdefault(issue.field, []).append(issue.message)
    for field in form.fields():
        if field.type == "service_revenue_breakdown":
            found = _breakdown_warnings(form, field, answers)
            if found:
                warnings.setdefault(field.key, []).extend(found)
    return warnings


# --- completeness ---------------------------------------------------------------------------------


def _cell_filled(column: Item, value: Any) -> bool:
    if column.type == "yesno":
        return isinstance(value, bool)
    if column.type == "confirm":
        return value is True
    if column.type in ("choice", "multichoice"):
        return bool(chosen(value))
    return isinstance(value, str) and bool(value.strip())


def _row_complete(columns: tuple[Column, ...], row: Mapping[str, Any]) -> bool:
    return all(_cell_filled(c, row.get(c.key)) for c in columns if c.required and not c.computed)


def is_filled(field: Field, value: Any, attachment_count: int = 0) -> bool:
    """Return True if the field holds a complete answer.

    A table needs at least max(min_rows, 1) rows, each with its required columns; a yearly field
    every year of every required input row; a breakdown at least one entry, each with its required
    columns; a confirm must be ticked; attachments need a file. Validity is `field_errors`' matter.
    """
    kind = field.type
    if kind == "attachments":
        return attachment_count > 0
    if kind == "table":
        rows = _as_rows(value)
        return len(rows) >= max(field.min_rows, 1) and all(_row_complete(field.columns, row) for row in rows)
    if kind == "yearly":
        stored = _as_dict(value)
        return all(
            _cell_filled(row, _as_dict(stored.get(row.key)).get(str(year)))
            for row in field.rows
            if row.required and not row.computed
            for year in field.years
        )
    if kind == "service_revenue_breakdown":
        entries = _as_dict(value)
        return bool(entries) and all(
            _row_complete(field.columns, _as_dict(entry)) for entry in entries.values()
        )
    return _cell_filled(field, value)


def _condition_holds(equals: str | bool | int, value: Any) -> bool:
    if isinstance(equals, bool):
        return value is equals
    if isinstance(value, dict | list):
        return str(equals) in chosen(value)
    if isinstance(value, str):
        if isinstance(equals, int):
            return number(value) == Decimal(equals)
        return value.strip() == equals
    return False


def is_required(field: Field, answers: Mapping[str, Any]) -> bool:
    """Return True if the field must be answered before submission, given the other answers.

    A computed field never is. With `required_if` the field is required exactly when the other field
    has the value: the same bool for a yesno, the selected key for a choice, a chosen key for a
    multichoice.
    """
    if field.computed:
        return False
    if field.required_if is not None:
        return _condition_holds(field.required_if.equals, answers.get(field.required_if.field))
    return field.required


def _complete(field: Field, answers: Mapping[str, Any], attachment_counts: Mapping[str, int]) -> bool:
    value = answers.get(field.key)
    if field.type == "service_revenue_breakdown":
        value = _aligned_breakdown(field, value, answers)
    return is_filled(field, value, attachment_counts.get(field.key, 0))


def _has_incomplete_rows(field: Field, value: Any) -> bool:
    return field.type == "table" and any(not _row_complete(field.columns, row) for row in _as_rows(value))


def missing_required(
    form: Form, answers: Mapping[str, Any], attachment_counts: Mapping[str, int]
) -> list[tuple[Section, Field]]:
    """Return the fields still to be filled in before submission, in form order.

    A required field that is not complete (see `is_filled`; a breakdown is checked for the options
    chosen in its source field), and any table, required or not, with a row lacking a required column.
    """
    missing: list[tuple[Section, Field]] = []
    for section in form.sections:
        for field in section.fields:
            if field.computed:
                continue
            if (is_required(field, answers) and not _complete(field, answers, attachment_counts)) or (
                _has_incomplete_rows(field, answers.get(field.key))
            ):
                missing.append((section, field))
    return missing


def section_progress(
    form: Form, answers: Mapping[str, Any], attachment_counts: Mapping[str, int]
) -> dict[str, tuple[int, int]]:
    """Return (required fields complete, required fields) per section key."""
    progress: dict[str, tuple[int, int]] = {}
    for section in form.sections:
        required = [field for field in section.fields if is_required(field, answers)]
        done = sum(_complete(field, answers, attachment_counts) for field in required)
        progress[section.key] = (done, len(required))
    return progress


# --- starting a draft -----------------------------------------------------------------------------


def _organisation_attribute(organisation: Any, attribute: str) -> str:
    try:
        if attribute == "city":
            value = organisation.city.name
        elif attribute == "county":
            value = organisation.county_name
        else:
            value = getattr(organisation, attribute)
    except (AttributeError, KeyError):
        return ""
    return "" if value is None else str(value).strip()


def prefill_answers(form: Form, organisation: Any) -> Answers:
    """Return the answers a new draft starts with: the fields known from the organisation.

    Fields with `prefill` take that attribute (city and county by name); the 苏区/老区 choice
    (key revolutionary_area) is preselected from the organisation's county. Other fields are absent,
    which every function here reads as empty.
    """
    answers: Answers = {}
    for field in form.fields():
        if field.prefill and field.type in TEXT_TYPES:
            text = _organisation_attribute(organisation, field.prefill)
            answers[field.key] = _parse_simple(field, {field.key: [text]}, field.key)
        if field.key == "revolutionary_area" and field.type == "choice":
            county_code = _organisation_attribute(organisation, "county_code")
            area = reference.soviet_area_of(county_code) if county_code else ""
            if area in {key for key, _label in options_for(field)}:
                answers[field.key] = {"selected": area, "other": {}}
    return answers


# --- showing answers ------------------------------------------------------------------------------


def _choice_display(item: Item, value: Any) -> str:
    labels = dict(options_for(item))
    other = other_answers(value)
    parts = []
    for key in chosen(value):
        label = labels.get(key, key)
        text = other.get(key, "").strip()
        parts.append(f"{_short_label(label)}：{text}" if text else label)
    return "、".join(parts)


def cell_display(item: Item, value: Any) -> str:
    kind = item.type
    if kind in NUMERIC_TYPES:
        amount = number(value)
        if amount is None:
            return value.strip() if isinstance(value, str) else ""
        return _with_unit(_figure(amount, kind), item.unit)
    if kind in ("choice", "multichoice"):
        return _choice_display(item, value)
    if kind == "yesno":
        return "是" if value is True else "否" if value is False else ""
    if kind == "confirm":
        return "已确认" if value is True else "未确认"
    return value if isinstance(value, str) else ""


def _entries_display(columns: tuple[Column, ...], entry: Mapping[str, Any], *, labelled: bool = True) -> str:
    parts = []
    for column in columns:
        shown = cell_display(column, entry.get(column.key))
        if shown:
            parts.append(f"{_short_label(column.label)}：{shown}" if labelled else shown)
    return "，".join(parts)


def display_value(field: Field, value: Any, *, form: Form | None = None) -> str:
    """Return a stored value as readable Chinese for read-only pages and change lists; "" when empty.

    Choices show their labels (and other texts), yesno 是/否, a confirm 已确认/未确认, numbers thousands
    separators and their unit, tables "; "-joined rows, yearly figures "2021年: …; 2022年: …". Pass
    `form` to have breakdown entries named by their option labels.
    """
    kind = field.type
    if kind == "attachments":
        return ""
    if kind == "table":
        return "; ".join(shown for row in _as_rows(value) if (shown := _entries_display(field.columns, row)))
    if kind == "yearly":
        stored = _as_dict(value)
        years = []
        for year in field.years:
            parts = []
            for row in field.rows:
                shown = cell_display(row, _as_dict(stored.get(row.key)).get(str(year)))
                if shown:
                    parts.append(f"{_short_label(row.label)} {shown}")
            if parts:
                years.append(f"{year}年: {'，'.join(parts)}")
        return "; ".join(years)
    if kind == "service_revenue_breakdown":
        labels = breakdown_labels(field, form)
        single = len(field.columns) == 1
        parts = []
        for option, entry in _as_dict(value).items():
            shown = _entries_display(field.columns, _as_dict(entry), labelled=not single)
            if shown:
                parts.append(f"{labels.get(option, option)}：{shown}")
        return "; ".join(parts)
    return cell_display(field, value)


MODE_FIELDS = ("modes", "main_mode", "other_modes")


def chosen_modes(answers: Mapping[str, Any]) -> list[str]:
    """Return the keys of the modes an application chose, by the rule `modes_display` shows them.

    An enterprise's `modes`; a platform's main kind (共享制造), or its `other_modes` when the main
    kind is 其他模式, which itself names no mode.
    """
    main = chosen(answers.get("main_mode"))
    keys = chosen(answers.get("modes")) + [key for key in main if key != "other_modes"]
    if "other_modes" in main:
        keys += chosen(answers.get("other_modes"))
    return keys


def modes_display(form: Form, answers: Mapping[str, Any]) -> str:
    """Return the service-oriented manufacturing modes chosen, as readable Chinese; "" when none.

    An enterprise chooses `modes`. A platform chooses a main kind, 共享制造 or 其他模式, and only
    with 其他模式 do its `other_modes` count; 其他模式 itself names no mode.
    """
    skipped = "main_mode" if selected(answers.get("main_mode")) == "other_modes" else "other_modes"
    parts = []
    for key in MODE_FIELDS:
        if key == skipped:
            continue
        try:
            field = form.field(key)
        except KeyError:
            continue
        text = display_value(field, answers.get(key), form=form)
        if text:
            parts.append(text)
    return "；".join(parts)


def diff_answers(form: Form, old: Mapping[str, Any], new: Mapping[str, Any]) -> list[tuple[Field, str, str]]:
    """Return (field, old display, new display) for each field whose stored value differs, in form order.

    An absent answer and an empty one are the same.
    """
    changes: list[tuple[Field, str, str]] = []
    for field in form.fields():
        if field.type == "attachments":
            continue
        blank = empty_value(field)
        before, after = old.get(field.key, blank), new.get(field.key, blank)
        if not _same(before, after):
            changes.append(
                (field, display_value(field, before, form=form), display_value(field, after, form=form))
            )
    return changes


def changed_fields(old: Mapping[str, Any], new: Mapping[str, Any]) -> set[str]:
    """Return the keys whose stored values differ; an absent answer and an empty one are the same."""
    return {key for key in set(old) | set(new) if not _same(old.get(key), new.get(key))}


__all__ = [
    "Answers",
    "blank_answers",
    "changed_fields",
    "computed_answers",
    "consistency_warnings",
    "figure_issues",
    "FigureIssue",
    "diff_answers",
    "display_value",
    "empty_value",
    "field_errors",
    "is_filled",
    "is_required",
    "missing_required",
    "normalise_number",
    "number",
    "options_for",
    "parse_field",
    "prefill_answers",
    "section_progress",
    "selected",
]
