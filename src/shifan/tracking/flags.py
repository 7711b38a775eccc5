"""The checks a submitted report is held against (pure: no database).

Each flag names what fell short, with the figures it rests on. The thresholds are read from the
batch's spec: the 20% share from the `service_revenue_share` rule, the revenue bars from
`prior_year_revenue` (by the unit's region), the drops from `tracking.checks`. A category whose
rules do not include a check (platforms have no share bar) is not flagged for it.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from shifan.applications.answers import number
from shifan.core import reference
from shifan.programs.spec import Rule, Tracking

_HUNDREDTH = Decimal("0.01")


@dataclass(frozen=True)
class Baseline:
    """The application's figures of its latest year, which a report is compared with."""

    year: int
    operating_revenue: Decimal | None
    service_share: Decimal | None


def _money(amount: Decimal) -> str:
    return f"{amount.quantize(_HUNDREDTH, ROUND_HALF_UP):,.2f}".rstrip("0").rstrip(".") + " 万元"


def _percent(amount: Decimal) -> str:
    return f"{amount.quantize(_HUNDREDTH, ROUND_HALF_UP)}%"


def _bar(amount: Decimal) -> str:
    """A threshold as the spec writes it: 20%, 12.5%."""
    return f"{amount.normalize():f}%"


def _flag(kind: str, reason: str, **figures: Decimal | int | str) -> dict[str, Any]:
    return {"kind": kind, "reason": reason, "figures": {key: str(value) for key, value in figures.items()}}


def _rule(rules: Sequence[Rule], name: str) -> Rule | None:
    return next((rule for rule in rules if rule.name == name), None)


def report_flags(
    *,
    tracking: Tracking,
    rules: Sequence[Rule],
    answers: Mapping[str, Any],
    region_key: str,
    baseline: Baseline | None,
) -> list[dict[str, Any]]:
    """Return the flags of a report's (computed) answers, in a fixed order; [] when nothing is amiss."""
    flags: list[dict[str, Any]] = []
    revenue = number(answers.get(tracking.fields["operating_revenue"]))
    share = number(answers.get(tracking.fields["service_share"]))

    share_rule = _rule(rules, "service_revenue_share")
    if share_rule is not None and share is not None:
        minimum = Decimal(str(share_rule.params.get("min_percent", 20)))
        if share < minimum:
            flags.append(
                _flag(
                    "share_below",
                    f"服务收入占比 {_percent(share)} 低于申报条件 {_bar(minimum)}",
                    share=share,
                    threshold=minimum,
                )
            )

    revenue_rule = _rule(rules, "prior_year_revenue")
    if revenue_rule is not None and revenue is not None:
        in_prd = region_key == reference.PRD_REGION_KEY
        threshold = Decimal(str(revenue_rule.params.get("prd_min" if in_prd else "other_min")))
        regions = {region.key: region.name for region in reference.regions()}
        where = f"{regions[region_key]}地区" if region_key in regions else "所在地区"
        if revenue < threshold:
            flags.append(
                _flag(
                    "revenue_below",
                    f"营业收入 {_money(revenue)} 低于{where}门槛 {_money(threshold)}",
                    revenue=revenue,
                    threshold=threshold,
                    region=region_key,
                )
            )

    if answers.get(tracking.fields["accident"]) is True:
        flags.append(_flag("accident", "报告年度内发生重大质量、安全或环保事故"))

    if baseline is not None:
        before = baseline.operating_revenue
        if before is not None and before > 0 and revenue is not None:
            drop = (before - revenue) / before * 100
            if drop >= tracking.revenue_drop_percent:
                flags.append(
                    _flag(
                        "revenue_drop",
                        f"营业收入由申报时（{baseline.year}年）{_money(before)} 降至 {_money(revenue)}，"
                        f"下降 {_percent(drop)}（提示线 {_bar(tracking.revenue_drop_percent)}）",
                        before=before,
                        revenue=revenue,
                        drop=drop.quantize(_HUNDREDTH, ROUND_HALF_UP),
                    )
                )
        was = baseline.service_share
        if was is not None and share is not None and was - share >= tracking.share_drop_points:
            flags.append(
                _flag(
                    "share_drop",
                    f"服务收入占比由申报时（{baseline.year}年）{_percent(was)} 降至 {_percent(share)}，"
                    f"下降 {(was - share).quantize(_HUNDREDTH, ROUND_HALF_UP)} 个百分点"
                    f"（提示线 {tracking.share_drop_points} 个百分点）",
                    before=was,
                    share=share,
                )
            )
    return flags
