"""Tests of the answers of an application: parsing, shapes, checks, completeness, display (no database)."""

import string
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from django.utils.datastructures import MultiValueDict
from hypothesis import given, settings
from hypothesis import strategies as st

from shifan.applications import answers as A
from shifan.core import reference, uscc
from shifan.programs.spec import (
    NUMERIC_TYPES,
    Attachments,
    Column,
    Condition,
    Field,
    Form,
    Section,
    load_spec,
)

GUANGDONG = Path(__file__).resolve().parents[2] / "programs" / "guangdong-2024.yaml"
SPEC = load_spec(GUANGDONG)
ENTERPRISE = SPEC.category("enterprise").form
PLATFORM = SPEC.category("platform").form
FORMS = {"enterprise": ENTERPRISE, "platform": PLATFORM}

_BODY = "91440300MA5DC1234"
VALID_CODE = _BODY + uscc.check_character(_BODY)


# --- posting a value the way the page does (written independently of the parser) ---------------


def _post_simple(item: Field | Column, name: str, value: Any, out: dict[str, list[str]]) -> None:
    kind = item.type
    if kind == "choice":
        out[name] = [value if isinstance(item, Column) else value["selected"]]
    elif kind == "multichoice":
        out[name] = list(value["selected"])
    elif kind == "yesno":
        out[name] = ["yes" if value is True else "no" if value is False else ""]
    elif kind == "confirm":
        if value:
            out[name] = ["on"]
    else:
        out[name] = [value]
    if kind in ("choice", "multichoice") and isinstance(value, dict):
        for option, text in value["other"].items():
            out[f"{name}__other__{option}"] = [text]


def post(field: Field, value: Any) -> dict[str, list[str]]:
    """Return the inputs the page posts for a field showing `value`."""
    out: dict[str, list[str]] = {}
    if field.type == "table":
        out[f"{field.key}__rows"] = [str(len(value))]
        for index, row in enumerate(value):
            for column in field.columns:
                _post_simple(column, f"{field.key}__{index}__{column.key}", row[column.key], out)
    elif field.type == "yearly":
        for row in field.rows:
            if not row.computed:
                for year in field.years:
                    out[f"{field.key}__{row.key}__{year}"] = [value[row.key][str(year)]]
    elif field.type == "service_revenue_breakdown":
        for option, entry in value.items():
            for column in field.columns:
                out[f"{field.key}__{option}__{column.key}"] = [entry[column.key]]
    else:
        _post_simple(field, field.key, value, out)
    return out


# --- strategies for stored values ------------------------------------------------------------------

_plain_text = st.text(
    alphabet=st.characters(exclude_categories=("Cs", "Cc"), include_characters="\n"), max_size=40
).map(str.strip)
_ascii_text = st.text(
    alphabet=string.ascii_letters + string.digits + string.punctuation + " ", max_size=30
).map(str.strip)
_numbers = st.one_of(
    st.just(""),
    st.decimals(allow_nan=False, allow_infinity=False, min_value=-(10**12), max_value=10**12, places=3).map(
        str
    ),
    st.text(alphabet=string.ascii_letters + ".-", max_size=8).map(str.strip),
)
_valid_amounts = st.decimals(
    allow_nan=False, allow_infinity=False, min_value=0, max_value=10**9, places=2
).map(str)
_valid_numbers = st.one_of(st.just(""), _valid_amounts)
_credit_codes = st.one_of(
    st.just(""),
    st.just(VALID_CODE),
    st.text(alphabet=uscc.ALPHABET, min_size=18, max_size=18),
    st.text(alphabet=uscc.ALPHABET, min_size=1, max_size=17),
)


def _other_texts(item: Field | Column) -> st.SearchStrategy[dict[str, str]]:
    others = [option.key for option in item.options if option.other]
    return (
        st.dictionaries(st.sampled_from(others), _plain_text.filter(bool), max_size=len(others))
        if others
        else st.just({})
    )


def value_strategy(item: Field | Column) -> st.SearchStrategy[Any]:
    """Return a strategy of stored values of a simple field or cell, in canonical (parsed) form."""
    kind = item.type
    if kind in NUMERIC_TYPES:
        return _numbers
    if kind in ("text", "longtext"):
        return _plain_text
    if kind in ("phone", "email", "url"):
        return _ascii_text
    if kind == "credit_code":
        return _credit_codes
    if kind == "date":
        return st.one_of(st.just(""), st.dates().map(lambda day: day.isoformat()))
    if kind == "yesno":
        return st.sampled_from([True, False, None])
    if kind == "confirm":
        return st.booleans()
    keys = [key for key, _label in A.options_for(item)]
    if kind == "choice" and isinstance(item, Column):
        return st.sampled_from(["", *keys])
    if kind == "choice":
        return st.builds(
            lambda key, other: {"selected": key, "other": other},
            st.sampled_from(["", *keys]),
            _other_texts(item),
        )
    assert kind == "multichoice"
    return st.builds(
        lambda chosen, other: {"selected": [key for key in keys if key in chosen], "other": other},
        st.sets(st.sampled_from(keys)),
        _other_texts(item),
    )


def _blank_cell(value: Any) -> bool:
    if isinstance(value, dict):
        return not value["selected"] and not value["other"]
    return value in ("", None)


def _expected_share(service: str, operating: str) -> str:
    if not service or not operating or Decimal(operating) == 0:
        return ""
    share = (Decimal(service) / Decimal(operating) * 100).quantize(Decimal("0.01"), ROUND_HALF_UP)
    return format(abs(share) if share == 0 else share, "f")


def field_value(field: Field, draw: Any) -> tuple[Any, Any]:
    """Draw a stored value of `field`; return (value to post, value parse_field must give back)."""
    if field.type == "table":
        rows = draw(
            st.lists(st.fixed_dictionaries({c.key: value_strategy(c) for c in field.columns}), max_size=4)
        )
        kept = [row for row in rows if not all(_blank_cell(row[c.key]) for c in field.columns)]
        return rows, kept
    if field.type == "yearly":
        value = {
            row.key: {str(year): draw(_valid_numbers) for year in field.years}
            for row in field.rows
            if not row.computed
        }
        expected = {**value, "service_share": {}}
        for year in map(str, field.years):
            share = _expected_share(value["service_revenue"][year], value["operating_revenue"][year])
            expected["service_share"][year] = share
        return value, expected
    if field.type == "service_revenue_breakdown":
        keys = [key for key, _label in A.options_for(ENTERPRISE.field(field.source_field or ""))]
        chosen = draw(st.lists(st.sampled_from(keys), unique=True, max_size=5))
        value = {key: {"revenue": draw(_valid_amounts)} for key in chosen}
        return value, value
    value = draw(value_strategy(field))
    return value, value


GUANGDONG_FIELDS = [
    pytest.param(field, id=f"{category}-{field.key}")
    for category, form in FORMS.items()
    for field in form.fields()
    if field.type != "attachments"
]


def test_the_round_trips_cover_every_type_the_spec_uses():
    used = {field.type for form in FORMS.values() for field in form.fields()} - {"attachments"}
    assert used == {param.values[0].type for param in GUANGDONG_FIELDS}
    assert {"table", "yearly", "service_revenue_breakdown", "confirm", "multichoice", "credit_code"} <= used


@pytest.mark.parametrize("field", GUANGDONG_FIELDS)
@settings(max_examples=40, deadline=None)
@given(data=st.data())
def test_parse_field_reads_back_what_the_page_posts(field, data):
    value, expected = field_value(field, data.draw)
    posted = post(field, value)
    assert A.parse_field(field, MultiValueDict(posted)) == expected
    # Any mapping of names to lists works as well as a QueryDict.
    assert A.parse_field(field, posted) == expected


# A required file field: the Guangdong forms have none (the sealed commitment page is uploaded after
# submission), but the spec format has the type.
SCAN = Field(
    key="scan", label="扫描件", type="attachments", attachments=Attachments(accept=("pdf",), max_size_mb=5)
)


def test_parse_field_refuses_attachments():
    with pytest.raises(ValueError, match="attachments"):
        A.parse_field(SCAN, {})
    with pytest.raises(ValueError, match="attachments"):
        A.empty_value(SCAN)


@pytest.mark.parametrize("field", GUANGDONG_FIELDS)
def test_nothing_posted_gives_the_empty_value(field):
    assert A.parse_field(field, {}) == A.empty_value(field)
    assert A.field_errors(field, A.empty_value(field)) == []
    assert not A.is_filled(field, A.empty_value(field))


@pytest.mark.parametrize(
    ("key", "posted", "stored"),
    [
        ("company_name", {"company_name": ["  示范 企业\r\n  "]}, "示范 企业"),
        ("registered_capital", {"registered_capital": [" １，２３４．５ "]}, "1234.5"),
        ("registered_capital", {"registered_capital": ["－５"]}, "-5"),
        ("registered_capital", {"registered_capital": ["12,345,678"]}, "12345678"),
        ("registered_capital", {"registered_capital": ["一千"]}, "一千"),  # kept although invalid
        ("credit_code", {"credit_code": [VALID_CODE.lower()]}, VALID_CODE),
        ("credit_code", {"credit_code": [" 91440300abc "]}, "91440300abc"),
        ("commitment_date", {"commitment_date": ["2024/1/5"]}, "2024-01-05"),
        ("commitment_date", {"commitment_date": ["2024年1月5日"]}, "2024-01-05"),
        ("commitment_date", {"commitment_date": ["2024-02-30"]}, "2024-02-30"),
        ("contact_phone", {"contact_phone": ["（０２０）８３１３３３５９"]}, "(020)83133359"),
        ("has_service_team", {"has_service_team": ["yes"]}, True),
        ("has_service_team", {"has_service_team": ["no"]}, False),
        ("has_service_team", {"has_service_team": [""]}, None),
        ("commitment", {"commitment": ["on"]}, True),
        ("commitment", {}, False),
        (
            "service_team_form",
            {"service_team_form": ["other"], "service_team_form__other__other": [" 项目组 "]},
            {"selected": "other", "other": {"other": "项目组"}},
        ),
        (
            "modes",
            {"modes": ["other", "customization", "industrial_design", "customization"]},
            {"selected": ["industrial_design", "customization", "other"], "other": {}},
        ),
    ],
)
def test_parse_field_normalises_what_was_typed(key, posted, stored):
    assert A.parse_field(ENTERPRISE.field(key), posted) == stored


def test_parse_table_drops_empty_rows_and_finds_rows_without_a_count():
    field = ENTERPRISE.field("standards")
    posted = {
        "standards__0__name": ["服务规范"],
        "standards__0__level": ["group"],
        "standards__1__name": ["  "],
        "standards__2__name": ["第三行"],
        "standards__2__year": ["２０２３"],
    }
    rows = A.parse_field(field, posted)
    assert [row["name"] for row in rows] == ["服务规范", "第三行"]
    assert rows[0]["level"] == "group"
    assert rows[1]["year"] == "2023"
    assert A.parse_field(field, {"standards__rows": ["99999999"]}) == []


def test_parse_breakdown_keeps_entries_with_figures_and_computed_answers_aligns_them():
    field = ENTERPRISE.field("service_revenue_breakdown")
    posted = {
        "service_revenue_breakdown__design_development__revenue": ["1,000"],
        "service_revenue_breakdown__training__revenue": [""],
        "service_revenue_breakdown__leasing__revenue": ["200"],
    }
    stored = A.parse_field(field, posted)
    assert stored == {"design_development": {"revenue": "1000"}, "leasing": {"revenue": "200"}}
    answers = {
        "service_types": {"selected": ["design_development", "training"], "other": {}},
        "service_revenue_breakdown": stored,
    }
    aligned = A.computed_answers(ENTERPRISE, answers)["service_revenue_breakdown"]
    assert aligned == {"design_development": {"revenue": "1000"}, "training": {"revenue": ""}}
    assert answers["service_revenue_breakdown"] == stored  # a copy: the stored answers are untouched


# --- numbers ---------------------------------------------------------------------------------------

_FULLWIDTH = str.maketrans({ch: chr(ord(ch) + 0xFEE0) for ch in "0123456789.-+E"})


@given(
    st.decimals(allow_nan=False, allow_infinity=False, min_value=-(10**15), max_value=10**15).filter(
        lambda d: d.as_tuple().exponent >= -20
    )
)
def test_number_reads_any_decimal_as_text(amount):
    assert A.number(str(amount)) == amount
    assert A.number(format(amount, "f")) == amount
    assert A.number(format(amount, ",f")) == amount
    assert A.number(str(amount).translate(_FULLWIDTH)) == amount
    assert A.number(format(amount, ",f").translate(_FULLWIDTH).replace(",", "，")) == amount


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1234.5", Decimal("1234.5")),
        (" 1,234.50 ", Decimal("1234.50")),
        ("１２３４．５", Decimal("1234.5")),
        ("－０．５", Decimal("-0.5")),
        ("−3", Decimal("-3")),
        (".5", Decimal("0.5")),
        ("5.", Decimal("5")),
        ("1e3", Decimal("1000")),
        (7, Decimal(7)),
        (Decimal("2.5"), Decimal("2.5")),
        ("", None),
        ("   ", None),
        (None, None),
        (True, None),
        ("abc", None),
        ("12abc", None),
        ("1_000", None),
        ("NaN", None),
        ("Infinity", None),
        ("١٢٣", None),  # Arabic-Indic digits, which Decimal() would accept
        ("1 234", None),
        ("1e400", None),  # out of range: no 400-digit figures
        ("0.000000000000000000001", None),
        ([], None),
    ],
)
def test_number(text, expected):
    assert A.number(text) == expected


@given(
    service=st.decimals(min_value=Decimal("0.01"), max_value=10**9, places=2),
    operating=st.decimals(min_value=Decimal("0.01"), max_value=10**9, places=2),
)
def test_computed_service_share_is_service_over_operating_revenue(service, operating):
    answers = {
        "operating": {
            "service_revenue": {"2023": str(service)},
            "operating_revenue": {"2023": str(operating)},
        }
    }
    operating_answers = A.computed_answers(ENTERPRISE, answers)["operating"]
    expected = (service / operating * 100).quantize(Decimal("0.01"), ROUND_HALF_UP)  # 四舍五入
    assert operating_answers["service_share"]["2023"] == format(expected, "f")
    assert operating_answers["service_share"]["2022"] == ""  # inputs missing


@pytest.mark.parametrize(
    ("service", "operating", "share"),
    [
        ("2500", "10000", "25.00"),
        ("1", "3", "33.33"),
        ("2", "3", "66.67"),
        ("1", "800", "0.13"),
        ("0", "5", "0.00"),
    ],
)
def test_computed_share_rounds_half_up_to_two_decimals(service, operating, share):
    value = {"service_revenue": {"2023": service}, "operating_revenue": {"2023": operating}}
    assert A.computed_answers(ENTERPRISE, {"operating": value})["operating"]["service_share"]["2023"] == share


@pytest.mark.parametrize(("service", "operating"), [("100", "0"), ("100", ""), ("", "100"), ("abc", "100")])
def test_computed_share_is_empty_without_inputs_or_divisor(service, operating):
    value = {"service_revenue": {"2023": service}, "operating_revenue": {"2023": operating}}
    assert A.computed_answers(ENTERPRISE, {"operating": value})["operating"]["service_share"]["2023"] == ""


# --- errors beside a field -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "value", "errors"),
    [
        ("rd_staff_share", "0", []),
        ("rd_staff_share", "-0.01", ["不能小于 0"]),
        ("rd_staff_share", "100", []),
        ("rd_staff_share", "100.01", ["不能大于 100"]),
        ("rd_staff_share", "10%", ["请输入数字，如 1234.5"]),
        ("registered_capital", "0", []),
        ("registered_capital", "-0.01", ["不能小于 0"]),
        ("registered_capital", "1e30", ["请输入数字，如 1234.5"]),
        ("employees", "12.5", ["请输入整数"]),
        ("employees", "-1.5", ["请输入整数", "不能小于 0"]),
        ("employees", "12", []),
        ("employees", "十二", ["请输入数字，如 1234.5"]),
        ("company_name", "字" * 200, []),
        ("company_name", "字" * 213, ["最多 200 字，当前 213 字"]),
        ("contact_email", "a@example.com", []),
        ("contact_email", "zhang@例子.中国", []),
        ("contact_email", "a@example", ["请输入有效的电子邮箱，如 name@example.com"]),
        ("contact_email", "a b@example.com", ["请输入有效的电子邮箱，如 name@example.com"]),
        ("contact_phone", "020-8313 3359", []),
        ("contact_phone", "+86 (20) 83133359", []),
        ("contact_phone", "123456", ["请输入有效的电话号码：7–20 位数字，可含空格、+、- 和括号"]),
        ("contact_phone", "020-83133359 转 8", ["请输入有效的电话号码：7–20 位数字，可含空格、+、- 和括号"]),
        ("contact_phone", "1" * 21, ["请输入有效的电话号码：7–20 位数字，可含空格、+、- 和括号"]),
        ("credit_code", VALID_CODE, []),
        ("credit_code", "91440300", ["统一社会信用代码应为18位，当前为8位。"]),
        ("commitment_date", "2024-02-29", []),
        # A day the calendar lacks is said not to exist; a month 13 is not a date at all.
        ("commitment_date", "2023-02-29", ["这一天不存在"]),
        ("commitment_date", "2023-04-31", ["这一天不存在"]),
        ("commitment_date", "2023-13-01", ["请输入有效日期，如 2024-01-31"]),
        ("commitment_date", "20240105", ["请输入有效日期，如 2024-01-31"]),
        ("registration_type", {"selected": "173", "other": {}}, []),
        ("registration_type", {"selected": "999", "other": {}}, ["选项无效，请重新选择"]),
        ("industry", {"selected": "A", "other": {}}, ["选项无效，请重新选择"]),  # not manufacturing
        ("service_team_form", {"selected": "other", "other": {}}, ["请注明其他内容"]),
        ("service_team_form", {"selected": "other", "other": {"other": "项目组"}}, []),
        ("service_team_form", {"selected": "department", "other": {}}, []),
        ("modes", {"selected": ["other"], "other": {"other": " "}}, ["请注明其他内容"]),
        ("modes", {"selected": ["customization", "teleport"], "other": {}}, ["选项无效，请重新选择"]),
        (
            "service_types",
            {"selected": ["rd_other", "brand_other"], "other": {"brand_other": "展会"}},
            ["请注明其他内容（研发设计阶段）"],
        ),
    ],
)
def test_field_errors(key, value, errors):
    assert A.field_errors(ENTERPRISE.field(key), value) == errors


@pytest.mark.parametrize(
    ("value", "errors"),
    [
        ("https://platform.example.com/about?x=1", []),
        ("http://平台.中国", []),
        ("www.example.com", ["网址应以 http:// 或 https:// 开头"]),
        ("https://", ["请输入有效的网址，如 https://www.example.com"]),
        ("https://exa mple.com", ["请输入有效的网址，如 https://www.example.com"]),
    ],
)
def test_url_errors(value, errors):
    assert A.field_errors(PLATFORM.field("website"), value) == errors


def test_table_errors_name_the_row_and_column():
    field = ENTERPRISE.field("standards")
    rows = [
        {
            "name": "甲",
            "number": "",
            "level": "group",
            "role": "lead",
        },
        {
            "name": "标" * 213,
            "number": "",
            "level": {"selected": "x", "other": {}},
            "role": "",
            "year": "1948",
        },
    ]
    assert A.field_errors(field, rows) == [
        "第2行 标准名称：最多 200 字，当前 213 字",
        "第2行 标准级别：选项无效，请重新选择",
        "第2行 发布年份：不能小于 1949",
    ]
    assert A.field_errors(field, [rows[0]] * 51) == ["最多填写 50 行，当前 51 行"]


def test_table_column_sum_max():
    field = PLATFORM.field("investors")
    rows = [{"name": "甲", "nature": "企业", "share": "60"}, {"name": "乙", "nature": "企业", "share": "60"}]
    assert A.field_errors(field, rows) == ["投资比例合计 120% 超过 100%"]
    rows[1]["share"] = "40"
    assert A.field_errors(field, rows) == []


def test_yearly_errors_name_the_year_and_row():
    field = ENTERPRISE.field("operating")
    value = {
        "operating_revenue": {"2022": "abc"},
        "debt_ratio": {"2021": "1000", "2023": "1000.01"},
        "rd_intensity": {"2023": "100.01"},
        "net_assets": {"2023": "-500"},  # losses and negative net assets are facts, not errors
    }
    assert A.field_errors(field, value) == [
        "2022年 营业收入：请输入数字，如 1234.5",
        "2023年 资产负债率：不能大于 1000",
        "2023年 研发投入占收入比例：不能大于 100",
    ]


def test_breakdown_errors_use_option_labels_when_given_the_form():
    field = ENTERPRISE.field("service_revenue_breakdown")
    value = {"training": {"revenue": "-1"}}
    assert A.field_errors(field, value, form=ENTERPRISE) == ["培训 服务收入：不能小于 0"]
    assert A.field_errors(field, value) == ["training 服务收入：不能小于 0"]


def test_computed_values_are_never_errors():
    field = ENTERPRISE.field("operating")
    assert A.field_errors(field, {"service_share": {"2023": "not a number"}}) == []


# --- complete answers ------------------------------------------------------------------------------

YEARLY = {
    "total_assets": "10000",
    "debt_ratio": "40",
    "net_assets": "6000",
    "operating_revenue": "5000",
    "service_revenue": "2000",
    "net_profit": "300",
    "energy_intensity": "0.5",
    "rd_intensity": "3",
    "main_business_revenue": "4800",
}


def complete_simple(item: Field | Column) -> Any:
    kind = item.type
    if kind in NUMERIC_TYPES:
        if item.min is not None:
            return str(item.min + 1 if item.max is None or item.min + 1 <= item.max else item.min)
        return "10"
    if kind in ("choice", "multichoice"):
        key = A.options_for(item)[0][0]
        other = {key: "说明"} if any(o.key == key and o.other for o in item.options) else {}
        return {"selected": key if kind == "choice" else [key], "other": other}
    return {
        "text": "示例内容",
        "longtext": "示例内容\n第二段",
        "credit_code": VALID_CODE,
        "phone": "020-83133359",
        "email": "contact@example.com",
        "url": "https://www.example.com",
        "date": "2023-01-15",
        "yesno": True,
        "confirm": True,
    }[kind]


def complete_answers(form: Form) -> dict[str, Any]:
    """Return answers with every field of the form filled in, valid and consistent."""
    answers: dict[str, Any] = {}
    for field in form.fields():
        if field.type == "attachments":
            continue
        if field.type == "table":
            answers[field.key] = [{c.key: complete_simple(c) for c in field.columns}]
        elif field.type == "yearly":
            answers[field.key] = {
                row.key: {str(year): "" if row.computed else YEARLY[row.key] for year in field.years}
                for row in field.rows
            }
        elif field.type == "service_revenue_breakdown":
            chosen = answers[field.source_field or ""]["selected"]
            answers[field.key] = {key: {"revenue": YEARLY["service_revenue"]} for key in chosen}
        else:
            answers[field.key] = complete_simple(field)
    return answers


def attachment_counts(form: Form, count: int) -> dict[str, int]:
    return {field.key: count for field in form.fields() if field.attachments is not None}


def required_keys(form: Form) -> list[str]:
    """Fields the spec marks required without a condition (computed fields are never asked)."""
    return [f.key for f in form.fields() if f.required and f.required_if is None and f.computed is None]


@pytest.mark.parametrize("category", FORMS)
def test_empty_answers_miss_every_required_field(category):
    form = FORMS[category]
    missing = A.missing_required(form, {}, attachment_counts(form, 0))
    assert [field.key for _section, field in missing] == required_keys(form)
    assert all(field in section.fields for section, field in missing)
    keys = {field.key for _section, field in missing}
    assert "commitment" in keys
    assert "awards" not in keys  # optional tables
    assert "standards" not in keys
    assert not keys & {"service_team_form", "other_modes", "shared_capabilities", "shared_description"}
    progress = A.section_progress(form, {}, {})
    assert list(progress) == [section.key for section in form.sections]
    assert all(done == 0 for done, _total in progress.values())
    assert sum(total for _done, total in progress.values()) == len(required_keys(form))


@pytest.mark.parametrize("category", FORMS)
def test_complete_answers_miss_nothing_and_have_no_errors(category):
    form = FORMS[category]
    answers = complete_answers(form)
    counts = attachment_counts(form, 1)
    assert A.missing_required(form, answers, counts) == []
    assert A.missing_required(form, A.computed_answers(form, answers), counts) == []
    assert {
        key: (total, total) for key, (_done, total) in A.section_progress(form, answers, counts).items()
    } == (A.section_progress(form, answers, counts))
    for field in form.fields():
        assert A.field_errors(field, answers.get(field.key), form=form) == [], field.key
        if field.type != "attachments":
            assert A.is_filled(field, answers[field.key]), field.key
    assert A.consistency_warnings(form, answers) == {}
    assert A.computed_answers(form, answers)["operating"]["service_share"] == {
        "2021": "40.00",
        "2022": "40.00",
        "2023": "40.00",
    }


def _missing_keys(form: Form, answers: dict[str, Any]) -> set[str]:
    return {field.key for _section, field in A.missing_required(form, answers, attachment_counts(form, 1))}


def test_service_team_form_is_required_only_with_a_service_team():
    answers = complete_answers(ENTERPRISE) | {"service_team_form": {"selected": "", "other": {}}}
    field = ENTERPRISE.field("service_team_form")
    assert A.is_required(field, answers | {"has_service_team": True})
    assert _missing_keys(ENTERPRISE, answers | {"has_service_team": True}) == {"service_team_form"}
    assert not A.is_required(field, answers | {"has_service_team": False})
    assert _missing_keys(ENTERPRISE, answers | {"has_service_team": False}) == set()
    assert not A.is_required(field, answers | {"has_service_team": None})
    assert _missing_keys(ENTERPRISE, answers | {"has_service_team": None}) == {"has_service_team"}


def test_required_if_on_a_choice():
    answers = complete_answers(PLATFORM)
    for key in ("other_modes", "shared_capabilities"):
        answers[key] = {"selected": [], "other": {}}
    answers["shared_description"] = ""
    shared = answers | {"main_mode": {"selected": "shared_manufacturing", "other": {}}}
    others = answers | {"main_mode": {"selected": "other_modes", "other": {}}}
    assert _missing_keys(PLATFORM, shared) == {"shared_capabilities", "shared_description"}
    assert _missing_keys(PLATFORM, others) == {"other_modes"}


def test_is_required_on_a_multichoice_condition():
    field = Field(key="x", label="x", type="text", required_if=Condition(field="modes", equals="other"))
    assert A.is_required(field, {"modes": {"selected": ["customization", "other"], "other": {}}})
    assert not A.is_required(field, {"modes": {"selected": ["customization"], "other": {}}})
    assert not A.is_required(field, {})


@pytest.mark.parametrize(
    ("change", "missing"),
    [
        ({"commitment": False}, {"commitment"}),
        ({"company_name": "  "}, {"company_name"}),
        ({"has_service_team": False, "service_team_form": None}, set()),
        ({"modes": {"selected": [], "other": {}}}, {"modes"}),
        (
            {
                "awards": [
                    {"name": "", "level": {"selected": "national", "other": {}}, "year": "2020", "issuer": ""}
                ]
            },
            {"awards"},
        ),
        ({"awards": []}, set()),
        ({"service_revenue_breakdown": {}}, {"service_revenue_breakdown"}),
        ({"service_types": {"selected": [], "other": {}}}, {"service_types", "service_revenue_breakdown"}),
    ],
)
def test_missing_required_cases(change, missing):
    assert _missing_keys(ENTERPRISE, complete_answers(ENTERPRISE) | change) == missing


def test_a_yearly_field_misses_any_required_year():
    answers = complete_answers(ENTERPRISE)
    answers["operating"]["main_business_revenue"]["2021"] = ""
    assert _missing_keys(ENTERPRISE, answers) == {"operating"}
    answers = complete_answers(ENTERPRISE)
    answers["operating"]["service_share"] = {}  # computed: never asked
    assert _missing_keys(ENTERPRISE, answers) == set()


def test_a_breakdown_misses_a_chosen_type_without_its_figure():
    answers = complete_answers(ENTERPRISE)
    answers["service_types"] = {"selected": ["design_development", "training"], "other": {}}
    answers["service_revenue_breakdown"] = {"design_development": {"revenue": "2000"}}
    assert _missing_keys(ENTERPRISE, answers) == {"service_revenue_breakdown"}
    answers["service_revenue_breakdown"]["training"] = {"revenue": "0"}
    assert _missing_keys(ENTERPRISE, answers) == set()


def test_a_required_table_needs_its_rows_and_attachments_need_a_file():
    answers = complete_answers(PLATFORM) | {"investors": []}
    assert _missing_keys(PLATFORM, answers) == {"investors"}
    # The evidence slots beside written answers are optional.
    assert A.missing_required(PLATFORM, complete_answers(PLATFORM), attachment_counts(PLATFORM, 0)) == []
    form = Form(title="t", sections=(Section(key="s", title="s", fields=(SCAN,)),))
    assert [field.key for _section, field in A.missing_required(form, {}, {"scan": 0})] == ["scan"]
    assert A.missing_required(form, {}, {"scan": 1}) == []


# --- consistency -----------------------------------------------------------------------------------


def _with_year(year: str, **figures: str) -> dict[str, Any]:
    answers = complete_answers(ENTERPRISE)
    for key, figure in figures.items():
        answers["operating"][key][year] = figure
    return answers


def test_service_revenue_above_operating_revenue():
    answers = _with_year("2023", service_revenue="6000", operating_revenue="5000")
    answers["service_revenue_breakdown"] = {"design_development": {"revenue": "6000"}}
    assert A.consistency_warnings(ENTERPRISE, answers) == {
        "operating": ["2023年 服务收入 6,000 万元 大于营业收入 5,000 万元"]
    }


@pytest.mark.parametrize(
    ("total", "ratio", "net", "warned"),
    [
        ("10000", "40", "6000", False),
        ("10000", "40", "6099", False),  # within 1% of total assets
        ("10000", "40", "6101", True),
        ("10000", "40", "5899", True),
        ("10000", "120", "-2000", False),  # insolvent but consistent
        ("0", "40", "0", False),  # no total, no ratio to check
    ],
)
def test_debt_ratio_consistency(total, ratio, net, warned):
    answers = _with_year("2022", total_assets=total, debt_ratio=ratio, net_assets=net)
    warnings = A.consistency_warnings(ENTERPRISE, answers).get("operating", [])
    assert bool(warnings) == warned
    if warned:
        assert warnings[0].startswith("2022年 资产负债率与资产总额、净资产不一致")


def test_debt_ratio_warning_states_the_implied_ratio():
    answers = _with_year("2022", total_assets="10000", debt_ratio="50", net_assets="3000")
    assert A.consistency_warnings(ENTERPRISE, answers)["operating"] == [
        "2022年 资产负债率与资产总额、净资产不一致："
        "按资产总额 10,000 万元、净资产 3,000 万元计算应约为 70.00%，填写为 50%"
    ]


def test_negative_total_assets():
    answers = _with_year("2021", total_assets="-100")
    assert A.consistency_warnings(ENTERPRISE, answers)["operating"] == [
        "2021年 资产总额为负数（-100 万元），请核对"
    ]


@pytest.mark.parametrize(
    ("revenues", "warned"), [(["1500", "500"], False), (["1500", "500.5"], False), (["1500", "501"], True)]
)
def test_breakdown_total_against_the_latest_service_revenue(revenues, warned):
    answers = complete_answers(ENTERPRISE)
    answers["service_types"] = {"selected": ["design_development", "training"], "other": {}}
    answers["service_revenue_breakdown"] = {
        "design_development": {"revenue": revenues[0]},
        "training": {"revenue": revenues[1]},
        "leasing": {"revenue": "9999"},  # not chosen: not counted
    }
    warnings = A.consistency_warnings(ENTERPRISE, answers)
    if warned:
        assert warnings == {
            "service_revenue_breakdown": [
                "服务收入构成合计 2,001 万元 与2023年服务收入 2,000 万元 不一致（相差 1 万元）"
            ]
        }
    else:
        assert warnings == {}


def test_consistency_warnings_do_not_need_the_guangdong_rows():
    bare = Form(
        title="t", sections=(Section(key="s", title="s", fields=(Field(key="x", label="x", type="text"),)),)
    )
    assert A.consistency_warnings(bare, {"x": "1"}) == {}
    yearly = Field(
        key="figures",
        label="指标",
        type="yearly",
        years=(2023,),
        rows=(Column(key="staff", label="人数", type="integer"),),
    )
    breakdown = Field(
        key="split",
        label="构成",
        type="service_revenue_breakdown",
        source_field="kinds",
        columns=(Column(key="revenue", label="收入", type="money"),),
    )
    form = Form(title="t", sections=(Section(key="s", title="s", fields=(yearly, breakdown)),))
    assert (
        A.consistency_warnings(form, {"figures": {"staff": {"2023": "5"}}, "split": {"a": {"revenue": "1"}}})
        == {}
    )
    assert A.consistency_warnings(form, {"figures": "garbage", "split": ["garbage"]}) == {}
    assert A.consistency_warnings(ENTERPRISE, {}) == {}


# --- prefill, display and differences --------------------------------------------------------------


def _organisation(county_code: str) -> SimpleNamespace:
    county = reference.county(county_code)
    return SimpleNamespace(
        name="示范制造有限公司",
        credit_code=VALID_CODE.lower(),
        address="广东省某市某路1号",
        contact_name="张三",
        contact_phone="020-83133359",
        contact_email="zhang@example.com",
        city=reference.city(county.city_code),
        county_code=county_code,
        county_name=county.name,
    )


def test_prefill_answers_from_the_organisation():
    central = next(
        c.code for c in reference.counties() if reference.soviet_area_of(c.code) == "central_soviet"
    )
    answers = A.prefill_answers(ENTERPRISE, _organisation(central))
    assert answers == {
        "company_name": "示范制造有限公司",
        "credit_code": VALID_CODE,
        "registered_address": "广东省某市某路1号",
        "revolutionary_area": {"selected": "central_soviet", "other": {}},
        "contact_name": "张三",
        "contact_phone": "020-83133359",
        "contact_email": "zhang@example.com",
    }
    platform = A.prefill_answers(PLATFORM, _organisation("440103"))
    assert platform["operator_name"] == "示范制造有限公司"
    assert platform["revolutionary_area"] == {"selected": "none", "other": {}}
    assert "platform_name" not in platform


@pytest.mark.parametrize(
    ("key", "value", "shown"),
    [
        ("company_name", "示范企业", "示范企业"),
        ("registered_capital", "6000", "6,000 万元"),
        ("registered_capital", "1234567.5", "1,234,567.5 万元"),
        ("registered_capital", "一千", "一千"),
        ("rd_staff_share", "25.5", "25.5%"),
        ("operating_years", "12", "12 年"),
        ("employees", "2020", "2020"),
        ("employees", "12345", "12,345"),
        ("has_service_team", True, "是"),
        ("has_service_team", False, "否"),
        ("has_service_team", None, ""),
        ("commitment", True, "已确认"),
        ("commitment", False, "未确认"),
        ("revolutionary_area", {"selected": "hailufeng", "other": {}}, "海陆丰革命老区重点县"),
        ("service_team_form", {"selected": "other", "other": {"other": "项目组"}}, "其他：项目组"),
        ("registration_type", {"selected": "173", "other": {}}, "173 私营有限责任公司"),
        (
            "modes",
            {"selected": ["customization", "other"], "other": {"other": "数据服务"}},
            "定制化服务、其他：数据服务",
        ),
        ("modes", None, ""),
        ("registered_capital", None, ""),
    ],
)
def test_display_value(key, value, shown):
    assert A.display_value(ENTERPRISE.field(key), value) == shown


def test_display_value_of_tables_yearly_and_breakdown():
    awards = [
        {"name": "示范企业", "level": {"selected": "provincial", "other": {}}, "year": "2022", "issuer": ""},
        {"name": "品牌", "level": {"selected": "national", "other": {}}, "year": "2023", "issuer": "工信部"},
    ]
    assert A.display_value(ENTERPRISE.field("awards"), awards) == (
        "奖励或称号名称：示范企业，级别：省部级，获得年份：2022; "
        "奖励或称号名称：品牌，级别：国家级，获得年份：2023，授予单位：工信部"
    )
    operating = {"operating_revenue": {"2021": "5000", "2022": "6000"}, "service_share": {"2022": "25.00"}}
    assert A.display_value(ENTERPRISE.field("operating"), operating) == (
        "2021年: 营业收入 5,000 万元; 2022年: 营业收入 6,000 万元，服务收入占比 25.00%"
    )
    breakdown = {"training": {"revenue": "1200"}, "leasing": {"revenue": "800"}}
    field = ENTERPRISE.field("service_revenue_breakdown")
    assert A.display_value(field, breakdown, form=ENTERPRISE) == "培训：1,200 万元; 租赁：800 万元"
    assert A.display_value(field, breakdown) == "training：1,200 万元; leasing：800 万元"


def test_diff_answers_and_changed_fields():
    old = complete_answers(ENTERPRISE)
    new = complete_answers(ENTERPRISE)
    new["company_name"] = "新名称"
    new["operating"]["operating_revenue"]["2023"] = "5500"
    new["has_service_team"] = False
    old["standards"] = []
    new.pop("standards")  # absent and empty are the same
    diff = A.diff_answers(ENTERPRISE, old, new)
    operating = ENTERPRISE.field("operating")
    assert [(field.key, before, after) for field, before, after in diff] == [
        ("company_name", "示例内容", "新名称"),
        (
            "operating",
            A.display_value(operating, old["operating"]),
            A.display_value(operating, new["operating"]),
        ),
        ("has_service_team", "是", "否"),
    ]
    assert "营业收入 5,000 万元" in diff[1][1]
    assert "营业收入 5,500 万元" in diff[1][2]
    assert A.changed_fields(old, new) == {"company_name", "operating", "has_service_team"}
    assert A.changed_fields({}, {"x": "", "y": {"selected": "", "other": {}}, "z": None}) == set()
    assert A.changed_fields({"yes": None}, {"yes": False}) == {"yes"}  # 否 is an answer
    assert A.diff_answers(ENTERPRISE, old, old) == []
    assert A.diff_answers(ENTERPRISE, {}, {"commitment": False}) == []


def test_selected_tolerates_any_shape():
    assert A.selected({"selected": "a", "other": {}}) == "a"
    assert A.selected({"selected": ["a", 3, "b"]}) == ["a", "b"]
    assert A.selected(None) is None
    assert A.selected({"other": {}}) is None
    assert A.selected("a") == "a"


def test_options_for_reads_the_reference_lists():
    assert A.options_for(ENTERPRISE.field("industry")) == reference.industry_choices(manufacturing_only=True)
    assert A.options_for(PLATFORM.field("industry")) == reference.industry_choices()
    assert A.options_for(ENTERPRISE.field("registration_type")) == reference.registration_type_choices()
    assert A.options_for(ENTERPRISE.field("revolutionary_area"))[0] == ("central_soviet", "原中央苏区县")


def test_modes_display_follows_the_platform_main_kind():
    assert A.modes_display(ENTERPRISE, {"modes": {"selected": ["supply_chain", "customization"]}}) == (
        "供应链管理、定制化服务"
    )
    shared = {"main_mode": "shared_manufacturing", "other_modes": {"selected": ["industrial_design"]}}
    assert A.modes_display(PLATFORM, shared) == "共享制造"
    others = {"main_mode": "other_modes", "other_modes": {"selected": ["industrial_design", "lifecycle"]}}
    assert A.modes_display(PLATFORM, others) == "工业设计服务、全生命周期管理"
    assert A.modes_display(PLATFORM, {}) == ""
