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

from django.utils import translation
from django.utils.translation import gettext as _

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
    figure = f"{amount.quantize(_HUNDREDTH, ROUND_HALF_UP):,.2f}".rstrip("0").rstrip(".")
    return _("%(amount)s 万元") % {"amount": figure}


def _percent(amount: Decimal) -> str:
    return f"{amount.quantize(_HUNDREDTH, ROUND_HALF_UP)}%"


def _bar(amount: Decimal) -> str:
    """A threshold as the spec writes it: 20%, 12.5%."""
    return f"{amount.normalize():f}%"


def _flag(kind: str, **figures: Decimal | int | str) -> dict[str, Any]:
    stored = {key: str(value) for key, value in figures.items()}
    # The stored reason is the Chinese one, whatever the page's language; pages show `flag_reason`.
    with translation.override("zh-hans"):
        reason = flag_reason({"kind": kind, "figures": stored})
    return {"kind": kind, "reason": reason, "figures": stored}


def flag_reason(flag: Mapping[str, Any]) -> str:
    """Return a flag's reason in the active language, from its kind and figures.

    A flag stored before all its figures were kept (or of a kind this code no longer makes) reads
    as its stored reason.
    """
    kind, figures = flag.get("kind"), flag.get("figures") or {}
    try:
        if kind == "share_below":
            return _("服务收入占比 %(share)s 低于申报条件 %(threshold)s") % {
                "share": _percent(Decimal(figures["share"])),
                "threshold": _bar(Decimal(figures["threshold"])),
            }
        if kind == "revenue_below":
            regions = {region.key: region.name for region in reference.regions()}
            region = figures.get("region", "")
            where = _("%(region)s地区") % {"region": regions[region]} if region in regions else _("所在地区")
            return _("营业收入 %(revenue)s 低于%(where)s门槛 %(threshold)s") % {
                "revenue": _money(Decimal(figures["revenue"])),
                "where": where,
                "threshold": _money(Decimal(figures["threshold"])),
            }
        if kind == "accident":
            return _("报告年度内发生重大质量、安全或环保事故")
        if kind == "revenue_drop":
            return _(
                "营业收入由申报时（%(year)s年）%(before)s 降至 %(revenue)s，下降 %(drop)s（提示线 %(line)s）"
            ) % {
                "year": figures["year"],
                "before": _money(Decimal(figures["before"])),
                "revenue": _money(Decimal(figures["revenue"])),
                "drop": _percent(Decimal(figures["drop"])),
                "line": _bar(Decimal(figures["line"])),
            }
        if kind == "share_drop":
            return _(
                "服务收入占比由申报时（%(year)s年）%(before)s 降至 %(share)s，"
                "下降 %(drop)s 个百分点（提示线 %(line)s 个百分点）"
            ) % {
                "year": figures["year"],
                "before": _percent(Decimal(figures["before"])),
                "share": _percent(Decimal(figures["share"])),
                "drop": (Decimal(figures["before"]) - Decimal(figures["share"])).quantize(
                    _HUNDREDTH, ROUND_HALF_UP
                ),
                "line": figures["line"],
            }
    except (KeyError, ArithmeticError, ValueError):
        pass
    return str(flag.get("reason", ""))


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
                    share=share,
                    threshold=minimum,
                )
            )

    revenue_rule = _rule(rules, "prior_year_revenue")
    if revenue_rule is not None and revenue is not None:
        in_prd = region_key == reference.PRD_REGION_KEY
        threshold = Decimal(str(revenue_rule.params.get("prd_min" if in_prd else "other_min")))
        if revenue < threshold:
            flags.append(
                _flag(
                    "revenue_below",
                    revenue=revenue,
                    threshold=threshold,
                    region=region_key,
                )
            )

    if answers.get(tracking.fields["accident"]) is True:
        flags.append(_flag("accident"))

    if baseline is not None:
        before = baseline.operating_revenue
        if before is not None and before > 0 and revenue is not None:
            drop = (before - revenue) / before * 100
            if drop >= tracking.revenue_drop_percent:
                flags.append(
                    _flag(
                        "revenue_drop",
                        before=before,
                        revenue=revenue,
                        drop=drop.quantize(_HUNDREDTH, ROUND_HALF_UP),
                        year=baseline.year,
                        line=tracking.revenue_drop_percent,
                    )
                )
        was = baseline.service_share
        if was is not None and share is not None and was - share >= tracking.share_drop_points:
            flags.append(
                _flag(
                    "share_drop",
                    before=was,
                    share=share,
                    year=baseline.year,
                    line=tracking.share_drop_points,
                )
            )
    return flags
