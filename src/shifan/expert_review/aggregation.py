"""How experts' totals become one score per application, and the ranking.

- **Trimmed mean** (去掉一个最高分和一个最低分): with at least five totals, the highest and the
  lowest are dropped and the rest averaged; with fewer, the plain mean. The common rule of
  Chinese expert reviews. **Mean**: the plain mean.
- **Standardisation** (optional, a batch setting): each expert's totals across the batch are
  replaced by `batch mean + batch spread × (total − expert's mean) / expert's spread`, which
  cancels harsh and lenient reviewers while keeping the 100-point scale. An expert with fewer
  than two totals, or who gave everyone the same total, is only shifted to the batch mean (no
  spread to divide by).
- **Disagreement**: the sample standard deviation of the totals used (after standardisation
  when it is on, so a harsh reviewer alone is not a disagreement); at or above the batch's
  threshold the application is flagged for the officer to look at (a defence or site visit, or a
  reopened score sheet).
- **Adjustment**: a defence or site visit may add or take points, with a reason; the final score
  is kept within 0–100.

Pure Python with Decimal results rounded to two places, so hand-computed examples test it.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, TypeAlias

# Application and expert ids: primary keys in production, any hashable value in tests.
Hashable: TypeAlias = Any


class Rule:
    TRIMMED_MEAN = "trimmed_mean"
    MEAN = "mean"


TRIM_FROM = 5
CENT = Decimal("0.01")
MAX_SCORE = Decimal(100)


def rounded(value: Decimal | float) -> Decimal:
    return Decimal(str(value)).quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class Total:
    """One expert's weighted total for one application."""

    application: Hashable
    expert: Hashable
    total: Decimal


@dataclass(frozen=True)
class Result:
    application: Hashable
    count: int
    raw_mean: Decimal
    # The totals the rule used (standardised when the batch says so), in the order given.
    used: tuple[Decimal, ...]
    dropped: tuple[Decimal, ...]
    score: Decimal
    adjustment: Decimal
    final: Decimal
    spread: Decimal
    disagreement: bool


def trimmed_mean(values: Iterable[Decimal]) -> tuple[Decimal, tuple[Decimal, ...]]:
    """Return the mean without the highest and lowest value (from five values on) and the dropped."""
    ordered = sorted(values)
    if not ordered:
        raise ValueError("no values")
    if len(ordered) < TRIM_FROM:
        return _mean(ordered), ()
    return _mean(ordered[1:-1]), (ordered[-1], ordered[0])


def _mean(values: list[Decimal]) -> Decimal:
    return rounded(sum(values, Decimal(0)) / len(values))


def standardise(totals: Iterable[Total]) -> dict[tuple[Hashable, Hashable], Decimal]:
    """Return each (application, expert) total rescaled against the expert's own mean and spread."""
    totals = list(totals)
    if not totals:
        return {}
    everyone = [float(t.total) for t in totals]
    batch_mean = statistics.fmean(everyone)
    batch_spread = statistics.pstdev(everyone)
    by_expert: dict[Hashable, list[Total]] = {}
    for total in totals:
        by_expert.setdefault(total.expert, []).append(total)
    result: dict[tuple[Hashable, Hashable], Decimal] = {}
    for expert_totals in by_expert.values():
        values = [float(t.total) for t in expert_totals]
        mean = statistics.fmean(values)
        spread = statistics.pstdev(values) if len(values) >= 2 else 0.0
        for total in expert_totals:
            if spread > 0:
                value = batch_mean + batch_spread * (float(total.total) - mean) / spread
            else:
                value = float(total.total) - mean + batch_mean
            result[(total.application, total.expert)] = rounded(min(max(value, 0.0), 100.0))
    return result


def aggregate(
    totals: Iterable[Total],
    *,
    rule: str = Rule.TRIMMED_MEAN,
    standardised: bool = False,
    threshold: Decimal = Decimal(10),
    adjustments: Mapping[Hashable, Decimal] | None = None,
) -> dict[Hashable, Result]:
    """Return each application's result from the submitted totals of the whole batch."""
    totals = list(totals)
    adjustments = adjustments or {}
    rescaled = standardise(totals) if standardised else {}
    by_application: dict[Hashable, list[Total]] = {}
    for total in totals:
        by_application.setdefault(total.application, []).append(total)
    results = {}
    for application, own in by_application.items():
        raw = [t.total for t in own]
        used = [rescaled.get((t.application, t.expert), t.total) for t in own]
        if rule == Rule.TRIMMED_MEAN:
            score, dropped = trimmed_mean(used)
        else:
            score, dropped = _mean(used), ()
        spread = rounded(statistics.stdev([float(v) for v in used])) if len(used) >= 2 else Decimal("0.00")
        adjustment = Decimal(adjustments.get(application, 0))
        results[application] = Result(
            application=application,
            count=len(own),
            raw_mean=_mean(raw),
            used=tuple(used),
            dropped=dropped,
            score=score,
            adjustment=adjustment,
            final=rounded(min(max(score + adjustment, Decimal(0)), MAX_SCORE)),
            spread=spread,
            disagreement=len(used) >= 2 and spread >= threshold,
        )
    return results


def ranking(results: Iterable[Result], tie_break: Mapping[Hashable, str]) -> list[Result]:
    """Return results best first; equal finals are ordered by `tie_break` (the application number)."""
    return sorted(results, key=lambda r: (-r.final, -r.score, tie_break.get(r.application, "")))
