"""The dashboard's charts: each one is data (axis labels and series) drawn by ECharts in the page
(`static/shifan/dashboard.js`) and written, the same data, to an Excel sheet on download.

A chart is built only when asked for: the page builds all of them, a download only its own.

Its words (title, axis, note, series, description, the stages, outcomes and states) are
translated as it is built, in the language of the request; the script draws only what it is
sent. The names of things from the spec and the reference data (categories, modes, cities,
industries) are shown in Chinese, as the forms and lists show them on the English pages too.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from openpyxl import Workbook

from shifan.applications.models import ApplicationState
from shifan.core import reference, sheets
from shifan.dashboard import selectors
from shifan.dashboard.selectors import ELIGIBILITY_ORDER, SCORE_BINS, STAGES, Scope
from shifan.programs.models import Batch

# Shown first when the city chart opens; the other stages are a click on the legend away.
CITY_STAGES_SHOWN = ("submitted", "recommended", "recognised")
TOP_INDUSTRIES = 15


@dataclass
class Series:
    name: str
    values: list[int | None]
    kind: str = "bar"  # or "line"
    shown: bool = True


@dataclass
class Chart:
    key: str
    title: str
    axis: str  # what the labels are: 城市, 阶段, …; the first column of the sheet
    labels: list[str]
    series: list[Series]
    horizontal: bool = False
    stacked: bool = False
    note: str = ""
    # Rows of the sheet beyond the chart's labels (e.g. industries past the first fifteen).
    extra_rows: list[tuple[str, list[int | None]]] = field(default_factory=list)

    def as_data(self) -> dict[str, Any]:
        """Return what the page's script draws (json_script)."""
        return {
            "title": self.title,
            # Drawn over an empty chart by the script, which has no translations of its own.
            "empty": _("暂无数据"),
            "labels": self.labels,
            "horizontal": self.horizontal,
            "stacked": self.stacked,
            "series": [
                {"name": s.name, "values": s.values, "kind": s.kind, "shown": s.shown} for s in self.series
            ],
        }

    def description(self) -> str:
        """Return what the chart shows in words, for a screen reader (the chart's aria-describedby).

        The kind of chart, what its labels are and how many, its series and each one's largest
        value; the whole data is in the table beneath the chart.
        """
        kinds = {s.kind for s in self.series}
        kind = _("折线图") if kinds == {"line"} else _("柱状图") if kinds == {"bar"} else _("柱状图与折线图")
        parts = [
            _("%(kind)s，按%(axis)s共 %(count)d 项，系列：%(series)s。")
            % {
                "kind": kind,
                "axis": self.axis,
                "count": len(self.labels),
                "series": pgettext("list separator", "、").join(s.name for s in self.series),
            }
        ]
        for s in self.series:
            known = [(value, label) for label, value in zip(self.labels, s.values, strict=True) if value]
            if known:
                value, label = max(known, key=lambda pair: pair[0])
                highest = {"series": s.name, "label": label, "value": value}
                parts.append(_("%(series)s最多为%(label)s：%(value)s。") % highest)
        if not any(value for s in self.series for value in s.values):
            parts.append(_("暂无数据。"))
        parts.append(_("各项数值见图下的数据表。"))
        return "".join(parts)

    def rows(self) -> list[tuple[str, list[int | None]]]:
        """Return (label, values by series) for every row of the sheet."""
        chart_rows = [(label, [s.values[i] for s in self.series]) for i, label in enumerate(self.labels)]
        return chart_rows + self.extra_rows

    def workbook(self, *, batch: Batch | None, scope_label: str) -> bytes:
        book = Workbook()
        sheet = book.active
        assert sheet is not None
        sheet.title = self.title[:31]
        columns = [(self.axis, 24.0)] + [(s.name, 14.0) for s in self.series]
        sheets.title_row(sheet, self.title, len(columns))
        subtitle = pgettext("clause separator", "；").join(
            part for part in (batch.name if batch else "", scope_label, self.note) if part
        )
        if subtitle:
            sheets.title_row(sheet, subtitle, len(columns), size=11)
        sheets.header_row(sheet, columns)
        for label, values in self.rows():
            sheets.body_row(sheet, [label, *values])
        return sheets.workbook_bytes(book)


class Figures:
    """The figures of one batch and scope, each queried once, when first needed."""

    def __init__(self, batch: Batch | None, scope: Scope, *, categories: list[tuple[str, str]]) -> None:
        self.batch = batch
        self.scope = scope
        self.all_categories = list(categories)
        self.categories = [
            (key, name) for key, name in categories if not scope.category or key == scope.category
        ]

    @cached_property
    def progress(self) -> selectors.Progress:
        return selectors.progress(city_code=self.scope.city_code)

    @cached_property
    def facets(self) -> selectors.Facets:
        assert self.batch is not None
        return selectors.facets(self.batch, self.scope)

    @cached_property
    def funnel(self) -> selectors.Funnel:
        assert self.batch is not None
        return selectors.funnel(self.batch, self.scope)


def _by_category(figures: Figures, counts: dict[str, dict[str, int]], keys: list[str]) -> list[Series]:
    return [
        Series(name, [counts.get(key, {}).get(category, 0) for key in keys])
        for category, name in figures.categories
    ]


def progress_chart(figures: Figures) -> Chart:
    progress = figures.progress
    series = [
        Series(
            _("%(category)s（当年认定）") % {"category": name},
            [progress.by_year.get(year, {}).get(category, 0) for year in progress.years],
        )
        for category, name in figures.all_categories
    ]
    running, cumulative = 0, []
    for year in progress.years:
        running += sum(progress.by_year.get(year, {}).values())
        cumulative.append(running)
    this_year = timezone.localdate().year
    so_far: list[int | None] = [
        count if year <= this_year else None for year, count in zip(progress.years, cumulative, strict=True)
    ]
    series.append(Series(_("累计"), so_far, kind="line"))
    series.append(Series(_("按期达标所需（累计）"), required_path(progress, cumulative), kind="line"))
    return Chart(
        key="progress",
        title=_("示范单位认定进度"),
        axis=_("年度"),
        labels=[_("%(year)s年") % {"year": year} for year in progress.years],
        series=series,
        stacked=True,
        note=_("按通告年度统计有效示范单位（不含已撤销）"),
    )


def required_path(
    progress: selectors.Progress, cumulative: list[int], *, this_year: int | None = None
) -> list[int | None]:
    """Return the cumulative count that meets each target on time: from the count at the end of
    last year, evenly up to each target in turn, this year included (None before this year), as
    the pace on the page counts it."""
    this_year = this_year or timezone.localdate().year
    path: list[int | None] = [None] * len(progress.years)
    if this_year not in progress.years:
        return path
    start = progress.years.index(this_year)
    level, level_year = (cumulative[start - 1] if start else 0), this_year - 1
    for target in sorted(progress.targets, key=lambda t: t.year):
        if target.year <= level_year:
            continue
        goal = max(target.total, level)
        for year in range(level_year + 1, target.year + 1):
            share = (year - level_year) / (target.year - level_year)
            path[progress.years.index(year)] = round(level + (goal - level) * share)
        level, level_year = goal, target.year
    return path


def funnel_chart(figures: Figures) -> Chart:
    funnel = figures.funnel
    counts = {category: funnel.stage_counts(category=category) for category, _name in figures.categories}
    return Chart(
        key="funnel",
        title=_("申报各阶段数量"),
        axis=_("阶段"),
        labels=[stage.label for stage in STAGES],
        series=[
            Series(name, [counts[category][stage.key] for stage in STAGES])
            for category, name in figures.categories
        ],
        stacked=True,
        note=_("“已提交”含此后退回、撤回的申报；其余阶段按当前状态统计"),
    )


def states_chart(figures: Figures) -> Chart:
    funnel = figures.funnel
    counts = {category: funnel.state_counts(category=category) for category, _name in figures.categories}
    states = list(ApplicationState)
    return Chart(
        key="states",
        title=_("申报当前状态"),
        axis=_("状态"),
        labels=[str(state.label) for state in states],
        series=[
            Series(name, [counts[category][state] for state in states])
            for category, name in figures.categories
        ],
        stacked=True,
    )


def cities_chart(figures: Figures) -> Chart:
    funnel = figures.funnel
    cities = reference.cities()
    category = figures.scope.category or None
    counts = {city.code: funnel.stage_counts(city_code=city.code, category=category) for city in cities}
    return Chart(
        key="cities",
        title=_("各地市申报情况"),
        axis=_("地市"),
        labels=[city.name for city in cities],
        series=[
            Series(
                stage.label,
                [counts[city.code][stage.key] for city in cities],
                shown=stage.key in CITY_STAGES_SHOWN,
            )
            for stage in STAGES
        ],
    )


def modes_chart(figures: Figures) -> Chart:
    assert figures.batch is not None
    mode_list = selectors.modes_of(figures.batch)
    counts = selectors.modes(figures.batch, figures.scope, found=figures.facets)
    return Chart(
        key="modes",
        title=_("服务型制造模式"),
        axis=_("模式"),
        labels=[mode.label for mode in mode_list],
        series=_by_category(figures, counts, [mode.key for mode in mode_list]),
        horizontal=True,
        stacked=True,
        note=_("已提交的申报（不含暂存、已撤回），可多选；示范平台选“共享制造”或“其他模式”下的各项"),
    )


def industries_chart(figures: Figures) -> Chart:
    assert figures.batch is not None
    counts = selectors.industries(figures.batch, figures.scope, found=figures.facets)
    ordered = sorted(counts, key=lambda code: (-sum(counts[code].values()), code))
    shown, rest = ordered[:TOP_INDUSTRIES], ordered[TOP_INDUSTRIES:]
    chart = Chart(
        key="industries",
        title=_("所属行业"),
        axis=_("行业"),
        labels=[selectors.industry_label(code) for code in shown],
        series=_by_category(figures, counts, shown),
        horizontal=True,
        stacked=True,
        note=_("已提交的申报；图中为申报最多的 %(count)s 个行业，表格列出全部") % {"count": TOP_INDUSTRIES},
    )
    chart.extra_rows = [
        (
            selectors.industry_label(code),
            [counts[code].get(category, 0) for category, _name in figures.categories],
        )
        for code in rest
    ]
    return chart


def eligibility_chart(figures: Figures) -> Chart:
    assert figures.batch is not None
    counts = selectors.eligibility(figures.batch, figures.scope)
    keys = [outcome.value for outcome in ELIGIBILITY_ORDER]
    return Chart(
        key="eligibility",
        title=_("申报条件核验结果"),
        axis=_("结果"),
        labels=[selectors.eligibility_label(key) for key in keys],
        series=_by_category(figures, counts, keys),
        stacked=True,
        note=_("每份申报按最近一次核验中最严重的一项计"),
    )


def scores_chart(figures: Figures) -> Chart:
    assert figures.batch is not None
    counts = selectors.scores(figures.batch, figures.scope)
    keys = [key for _low, _high, key in SCORE_BINS]
    return Chart(
        key="scores",
        title=_("专家评审得分分布"),
        axis=_("得分"),
        labels=[selectors.score_bin_label(key) for key in keys],
        series=_by_category(figures, counts, keys),
        stacked=True,
        note=_("已提交评分的申报，按批次汇总规则（去极值、标准化、答辩调整）后的最终得分"),
    )


def tracking_charts(counts: Mapping[str, Mapping[str, int]]) -> list[Chart]:
    """The tracking app's reports by state and by evaluation, once any report exists.

    `counts` is `tracking.selectors.evaluation_counts()`: {"states": {state: n}, "evaluations":
    {evaluation or "none": n}}.
    """
    if not sum((counts.get("states") or {}).values()):
        return []
    labels = selectors.tracking_labels()
    states = dict(counts.get("states") or {})
    evaluations = dict(counts.get("evaluations") or {})
    reports, note = _("报告数"), _("全部跟踪轮次的示范单位报告")
    return [
        Chart(
            key="reports",
            title=_("年度报告提交情况"),
            axis=_("状态"),
            labels=[labels.get(key, key) for key in states],
            series=[Series(reports, list(states.values()))],
            note=note,
        ),
        Chart(
            key="evaluations",
            title=_("跟踪评价结果"),
            axis=_("评价"),
            labels=[labels.get(key, key) for key in evaluations],
            series=[Series(reports, list(evaluations.values()))],
            note=note,
        ),
    ]


BUILDERS: dict[str, Callable[[Figures], Chart]] = {
    "progress": progress_chart,
    "funnel": funnel_chart,
    "states": states_chart,
    "cities": cities_chart,
    "modes": modes_chart,
    "industries": industries_chart,
    "eligibility": eligibility_chart,
    "scores": scores_chart,
}
TRACKING_CHARTS = ("reports", "evaluations")
# Charts of one batch (the others are of the whole programme).
BATCH_CHARTS = ("funnel", "states", "cities", "modes", "industries", "eligibility", "scores")
# What a city officer does not see: the city chart (one city) and the expert scores.
PROVINCE_ONLY = frozenset({"cities", "scores"})
