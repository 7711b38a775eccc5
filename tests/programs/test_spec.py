"""Tests of the programme spec format and its loader (no database)."""

import decimal
import hashlib
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shifan.programs.spec import (
    EXPRESSION_PRECISION,
    ExpressionError,
    SpecError,
    evaluate_computed,
    expression_names,
    load_spec,
    parse_spec,
)

PROJECT_DIR = Path(__file__).resolve().parents[2]
GUANGDONG = PROJECT_DIR / "programs" / "guangdong-2024.yaml"
SEED_COVERAGE = PROJECT_DIR.parent / "shared" / "tools" / "seed-coverage"

# A small but complete spec: each error test below breaks exactly one thing in it.
MINIMAL = """\
spec: {key: test-2024, version: "1", name: 测试, source: 测试文件, application_year: 2024}
categories:
  enterprise:
    code: E
    name: 示范企业
    form:
      title: 申报表
      sections:
        - key: basic
          title: 基本情况
          fields:
            - {key: name, label: 企业名称, type: text, prefill: name}
            - {key: employees, label: 员工总数（人）, type: integer, min: 0}
            - {key: has_team, label: 是否有独立的服务团队, type: yesno}
            - key: team_form
              label: 服务团队形式
              type: choice
              required_if: {field: has_team, equals: true}
              options:
                - {key: department, label: 部门}
                - {key: other, label: 其他, other: true}
            - key: operating
              label: 经营指标
              type: yearly
              years: 3
              rows:
                - {key: revenue, label: 营业收入（万元）, type: money}
                - {key: service_revenue, label: 其中服务收入（万元）, type: money}
                - key: share
                  label: 服务收入占比（%）
                  type: percent
                  computed: service_revenue / revenue * 100
        - key: written
          title: 文字说明
          part: written
          fields:
            - {key: intro, label: 企业简介, type: longtext, indicator: [企业简介], attachments: true}
            - {key: plan, label: 进一步发展思路和规划, type: longtext, indicator: [进一步发展思路和规划]}
eligibility:
  common:
    - {rule: three_years_present, label: 三年齐全, clause: 经营指标, fields: {table: operating}}
    - {rule: sound_finances, label: 财务良好, clause: 运营和财务状况良好, params: {max_debt_ratio: 85}}
rubric:
  enterprise:
    - {key: intro, label: 企业简介, weight: 40, field: intro}
    - key: later
      label: 发展
      weight: 60
      children:
        - {key: plan, label: 进一步发展思路和规划, weight: 60, field: plan}
quotas: {enterprise: 10}
defaults:
  notice_working_days: 7
  experts_per_application: 5
  same_city_conflict: true
  recognition_valid_years: 3
  attachment_max_size_mb: 20
"""


def line_of(text: str, fragment: str) -> int:
    """Return the 1-based line on which `fragment` starts in `text`."""
    return text[: text.index(fragment)].count("\n") + 1


def error_for(old: str, new: str) -> tuple[SpecError, str]:
    """Return the SpecError raised by MINIMAL with `old` (unique) replaced by `new`, and that text."""
    assert MINIMAL.count(old) == 1, old
    text = MINIMAL.replace(old, new)
    with pytest.raises(SpecError) as info:
        parse_spec(text, "test.yaml")
    return info.value, text


@pytest.fixture(scope="module")
def guangdong():
    return load_spec(GUANGDONG)


# --- the Guangdong 2024 spec ----------------------------------------------------------------------


def test_minimal_spec_is_valid():
    spec = parse_spec(MINIMAL, "test.yaml")
    form = spec.category("E").form
    assert [f.key for f in form.fields()] == [
        "name",
        "employees",
        "has_team",
        "team_form",
        "operating",
        "intro",
        "plan",
    ]
    assert form.field("intro").attachments.max_size_mb == 20


def test_guangdong_spec_loads_with_both_categories(guangdong):
    assert (guangdong.key, guangdong.version, guangdong.application_year) == (
        "guangdong-2024",
        "2024.1",
        2024,
    )
    assert guangdong.source == "粤工信生产合作函〔2024〕2号"
    assert guangdong.category("E") is guangdong.category("enterprise")
    assert guangdong.category("E").name == "示范企业"
    assert guangdong.category("P").name == "示范平台"
    assert guangdong.category("E").form.table == "表1-1"
    with pytest.raises(KeyError):
        guangdong.category("X")


def test_guangdong_digest_is_sha256_of_the_file_text(guangdong):
    assert guangdong.digest == hashlib.sha256(GUANGDONG.read_bytes()).hexdigest()


def test_guangdong_operating_figures_cover_the_three_prior_years(guangdong):
    for code in ("E", "P"):
        operating = guangdong.category(code).form.field("operating")
        assert operating.years == (2021, 2022, 2023)
        assert operating.column("service_share").computed == "service_revenue / operating_revenue * 100"
    main_revenue = guangdong.category("E").form.field("operating").column("main_business_revenue")
    assert main_revenue.note  # an addition to 表1-1, so it must say why


def test_guangdong_enterprise_form_follows_table_1_1(guangdong):
    form = guangdong.category("E").form
    assert [s.title for s in form.sections[:3]] == [
        "一、企业基本情况",
        "二、经营管理状况",
        "三、主要申报内容",
    ]
    assert [o.label for o in form.field("modes").options] == [
        "工业设计服务",
        "定制化服务",
        "供应链管理",
        "共享制造服务",
        "检验检测认证",
        "全生命周期管理",
        "总集成总承包",
        "绿色制造服务",
        "生产性金融服务",
        "其他（请简述）",
    ]
    service_types = form.field("service_types")
    assert [g.label for g in service_types.groups] == [
        "研发设计阶段",
        "生产制造阶段",
        "品牌与服务阶段",
        "贯穿所有阶段",
    ]
    assert {o.key for o in service_types.options if o.other} == {
        "rd_other",
        "mfg_other",
        "brand_other",
        "all_other",
    }
    assert form.field("service_revenue_breakdown").source_field == "service_types"
    assert form.field("service_team_form").required_if.field == "has_service_team"
    assert form.field("commitment").text == "本申报表所有材料，均真实、完整，如有不实，愿承担相应的责任。"
    assert form.field("industry").options_from == "manufacturing_industries"


def test_guangdong_platform_form_completes_table_1_2(guangdong):
    form = guangdong.category("P").form
    assert form.field("awards").label == "申报平台已获得的国家级、省部级、市级奖励及示范称号"
    assert (
        form.field("revolutionary_area").options
        == guangdong.category("E").form.field("revolutionary_area").options
    )
    assert form.field("investors").column("share").sum_max == 100
    other_modes = form.field("other_modes")
    assert other_modes.required_if.equals == "other_modes"
    assert len(other_modes.options) == 9
    assert other_modes.note
    assert form.field("operation_start_date").type == "date"
    assert form.field("industry").options_from == "industries"


def test_guangdong_rubric_scores_every_outline_row_once(guangdong):
    for category in guangdong.categories:
        assert sum(i.weight for i in category.rubric) == 100
        scored = [leaf.field for leaf in category.rubric_leaves()]
        written = [f.key for s in category.form.sections if s.part == "written" for f in s.fields]
        assert scored == written
        assert category.quota == 40


def test_guangdong_rules_read_the_declarations(guangdong):
    rules = {rule.name: rule for rule in guangdong.rules_for("P")}
    assert rules["no_major_accident"].fields["declaration"] == "no_major_accident"
    assert rules["in_operation"].params["min_years"] == 1
    assert "service_breakdown_sums" not in rules
    enterprise = {rule.name: rule for rule in guangdong.rules_for("E")}
    assert enterprise["prior_year_revenue"].params["prd_min"] == 5000
    assert enterprise["prior_year_revenue"].fields["revenue"] == "operating.main_business_revenue"
    assert all(rule.clause for rule in guangdong.rules)


def test_seed_coverage_finds_every_source_label():
    if not SEED_COVERAGE.exists():
        pytest.skip("the shared seed-coverage tool is not on this machine")
    result = subprocess.run(
        [sys.executable, str(SEED_COVERAGE)], cwd=PROJECT_DIR, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout
    assert "missing" not in result.stdout


def test_load_spec_hashes_the_exact_text(tmp_path):
    path = tmp_path / "crlf.yaml"
    path.write_bytes(MINIMAL.replace("\n", "\r\n").encode("utf-8"))
    assert load_spec(path).digest == hashlib.sha256(path.read_bytes()).hexdigest()


# --- errors name the file, the line and the key path ----------------------------------------------


def test_guangdong_marks_what_the_official_forms_lack_as_supplement(guangdong):
    enterprise = guangdong.category("E").form
    platform = guangdong.category("P").form
    assert [row.key for row in enterprise.field("operating").rows if row.supplement] == [
        "main_business_revenue"
    ]
    assert not [item.key for item in enterprise.fields() if item.supplement]
    assert [item.key for item in platform.fields() if item.supplement] == [
        "operation_start_date",
        "shared_capabilities",
        "shared_description",
    ]
    assert [section.key for section in platform.sections if section.supplement] == ["operations"]


def test_supplement_must_be_true_or_false():
    error, _text = error_for("type: integer, min: 0", "type: integer, min: 0, supplement: 是")
    assert error.path.endswith("fields[1].supplement")


def test_unknown_field_type_names_line_and_key():
    error, text = error_for("type: integer, min: 0", "type: intger, min: 0")
    assert error.line == line_of(text, "{key: employees")
    assert error.path == "categories.enterprise.form.sections[0].fields[1].type"
    assert str(error).startswith(
        f"test.yaml:{error.line} categories.enterprise.form.sections[0].fields[1].type: "
    )
    assert '未知字段类型 "intger"' in str(error)
    assert "unknown field type" in str(error)
    assert '"integer"' in str(error)


def test_duplicate_field_key_names_the_second_one():
    error, text = error_for("{key: employees,", "{key: name,")
    assert error.line == line_of(text, "{key: name, label: 员工总数")
    assert error.path == "categories.enterprise.form.sections[0].fields[1].key"
    assert "duplicate field key" in str(error)
    assert f"first on line {line_of(text, '{key: name')}" in str(error)


def test_computed_expression_with_unknown_name():
    error, text = error_for("computed: service_revenue / revenue", "computed: service_revenu / revenue")
    assert error.line == line_of(text, "computed: service_revenu ")
    assert error.path == "categories.enterprise.form.sections[0].fields[4].rows[2].computed"
    assert "service_revenu" in error.message_zh
    assert "unknown row" in error.message_en


def test_computed_expression_with_a_call_is_refused():
    error, _ = error_for("computed: service_revenue / revenue", "computed: abs(revenue)")
    assert error.path.endswith("rows[2].computed")
    assert "function calls are not allowed" in str(error)


def test_computed_expression_referring_to_itself():
    error, _ = error_for("computed: service_revenue / revenue * 100", "computed: share * 2")
    assert error.path.endswith("rows[2].computed")
    assert "cycle" in error.message_en


def test_children_weights_must_add_up_to_the_parent():
    error, text = error_for("weight: 60, field: plan", "weight: 50, field: plan")
    assert error.path == "rubric.enterprise[1].weight"
    assert error.line == line_of(text, "weight: 60\n")
    assert "50" in error.message_zh
    assert "not 60" in error.message_en


def test_top_level_weights_must_add_up_to_100():
    error, text = error_for("weight: 40, field: intro", "weight: 35, field: intro")
    assert error.path == "rubric.enterprise"
    assert error.line == line_of(text, "  enterprise:\n    - {key: intro")
    assert "95" in error.message_zh
    assert "not 100" in error.message_en


def test_rubric_must_point_at_a_longtext_field():
    error, _ = error_for("weight: 40, field: intro", "weight: 40, field: employees")
    assert error.path == "rubric.enterprise[0].field"
    assert "not a longtext" in error.message_en


def test_unknown_rule_names_line_and_key():
    error, text = error_for("rule: sound_finances", "rule: sound_finance")
    assert error.path == "eligibility.common[1].rule"
    assert error.line == line_of(text, "{rule: sound_finance,")
    assert "未知的资格规则" in error.message_zh
    assert 'did you mean "sound_finances"' in error.message_en


def test_rule_field_must_exist():
    error, _ = error_for("fields: {table: operating}", "fields: {table: operating.profit}")
    assert error.path == "eligibility.common[0].fields.table"
    assert "profit" in error.message_en


def test_unknown_key_is_reported_with_a_suggestion():
    error, _ = error_for("type: integer, min: 0", "type: integer, minimum: 0")
    assert error.path == "categories.enterprise.form.sections[0].fields[1].minimum"
    assert 'did you mean "min"' in error.message_en


def test_key_of_another_type_is_reported_as_not_applying():
    error, _ = error_for("type: text, prefill: name", "type: text, options: []")
    assert error.path.endswith("fields[0].options")
    assert "does not apply to a text field" in error.message_en


def test_missing_required_key():
    error, text = error_for("    name: 示范企业\n", "")
    assert error.path == "categories.enterprise.name"
    assert error.line == line_of(text, "  enterprise:")


def test_choice_without_options():
    error, _ = error_for(
        "              options:\n                - {key: department, label: 部门}\n"
        "                - {key: other, label: 其他, other: true}\n",
        "",
    )
    assert error.path.endswith("fields[3].options")
    assert "exactly one of options" in error.message_en


def test_required_if_must_name_an_existing_field():
    error, _ = error_for("{field: has_team, equals: true}", "{field: has_teams, equals: true}")
    assert error.path.endswith("fields[3].required_if.field")


def test_yaml_duplicate_key_is_an_error():
    error, text = error_for("    code: E\n", "    code: E\n    code: F\n")
    assert error.path == "categories.enterprise.code"
    assert error.line == line_of(text, "    code: F")


def test_yaml_syntax_error_names_the_line():
    error, text = error_for("    name: 示范企业\n", "    name: [示范企业\n")
    assert error.line >= line_of(text, "    name: [")
    assert "YAML" in error.message_zh


def test_unquoted_version_is_refused():
    error, _ = error_for('version: "1"', "version: 1.0")
    assert error.path == "spec.version"


# --- computed expressions -------------------------------------------------------------------------


def test_evaluate_computed_uses_decimal_arithmetic():
    assert evaluate_computed("a / b * 100", {"a": Decimal("1"), "b": Decimal("3")}) == Decimal(1) / 3 * 100
    assert evaluate_computed("(a + b) - -c", {"a": 1, "b": "2.5", "c": 0.1}) == Decimal("3.6")
    assert expression_names("service_revenue / operating_revenue * 100") == {
        "service_revenue",
        "operating_revenue",
    }


@pytest.mark.parametrize(
    "values",
    [
        {"a": 1},
        {"a": 1, "b": None},
        {"a": 1, "b": ""},
        {"a": 1, "b": "n/a"},
        {"a": 1, "b": 0},
        {"a": 0, "b": 0},
    ],
)
def test_evaluate_computed_is_none_without_a_usable_input_or_on_division_by_zero(values):
    assert evaluate_computed("a / b", values) is None


@pytest.mark.parametrize(
    ("expression", "reason"),
    [
        ("a.__class__", "attribute access"),
        ("a.real", "attribute access"),
        ("abs(a)", "function calls"),
        ("__import__('os')", "function calls"),
        ("__builtins__", "not allowed"),
        ("_a + 1", "not allowed"),
        ("a ** 2", "+ - * /"),
        ("a // 2", "+ - * /"),
        ("a[0]", "subscripts"),
        ("'1' + a", "numeric constants"),
        ("True + a", "numeric constants"),
        ("a if b else c", "IfExp"),
        ("lambda: 1", "Lambda"),
        ("a < b", "Compare"),
        ("a = 1", "invalid expression"),
        ("", "empty"),
    ],
)
def test_evaluate_computed_refuses_anything_but_arithmetic(expression, reason):
    with pytest.raises(ExpressionError) as info:
        evaluate_computed(expression, {"a": 1, "b": 2, "c": 3})
    assert reason in str(info.value)


def test_evaluate_computed_refuses_names_outside_the_allowed_set():
    with pytest.raises(ExpressionError):
        evaluate_computed("a + secret", {"a": 1, "secret": 2}, allowed_names=frozenset({"a"}))


amounts = st.decimals(
    min_value=Decimal("-1e12"), max_value=Decimal("1e12"), places=2, allow_nan=False, allow_infinity=False
)


@given(a=amounts, b=amounts)
def test_evaluate_computed_matches_decimal_share(a, b):
    result = evaluate_computed("a / b * 100", {"a": a, "b": b})
    if b == 0:
        assert result is None
        return
    with decimal.localcontext() as context:
        context.prec = EXPRESSION_PRECISION
        assert result == a / b * 100


# --- tracking (动态跟踪) -------------------------------------------------------------------------

TRACKING = """\
tracking:
  title: 运行情况报告
  checks:
    fields: {operating_revenue: revenue, service_share: share, accident: accident}
    revenue_drop_percent: 30
    share_drop_points: 10
  form:
    title: 运行情况报告
    sections:
      - key: figures
        title: 经营指标
        fields:
          - {key: revenue, label: 营业收入（万元）, type: money, min: 0}
          - {key: service_revenue, label: 其中服务收入（万元）, type: money, min: 0}
          - {key: share, label: 服务收入占比（%）, type: percent, computed: service_revenue / revenue * 100}
          - {key: accident, label: 是否发生重大事故, type: yesno}
"""


def tracking_error(old: str, new: str) -> tuple[SpecError, str]:
    assert TRACKING.count(old) == 1, old
    text = MINIMAL + TRACKING.replace(old, new)
    with pytest.raises(SpecError) as info:
        parse_spec(text, "test.yaml")
    return info.value, text


def test_guangdong_tracking_form_is_shared_and_names_its_checked_fields(guangdong):
    tracking = guangdong.tracking
    assert tracking is not None
    assert tracking.form_for("enterprise") is tracking.form_for("platform")
    form = tracking.form_for("enterprise")
    assert form.field("service_share").computed == "service_revenue / operating_revenue * 100"
    assert form.field(tracking.fields["accident"]).type == "yesno"
    assert form.field("events").type == "table"
    assert (tracking.revenue_drop_percent, tracking.share_drop_points) == (Decimal(30), Decimal(10))


def test_spec_without_tracking_has_none():
    assert parse_spec(MINIMAL, "test.yaml").tracking is None


def test_minimal_tracking_is_valid():
    spec = parse_spec(MINIMAL + TRACKING, "test.yaml")
    assert spec.tracking is not None
    assert spec.tracking.fields == {
        "operating_revenue": "revenue",
        "service_share": "share",
        "accident": "accident",
    }


def test_tracking_check_naming_an_unknown_field_is_refused():
    error, text = tracking_error("accident: accident}", "accident: accidents}")
    assert error.path == "tracking.checks.fields.accident"
    assert error.line == line_of(text, "    fields: {operating_revenue")
    assert "accidents" in error.message_zh


def test_tracking_check_of_the_wrong_type_is_refused():
    error, _ = tracking_error("service_share: share,", "service_share: revenue,")
    assert error.path == "tracking.checks.fields.service_share"
    assert "percent" in error.message_zh


def test_tracking_without_a_required_role_is_refused():
    error, _ = tracking_error(", accident: accident}", "}")
    assert error.path == "tracking.checks.fields.accident"


def test_tracking_drop_threshold_out_of_range_is_refused():
    error, text = tracking_error("share_drop_points: 10", "share_drop_points: 0")
    assert error.path == "tracking.checks.share_drop_points"
    assert error.line == line_of(text, "    share_drop_points")


def test_tracking_form_for_one_category_only_is_refused_when_a_category_lacks_it():
    error, _ = tracking_error("  form:\n    title: 运行情况报告", "  platform:\n    title: 运行情况报告")
    assert error.path.startswith("tracking")
