"""The expert list parser: columns found by header, every row checked, errors naming the column."""

import io

import pytest
from openpyxl import Workbook, load_workbook

from shifan.accounts import pool
from shifan.accounts.models import ExpertiseField, Role
from shifan.core import uscc
from tests import factories

HEADER = [
    "姓名",
    "工作单位",
    "工作单位统一社会信用代码",
    "所在城市",
    "联系电话",
    "电子邮箱",
    "专业领域",
    "职称",
]
EMPLOYER_CODE = "12440000455600002G"
PAST_CODE = "91440101MA5CJQ4N59"
OTHER_PAST_CODE = factories.credit_code_for("440300", 1234)


def good(**overrides):
    values = {
        "姓名": "王专家",
        "工作单位": "华南理工大学",
        "工作单位统一社会信用代码": EMPLOYER_CODE,
        "所在城市": "广州",
        "联系电话": "13800000000",
        "电子邮箱": "wang@example.com",
        "专业领域": "工业设计服务",
        "职称": "教授",
    }
    return {**values, **overrides}


def sheet(*records, header=None, roles=None):
    """Parse a header and rows given as dicts keyed by column name."""
    header = header or list(HEADER) + [
        column for column in pool.OPTIONAL_COLUMNS if any(column in r for r in records)
    ]
    rows = [header, *([record.get(column) for column in header] for record in records)]
    return pool.parse(rows, roles_by_email=roles or {})


def only_row(*records, **kwargs):
    parsed = sheet(*records, **kwargs)
    assert len(parsed.rows) == 1
    return parsed.rows[0]


def test_a_good_row_gives_cleaned_values():
    row = only_row(good(专业领域="数字化转型、工业设计服务", 电子邮箱=" Wang@Example.COM "))
    assert row.status == "new"
    assert row.errors == ()
    assert row.line == 2
    assert row.expert == pool.ExpertRow(
        name="王专家",
        email="wang@example.com",
        phone="13800000000",
        employer="华南理工大学",
        employer_credit_code=EMPLOYER_CODE,
        city_code="440100",
        title="教授",
        expertise=("工业设计服务", "数字化转型"),
        industries=None,
        past_credit_codes=(),
    )


def test_columns_are_found_by_header_in_any_order_with_remarks_and_spaces():
    header = ["职称", " 电子邮箱 ", "姓名*", "专业领域（可多选）", "备注", "所在城市", "联系电话", "工作单位"]
    header += ["工作单位统一社会信用代码(必填)"]
    record = good()
    rows = [header, [record.get(pool._header(column)) for column in header]]
    parsed = pool.parse(rows, roles_by_email={})
    assert parsed.rows[0].errors == ()
    assert parsed.rows[0].expert.title == "教授"
    assert parsed.rows[0].expert.email == "wang@example.com"


def test_missing_required_header_is_named():
    header = [column for column in HEADER if column not in {"职称", "电子邮箱"}]
    with pytest.raises(pool.PoolFileError) as error:
        pool.parse([header, ["x"] * len(header)], roles_by_email={})
    assert "“电子邮箱”、“职称”" in error.value.message


def test_doubled_header_is_refused_with_both_columns():
    with pytest.raises(pool.PoolFileError) as error:
        pool.parse([[*HEADER, "姓名"], ["x"] * 9], roles_by_email={})
    assert "“姓名”出现了两次（第 A 列和第 I 列）" in error.value.message


def test_a_list_without_rows_is_refused():
    with pytest.raises(pool.PoolFileError, match="表头下方没有专家信息"):
        pool.parse([HEADER, (), [None, " "]], roles_by_email={})
    with pytest.raises(pool.PoolFileError, match="文件是空的"):
        pool.parse([(), ()], roles_by_email={})


def test_header_may_follow_empty_rows_and_line_numbers_are_excels():
    rows = [
        (),
        HEADER,
        [good().get(column) for column in HEADER],
        (),
        [good(电子邮箱="b@example.com")[c] for c in HEADER],
    ]
    parsed = pool.parse(rows, roles_by_email={})
    assert [row.line for row in parsed.rows] == [3, 5]


@pytest.mark.parametrize("column", HEADER)
def test_every_required_value_must_be_filled(column):
    row = only_row(good(**{column: "  "}))
    assert row.status == "error"
    assert f"{column}：必填，不能为空。" in row.errors
    assert row.expert is None


def test_overlong_values_are_refused_with_the_limit():
    row = only_row(good(姓名="王" * 101))
    assert row.errors == ("姓名：不能超过 100 个字，现为 101 个字。",)


@pytest.mark.parametrize(
    ("code", "reason"),
    [
        ("91440101MA5CJQ4N58", "校验位错误：第18位应为“9”"),
        ("9144010", "应为18位，当前为7位"),
        ("91440101MA5CJQ4NS9", "不能包含字母 I、O、S、V、Z"),
    ],
)
def test_bad_employer_credit_code_gives_the_reason(code, reason):
    row = only_row(good(工作单位统一社会信用代码=code))
    assert len(row.errors) == 1
    assert row.errors[0].startswith("工作单位统一社会信用代码：")
    assert reason in row.errors[0]


def test_credit_code_is_normalised():
    row = only_row(good(工作单位统一社会信用代码=" 1244 0000 4556 0000 2g "))
    assert row.expert.employer_credit_code == EMPLOYER_CODE


@pytest.mark.parametrize(
    ("written", "code"), [("广州", "440100"), ("广州市", "440100"), ("深圳市", "440300")]
)
def test_city_by_short_or_full_name(written, code):
    assert only_row(good(所在城市=written)).expert.city_code == code


def test_city_outside_guangdong():
    row = only_row(good(所在城市="省外"))
    assert row.expert.city_code == ""
    assert row.expert.city_name == "省外"


def test_unknown_city_is_named():
    row = only_row(good(所在城市="广州省"))
    assert row.errors == (
        "所在城市：未知城市“广州省”，请填写广东省 21 个地级以上市之一，如“广州”或“广州市”；省外填“省外”。",
    )


@pytest.mark.parametrize("separator", ["、", "，", ",", ";", "；", "\n", " ; "])
def test_expertise_separators(separator):
    row = only_row(good(专业领域=separator.join(["共享制造", "平台经济", "共享制造"])))
    assert row.expert.expertise == ("共享制造", "平台经济")


def test_unknown_expertise_lists_the_allowed_ones():
    row = only_row(good(专业领域="共享制造、人工智能、区块链"))
    (error,) = row.errors
    assert error.startswith("专业领域：未知领域“人工智能”、“区块链”。可填：")
    for label in ExpertiseField.values:
        assert label in error


@pytest.mark.parametrize("email", ["wang", "wang@", "wang@example", "王@ex ample.com"])
def test_bad_email_is_refused(email):
    row = only_row(good(电子邮箱=email))
    assert row.errors == (f"电子邮箱：“{email.lower()}”不是有效的电子邮箱地址。",)


def test_duplicate_email_marks_every_row_with_the_others():
    parsed = sheet(good(), good(姓名="另一人", 电子邮箱="WANG@example.com"), good(电子邮箱="li@example.com"))
    first, second, third = parsed.rows
    assert first.errors == ("电子邮箱：wang@example.com 与第 3 行重复，同一位专家只能填写一行。",)
    assert second.errors == ("电子邮箱：wang@example.com 与第 2 行重复，同一位专家只能填写一行。",)
    assert third.status == "new"


@pytest.mark.parametrize(("role", "label"), [(Role.APPLICANT, "申报单位"), (Role.CITY_OFFICER, "地市工信局")])
def test_email_of_another_role_is_refused(role, label):
    row = only_row(good(), roles={"wang@example.com": role})
    assert row.errors == (f"电子邮箱：wang@example.com 已是{label}的账号，不能作为专家导入。",)


def test_email_of_an_expert_updates_that_expert():
    row = only_row(good(), roles={"wang@example.com": Role.EXPERT})
    assert row.status == "update"
    assert row.is_update


def test_all_problems_of_a_row_are_listed_in_column_order():
    row = only_row(good(姓名="", 电子邮箱="bad", 所在城市="火星"))
    assert [error.split("：")[0] for error in row.errors] == ["姓名", "电子邮箱", "所在城市"]


def test_industries_by_code_or_name_with_separators():
    row = only_row(good(熟悉行业="34、C39，通用设备制造业;13 农副食品加工业"))
    assert row.expert.industries == ("13", "34", "39")


def test_industries_left_empty_are_not_given():
    assert only_row(good(熟悉行业="")).expert.industries is None


def test_unknown_industry_is_named():
    row = only_row(good(熟悉行业="34、99、13 汽车制造业、软件"))
    assert row.errors == (
        "熟悉行业：未知行业“99”、“13 汽车制造业”、“软件”，"
        "请填写制造业大类代码（13–43）或名称，如“34”或“通用设备制造业”。",
    )


def test_industry_given_as_a_number_cell():
    row = only_row(good(熟悉行业=34))
    assert row.expert.industries == ("34",)


def test_past_credit_codes_are_split_checked_and_deduplicated():
    row = only_row(
        good(
            曾任职单位统一社会信用代码=f"{PAST_CODE.lower()}\n{OTHER_PAST_CODE}；{PAST_CODE}、{EMPLOYER_CODE}"
        )
    )
    # The current employer is left out: it is a conflict already.
    assert row.expert.past_credit_codes == (PAST_CODE, OTHER_PAST_CODE)


def test_bad_past_credit_code_is_named():
    row = only_row(good(曾任职单位统一社会信用代码=f"{PAST_CODE}、91440101MA5CJQ4N58"))
    (error,) = row.errors
    assert error.startswith("曾任职单位统一社会信用代码：“91440101MA5CJQ4N58”：校验位错误")


def test_numbers_and_dates_read_as_text():
    row = only_row(good(联系电话=13800000001.0))
    assert row.expert.phone == "13800000001"


def test_emails_in_lists_the_addresses_for_the_account_lookup():
    rows = [HEADER, [good()[c] for c in HEADER], (), [good(电子邮箱=" Li@Example.com")[c] for c in HEADER]]
    assert pool.emails_in(rows) == ["wang@example.com", "li@example.com"]
    assert pool.emails_in([["名字"], ["x"]]) == []


# Reading files


def xlsx(rows, *, first_sheet=None):
    workbook = Workbook()
    sheet_ = workbook.active
    if first_sheet is not None:
        sheet_.title = first_sheet
    for row in rows:
        sheet_.append(list(row))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def test_read_workbook_keeps_excel_row_numbers():
    rows = pool.read_workbook(
        xlsx(
            [HEADER, [good()[c] for c in HEADER], [], [], [good(电子邮箱="b@example.com")[c] for c in HEADER]]
        )
    )
    parsed = pool.parse(rows, roles_by_email={})
    assert [row.line for row in parsed.rows] == [2, 5]
    assert all(row.status == "new" for row in parsed.rows)


def test_read_workbook_refuses_other_files():
    with pytest.raises(pool.PoolFileError, match="无法读取该文件"):
        pool.read_workbook("姓名,电子邮箱\n".encode())
    with pytest.raises(pool.PoolFileError, match="无法读取该文件"):
        pool.read_workbook(b"PK\x03\x04 not really a zip")


def test_read_workbook_refuses_large_files():
    with pytest.raises(pool.PoolFileError, match="文件过大：上限 5 MB"):
        pool.read_workbook(b"PK\x03\x04" + b"0" * pool.MAX_FILE_BYTES)


def test_read_workbook_refuses_more_than_the_row_limit(monkeypatch):
    row = [good()[c] for c in HEADER]
    assert len(pool.read_workbook(xlsx([HEADER] + [row] * pool.MAX_ROWS))) == pool.MAX_ROWS + 1
    with pytest.raises(pool.PoolFileError, match="名单超过 2000 行"):
        pool.read_workbook(xlsx([HEADER] + [row] * (pool.MAX_ROWS + 1)))


def test_template_holds_the_header_an_example_and_the_allowed_values():
    data = pool.template_workbook()
    workbook = load_workbook(io.BytesIO(data))
    assert workbook.sheetnames == ["专家名单", "填写说明"]
    header = [cell.value for cell in workbook["专家名单"][1]]
    assert header == [*HEADER, "熟悉行业", "曾任职单位统一社会信用代码"]
    allowed = workbook["填写说明"]
    expertise = [row[0] for row in allowed.iter_rows(min_row=2, values_only=True) if row[0]]
    cities = [row[1] for row in allowed.iter_rows(min_row=2, values_only=True) if row[1]]
    assert expertise == list(ExpertiseField.values)
    assert len(cities) == 22
    assert (cities[0], cities[-1]) == ("广州市", "省外")
    # The example row passes the checks it documents.
    parsed = pool.parse(pool.read_workbook(data), roles_by_email={})
    (row,) = parsed.rows
    assert row.status == "new", row.errors
    assert row.expert.industries == ("34", "39")
    assert all(uscc.validate(code) for code in row.expert.past_credit_codes)


def test_rows_survive_the_trip_through_json():
    row = only_row(good(熟悉行业="34", 曾任职单位统一社会信用代码=PAST_CODE)).expert
    assert pool.ExpertRow.from_data(row.as_data()) == row
    no_industries = only_row(good()).expert
    assert pool.ExpertRow.from_data(no_industries.as_data()).industries is None


@pytest.mark.django_db
def test_updates_for_lists_only_what_changes():
    profile = factories.ExpertProfileFactory(
        user__name="王专家",
        user__phone="13800000000",
        employer="华南理工大学",
        employer_credit_code=EMPLOYER_CODE,
        city_code="440100",
        title="教授",
        expertise=["工业设计服务"],
        industries=["34"],
    )
    row = only_row(good()).expert
    assert pool.updates_for(profile, row, past_codes=[]) == {}
    row = only_row(
        good(职称="研究员", 专业领域="工业设计服务、共享制造", 曾任职单位统一社会信用代码=PAST_CODE)
    ).expert
    changes = pool.updates_for(profile, row, past_codes=[])
    assert changes == {
        "title": "研究员",
        "expertise": ["工业设计服务", "共享制造"],
        "past_credit_codes": [PAST_CODE],
    }
    assert pool.change_labels(changes) == ["职称", "专业领域", "曾任职单位统一社会信用代码"]
    assert "past_credit_codes" not in pool.updates_for(profile, row, past_codes=[PAST_CODE])
