"""The programme's figures for the dashboard, counted in the database.

Every function here runs a fixed number of aggregate queries (GROUP BY with conditional counts),
whatever the number of applications: the page at 10,000 applications costs what it costs at ten
(see `bench/dashboard.py`). The applications' counts read one index alone
(`application_dashboard`: batch, category, state, city, submission, eligibility summary and the
choices the database keeps from the answers), never the answers themselves, so they are counted
afresh on every request and are never stale. Only the review scores are combined in Python, by
the expert review's own aggregation (trimmed mean, standardisation), over one row per submitted
score sheet: those are computed once per batch and cached under a fingerprint of the rows they
are computed from (`_cached`). What is cached is counts by key, never words, so one entry serves
the readers of every language; the labels are translated when a chart is built.

A `Scope` narrows every figure to one city (a city officer's own) and optionally one category.
Drafts and withdrawn applications are private to their applicants: they are counted in the
funnel's first stage, never looked into (modes, industries and eligibility read only the others).
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from itertools import chain
from typing import Any, TypeVar

from django.conf import settings
from django.core.cache import cache
from django.db.models import (
    Count,
    F,
    Max,
    Q,
    QuerySet,
    Sum,
)
from django.db.models.functions import ExtractYear
from django.utils import timezone
from django.utils.translation import gettext, gettext_noop

from shifan.accounts.models import Organisation
from shifan.applications.answers import options_for
from shifan.applications.models import Application, ApplicationState
from shifan.applications.selectors import PRIVATE_STATES
from shifan.core import reference
from shifan.eligibility import rules
from shifan.eligibility.rules import OUTCOME_LABELS, Outcome
from shifan.expert_review.models import Assignment, AssignmentState, Hearing
from shifan.expert_review.selectors import batch_results
from shifan.programs.models import Batch
from shifan.publicity.models import DemonstrationUnit, UnitStatus
from shifan.tracking.models import Evaluation, ReportState
from shifan.tracking.selectors import evaluation_counts

S = ApplicationState
T = TypeVar("T")
# The review scores are kept this long at most; a change of what they are computed from changes
# their key at once (see `_cached`).
CACHE_SECONDS = 60 * 60


def _cached(key: Any, compute: Callable[[], T]) -> T:
    """Return `compute()`, kept in the cache under `key`.

    The key holds a fingerprint of the rows the figure is computed from (their count, sum of ids
    and totals, latest submission, one cheap aggregate query): aggregating 22,500 score sheets
    costs a third of a second, checking that none changed costs milliseconds.
    """
    digest = hashlib.sha256(repr(key).encode()).hexdigest()
    name = f"shifan:dashboard:{digest}"
    value = cache.get(name)
    if value is None:
        value = compute()
        cache.set(name, value, CACHE_SECONDS)
    return value  # type: ignore[no-any-return]


@dataclass(frozen=True)
class Stage:
    key: str
    name: str  # in Chinese, the message id of `label`
    # The states an application is in once it has passed this stage. 未入选 counts as reviewed
    # (it may have reached the notice before an objection, which the state alone does not tell).
    states: frozenset[str]

    @property
    def label(self) -> str:
        """Return the stage's name in the reader's language."""
        return gettext(self.name)


AFTER_REVIEW = frozenset({S.IN_REVIEW, S.PROPOSED, S.NOT_SELECTED, S.IN_NOTICE, S.RECOGNISED})
AFTER_ACCEPTANCE = AFTER_REVIEW | {S.ACCEPTED}
AFTER_RECOMMENDATION = AFTER_ACCEPTANCE | {S.RECOMMENDED}

# The funnel from drafts to recognised. "submitted" is read from `submitted_at` (ever submitted,
# whatever happened since), the others from the current state.
STAGES: tuple[Stage, ...] = (
    Stage("created", gettext_noop("填报（含暂存）"), frozenset(S.values)),
    Stage("submitted", gettext_noop("已提交"), frozenset()),
    Stage("recommended", gettext_noop("地市推荐"), AFTER_RECOMMENDATION),
    Stage("accepted", gettext_noop("省厅受理"), AFTER_ACCEPTANCE),
    Stage("reviewed", gettext_noop("专家评审"), AFTER_REVIEW),
    Stage("proposed", gettext_noop("拟认定"), frozenset({S.PROPOSED, S.IN_NOTICE, S.RECOGNISED})),
    Stage("recognised", gettext_noop("已认定"), frozenset({S.RECOGNISED})),
)

# Score bins of the distribution: below 60, then five points wide up to 100. The third item is
# the bin's key, the same in every language (the cached counts are keyed by it), shown through
# `score_bin_label`.
SCORE_BINS: tuple[tuple[Decimal, Decimal, str], ...] = (
    (Decimal(0), Decimal(60), gettext_noop("60分以下")),
    *((Decimal(low), Decimal(low + 5), f"{low}–{low + 5}") for low in range(60, 100, 5)),
)

ELIGIBILITY_ORDER = (Outcome.PASS, Outcome.WARNING, Outcome.JUDGMENT, Outcome.MISSING, Outcome.FAIL)


@dataclass(frozen=True)
class Scope:
    """Whose figures: the whole province or one city, both categories or one."""

    city_code: str = ""
    category: str = ""

    def applications(self, queryset: QuerySet[Application]) -> QuerySet[Application]:
        if self.city_code:
            # As submitted, or the organisation's city while a draft (a subquery, not a join: a
            # join would read every application's organisation).
            local = Organisation.objects.filter(city_code=self.city_code).values("pk")
            queryset = queryset.filter(Q(city_code=self.city_code) | Q(city_code="", organisation__in=local))
        if self.category:
            queryset = queryset.filter(category=self.category)
        return queryset

    def covers(self, city_code: str, category: str) -> bool:
        """Return whether a (city, category) cell of the batch-wide cached figures is in scope."""
        return (not self.city_code or city_code == self.city_code) and (
            not self.category or category == self.category
        )


@dataclass
class Target:
    year: int
    total: int
    by_category: dict[str, int]
    reached: int
    reached_by_category: dict[str, int]
    years_left: int  # counting this year, while it can still see an announcement

    @property
    def missing(self) -> int:
        return max(self.total - self.reached, 0)

    @property
    def per_year(self) -> int:
        """Units still needed each remaining year, rounded up; 0 once reached or when no year is left."""
        if self.missing == 0 or self.years_left <= 0:
            return 0
        return -(-self.missing // self.years_left)

    @property
    def percent(self) -> int:
        return min(100, round(100 * self.reached / self.total)) if self.total else 100


@dataclass
class Progress:
    """Recognised units (active, not revoked) by the year of their announcement and category."""

    years: list[int]
    by_year: dict[int, dict[str, int]]
    total: int
    by_category: dict[str, int]
    targets: list[Target]
    city_total: int | None = None  # the city's own units, for a city officer
    revoked: int = 0


def programme_categories() -> list[tuple[str, str]]:
    """Return the programme's (key, name) categories: those of the latest batch, or the usual two."""
    batch = Batch.objects.order_by("-opens_at").only("spec_text", "spec_source_name").first()
    if batch is None:
        return [("enterprise", "示范企业"), ("platform", "示范平台")]
    return [(category.key, str(category.name)) for category in batch.spec.categories]


def progress(*, city_code: str = "", today: date | None = None) -> Progress:
    """Return recognised units by announcement year and category against the programme's targets."""
    today = today or timezone.localdate()
    rows = (
        DemonstrationUnit.objects.values("category", year=ExtractYear("announcement__issued_on"))
        .annotate(
            active=Count("id", filter=Q(status=UnitStatus.ACTIVE)),
            revoked=Count("id", filter=Q(status=UnitStatus.REVOKED)),
            own=Count("id", filter=Q(status=UnitStatus.ACTIVE, city_code=city_code)),
        )
        .order_by("year", "category")
    )
    by_year: dict[int, dict[str, int]] = {}
    revoked = own = 0
    for row in rows:
        if row["active"]:
            by_year.setdefault(row["year"], Counter())[row["category"]] += row["active"]
        revoked += row["revoked"]
        own += row["own"]
    targets_config: list[dict[str, Any]] = settings.SHIFAN_TARGETS
    last_year = max([t["year"] for t in targets_config] + list(by_year))
    first_year = min(list(by_year) + [today.year])
    years = list(range(first_year, last_year + 1))
    targets = []
    for config in targets_config:
        counted = [counts for year, counts in by_year.items() if year <= config["year"]]
        by_category: Counter[str] = Counter()
        for counts in counted:
            by_category.update(counts)
        targets.append(
            Target(
                year=config["year"],
                total=config["total"],
                by_category=dict(config["categories"]),
                reached=sum(by_category.values()),
                reached_by_category=dict(by_category),
                years_left=max(config["year"] - today.year + 1, 0),
            )
        )
    all_categories: Counter[str] = Counter()
    for counts in by_year.values():
        all_categories.update(counts)
    return Progress(
        years=years,
        by_year={year: dict(counts) for year, counts in by_year.items()},
        total=sum(all_categories.values()),
        by_category=dict(all_categories),
        targets=targets,
        city_total=own if city_code else None,
        revoked=revoked,
    )


@dataclass
class Funnel:
    """How many applications of a batch reached each stage, by city and category."""

    # {(city code, category): {stage key: count}}
    cells: dict[tuple[str, str], dict[str, int]] = field(default_factory=dict)
    # {(city code, category): {state: count}}: where they are now
    states: dict[tuple[str, str], dict[str, int]] = field(default_factory=dict)

    def stage_counts(self, *, city_code: str | None = None, category: str | None = None) -> dict[str, int]:
        totals: Counter[str] = Counter(dict.fromkeys((stage.key for stage in STAGES), 0))
        for (city, cat), counts in self.cells.items():
            if (city_code is None or city == city_code) and (category is None or cat == category):
                totals.update(counts)
        return dict(totals)

    def state_counts(self, *, category: str | None = None) -> dict[str, int]:
        totals: Counter[str] = Counter(dict.fromkeys(S.values, 0))
        for (_city, cat), counts in self.states.items():
            if category is None or cat == category:
                totals.update(counts)
        return dict(totals)


def funnel(batch: Batch, scope: Scope) -> Funnel:
    """Return the batch's funnel in a GROUP BY over (city, category, state).

    An application's city is the one it was submitted from, or its organisation's while it is a
    draft never submitted: those few are counted by a second GROUP BY joined to the
    organisations, so that the first reads the dashboard's index alone.
    """
    applications = scope.applications(Application.objects.filter(batch=batch))
    counts = {"count": Count("id"), "submitted": Count("id", filter=Q(submitted_at__isnull=False))}
    submitted = applications.exclude(city_code="").values("category", "state", city=F("city_code"))
    drafts = applications.filter(city_code="").values("category", "state", city=F("organisation__city_code"))
    result = Funnel()
    for row in chain(submitted.annotate(**counts).order_by(), drafts.annotate(**counts).order_by()):
        key = (row["city"], row["category"])
        cell = result.cells.setdefault(key, {stage.key: 0 for stage in STAGES})
        for stage in STAGES:
            if stage.key == "submitted":
                cell[stage.key] += row["submitted"]
            elif row["state"] in stage.states:
                cell[stage.key] += row["count"]
        result.states.setdefault(key, Counter())[row["state"]] += row["count"]
    return result


def _shared(batch: Batch, scope: Scope) -> QuerySet[Application]:
    """The applications whose answers officers may read: submitted at least once, not withdrawn."""
    return scope.applications(Application.objects.filter(batch=batch).exclude(state__in=PRIVATE_STATES))


@dataclass(frozen=True)
class Mode:
    key: str
    label: str


def modes_of(batch: Batch) -> list[Mode]:
    """Return the service-oriented manufacturing modes the batch's forms offer, in form order.

    The enterprise form's `modes` and the platform form's `main_mode` (共享制造) and `other_modes`
    name the same nine modes (and 其他) with the same keys; the first label met is kept.
    """
    seen: dict[str, str] = {}
    for category in batch.spec.categories:
        for key in ("modes", "main_mode", "other_modes"):
            try:
                form_field = category.form.field(key)
            except KeyError:
                continue
            for option_key, label in options_for(form_field):
                if option_key == "other_modes":
                    continue  # 其他模式 is the platform's second kind, not a mode
                seen.setdefault(option_key, str(label).removesuffix("（请简述）"))
    return [Mode(key, label) for key, label in seen.items()]


@dataclass
class Facets:
    """Modes and industries of a batch's shared applications: {key: {category: applications}}."""

    modes: dict[str, dict[str, int]]
    industries: dict[str, dict[str, int]]


def facets(batch: Batch, scope: Scope) -> Facets:
    """Return the modes and industries chosen in the scope.

    Two GROUP BYs over the choices the database keeps from the answers (`Application.chosen_modes`
    and `chosen_industry`): one row per category and distinct choice, however many applications
    made it. A mode was chosen when its key is in the text in double quotes.
    """
    shared = _shared(batch, scope)
    keys = [mode.key for mode in modes_of(batch)]
    modes: dict[str, Counter[str]] = {key: Counter() for key in keys}
    for category, chosen, count in (
        shared.values_list("category", "chosen_modes").annotate(Count("id")).order_by()
    ):
        for key in keys:
            if f'"{key}"' in chosen:
                modes[key][category] += count
    industries: dict[str, Counter[str]] = {}
    for category, code, count in (
        shared.values_list("category", "chosen_industry").annotate(Count("id")).order_by()
    ):
        industries.setdefault(code, Counter())[category] += count
    return Facets(
        modes={key: dict(counts) for key, counts in modes.items()},
        industries={code: dict(counts) for code, counts in industries.items()},
    )


def modes(batch: Batch, scope: Scope, *, found: Facets | None = None) -> dict[str, dict[str, int]]:
    """Return {mode key: {category: applications that chose it}}, every mode of the forms present."""
    counts = (found or facets(batch, scope)).modes
    categories = [category.key for category in batch.spec.categories]
    return {
        mode.key: {category: counts.get(mode.key, {}).get(category, 0) for category in categories}
        for mode in modes_of(batch)
    }


def industries(batch: Batch, scope: Scope, *, found: Facets | None = None) -> dict[str, dict[str, int]]:
    """Return {industry code: {category: applications}} ("" for none chosen)."""
    return (found or facets(batch, scope)).industries


def industry_label(code: str) -> str:
    """Return the industry as the forms show it: the reference data's Chinese name (none chosen:
    in the reader's language)."""
    if not code:
        return gettext("未填写")
    try:
        industry = reference.industry(code)
    except KeyError:
        return code
    return f"{industry.code} {industry.name}" if industry.manufacturing else industry.name


def eligibility(batch: Batch, scope: Scope) -> dict[str, dict[str, int]]:
    """Return {outcome: {category: applications}} by each application's latest check.

    An application's outcome is the most serious of its rules' outcomes (`worst_outcome`), read
    from the summary of its latest check that the application keeps (`Application.
    eligibility_summary`, empty until a first check): one GROUP BY of the summaries as stored,
    one row per category and distinct summary.
    """
    rows = (
        _shared(batch, scope)
        .exclude(eligibility_summary={})
        .values_list("category", "eligibility_summary")
        .annotate(Count("id"))
        .order_by()
    )
    result: dict[str, Counter[str]] = {}
    for category, summary, count in rows:
        result.setdefault(worst_outcome(summary), Counter())[category] += count
    return {outcome: dict(counts) for outcome, counts in result.items()}


def worst_outcome(summary: Mapping[str, int]) -> str:
    """Return the most serious outcome with a result in a check's summary (符合 when none other)."""
    return rules.worst([outcome for outcome in Outcome if summary.get(outcome.value, 0) > 0]).value


def eligibility_label(outcome: str) -> str:
    """Return the outcome's name in the reader's language.

    The rules name their outcomes in Chinese without Django (`rules` is pure Python); the same
    names are the message ids of the checklist's badges (`eligibility/_checklist.html`).
    """
    return gettext(OUTCOME_LABELS[Outcome(outcome)])


def scores(batch: Batch, scope: Scope) -> dict[str, dict[str, int]]:
    """Return {bin label: {category: applications}} of the final review scores (with hearings).

    The scores are the expert review's own (`expert_review.selectors.batch_results`: two queries,
    then Python over one row per submitted score sheet), so the figures match the ranking page;
    their counts by city, category and bin are cached until a score sheet, a hearing or the
    batch's aggregation settings change.
    """
    # What `batch_results` reads: the published, submitted sheets' experts and totals, the
    # hearings' adjustments by application, the batch's settings.
    sheets = Assignment.objects.filter(
        batch=batch, state=AssignmentState.PUBLISHED, submitted_at__isnull=False
    ).aggregate(
        count=Count("id"),
        ids=Sum("id"),
        experts=Sum("expert_id"),
        last=Max("submitted_at"),
        total=Sum("total"),
    )
    hearings = Hearing.objects.filter(application__batch=batch).aggregate(
        count=Count("id"), applications=Sum("application_id"), adjustment=Sum("adjustment")
    )
    settings_key = (batch.aggregation_rule, batch.standardise_scores, batch.disagreement_threshold)
    binned = _cached(("scores", batch.pk, sheets, hearings, settings_key), lambda: _binned_scores(batch))
    counts: dict[str, dict[str, int]] = {label: Counter() for _low, _high, label in SCORE_BINS}
    for (city, category, label), count in binned.items():
        if scope.covers(city, category):
            counts[label][category] += count
    return counts


def _binned_scores(batch: Batch) -> dict[tuple[str, str, str], int]:
    """Return {(city, category, bin label): applications} of the batch's scored applications."""
    results = batch_results(batch)
    binned: Counter[tuple[str, str, str]] = Counter()
    # Unordered: the model's default order would read every row instead of the dashboard's index.
    where = Application.objects.filter(batch=batch).values_list("pk", "city_code", "category").order_by()
    for pk, city, category in where:
        if pk in results:
            binned[city, category, score_bin(results[pk].final)] += 1
    return dict(binned)


def score_bin_label(key: str) -> str:
    """Return a score bin's label in the reader's language (the numbered bins are their own)."""
    return gettext(key)


def score_bin(score: Decimal) -> str:
    for low, high, label in SCORE_BINS:
        if low <= score < high:
            return label
    return SCORE_BINS[-1][2]  # 100 itself falls in the last bin


def tracking_counts() -> Mapping[str, Mapping[str, int]]:
    """Return the tracking app's report and evaluation counts (all rounds)."""
    return evaluation_counts(batch=None)


def tracking_labels() -> dict[str, str]:
    """Return the names of report states and evaluations in the reader's language ("none": not
    evaluated yet)."""
    labels = {str(key): str(label) for key, label in [*ReportState.choices, *Evaluation.choices]}
    return {**labels, "none": gettext("未评价")}


def batches() -> Sequence[Batch]:
    """Return every batch, latest first (whole rows: the scores read the aggregation settings)."""
    return list(Batch.objects.order_by("-opens_at"))
