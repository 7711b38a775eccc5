"""The checks of a report against the programme's conditions (pure, at their boundaries)."""

from decimal import Decimal

import pytest

from shifan.programs.registry import spec_from_text
from shifan.tracking.flags import Baseline, report_flags
from tests.factories import GUANGDONG_SPEC, spec_text


@pytest.fixture(scope="module")
def spec():
    return spec_from_text(spec_text(), GUANGDONG_SPEC)


def flags(spec, *, category="enterprise", region="prd", baseline=None, **answers):
    values = {
        "operating_revenue": "10000",
        "service_revenue": "3000",
        "service_share": "30.00",
        "major_accident": False,
    }
    values.update(answers)
    return report_flags(
        tracking=spec.tracking,
        rules=spec.rules_for(category),
        answers=values,
        region_key=region,
        baseline=baseline,
    )


def kinds(result):
    return [flag["kind"] for flag in result]


def test_a_sound_report_has_no_flags(spec):
    assert flags(spec) == []


def test_share_exactly_at_the_threshold_is_not_flagged(spec):
    assert flags(spec, service_share="20.00") == []


def test_share_just_below_the_threshold_is_flagged_with_its_numbers(spec):
    result = flags(spec, service_share="19.99")
    assert kinds(result) == ["share_below"]
    assert result[0]["reason"] == "服务收入占比 19.99% 低于申报条件 20%"
    assert result[0]["figures"] == {"share": "19.99", "threshold": "20"}


def test_share_threshold_is_read_from_the_rule_parameters(spec):
    from dataclasses import replace

    rules = [
        replace(rule, params={**rule.params, "min_percent": 25})
        if rule.name == "service_revenue_share"
        else rule
        for rule in spec.rules_for("enterprise")
    ]
    result = report_flags(
        tracking=spec.tracking,
        rules=rules,
        answers={"operating_revenue": "10000", "service_share": "24.00", "major_accident": False},
        region_key="prd",
        baseline=None,
    )
    assert kinds(result) == ["share_below"]


def test_platforms_have_no_share_or_revenue_bar(spec):
    assert flags(spec, category="platform", service_share="5.00", operating_revenue="100") == []


@pytest.mark.parametrize(
    ("region", "revenue", "flagged"),
    [("prd", "5000", False), ("prd", "4999.99", True), ("east", "2000", False), ("east", "1999", True)],
)
def test_revenue_threshold_follows_the_region(spec, region, revenue, flagged):
    result = flags(spec, region=region, operating_revenue=revenue)
    assert ("revenue_below" in kinds(result)) is flagged


def test_revenue_flag_names_the_region(spec):
    (flag,) = flags(spec, region="east", operating_revenue="1500")
    assert flag["reason"] == "营业收入 1,500 万元 低于粤东地区门槛 2,000 万元"


def test_declared_accident_is_flagged(spec):
    assert kinds(flags(spec, major_accident=True)) == ["accident"]


def test_revenue_drop_flagged_from_thirty_percent(spec):
    baseline = Baseline(year=2023, operating_revenue=Decimal(10000), service_share=Decimal(30))
    assert flags(spec, baseline=baseline, operating_revenue="7001") == []
    result = flags(spec, baseline=baseline, operating_revenue="7000")
    assert kinds(result) == ["revenue_drop"]
    assert "由申报时（2023年）10,000 万元 降至 7,000 万元，下降 30.00%" in result[0]["reason"]


def test_share_drop_flagged_from_ten_points(spec):
    baseline = Baseline(year=2023, operating_revenue=Decimal(10000), service_share=Decimal(40))
    assert flags(spec, baseline=baseline, service_share="30.01") == []
    result = flags(spec, baseline=baseline, service_share="30.00")
    assert kinds(result) == ["share_drop"]
    assert result[0]["figures"] == {"before": "40", "share": "30.00", "year": "2023", "line": "10"}


def test_missing_baseline_figures_are_not_flagged(spec):
    baseline = Baseline(year=2023, operating_revenue=None, service_share=None)
    assert flags(spec, baseline=baseline, operating_revenue="6000") == []
