"""The expert review's results as an Excel workbook: a ranking sheet per category, the score sheets."""

from django.utils import timezone
from openpyxl import Workbook

from shifan.core.sheets import body_row, header_row, title_row, workbook_bytes
from shifan.expert_review import selectors
from shifan.expert_review.models import Assignment, AssignmentState
from shifan.programs.models import AggregationRule, Batch

RANKING_COLUMNS = [
    ("排名", 7),
    ("申报编号", 20),
    ("申报单位", 34),
    ("所在地市", 10),
    ("已评/应评", 10),
    ("专家平均分", 11),
    ("评审得分", 11),
    ("答辩/考察调整", 12),
    ("最终得分", 11),
    ("标准差", 9),
    ("分歧较大", 9),
    ("拟认定", 8),
    ("调整理由", 36),
]


def _ranking_sheet(workbook: Workbook, batch: Batch, category_key: str, name: str, results: dict) -> None:
    sheet = workbook.create_sheet(title=f"{name}排名"[:31])
    title_row(sheet, f"{batch.name}：{name}专家评审排名", len(RANKING_COLUMNS))
    rule = AggregationRule(batch.aggregation_rule).label
    title_row(
        sheet,
        f"汇总方法：{rule}{'；按专家个人尺度标准化' if batch.standardise_scores else ''}；"
        f"名额 {batch.quota(category_key)} 个；导出日期 {timezone.localdate():%Y-%m-%d}",
        len(RANKING_COLUMNS),
        size=11,
    )
    header = header_row(sheet, RANKING_COLUMNS)
    for row in selectors.category_ranking(batch, category_key, results):
        result = row.result
        selection = row.selection
        body_row(
            sheet,
            [
                row.rank,
                row.application.number,
                row.application.applicant_name,
                row.application.city_name,
                f"{row.submitted}/{row.expected}",
                float(result.raw_mean),
                float(result.score),
                float(result.adjustment),
                float(result.final),
                float(result.spread),
                "是" if result.disagreement else "",
                ("是" if selection.selected else "否") if selection else "未标记",
                selection.departure_reason if selection else "",
            ],
        )
    sheet.freeze_panes = sheet.cell(row=header + 1, column=1)


def _sheets_sheet(workbook: Workbook, batch: Batch) -> None:
    sheet = workbook.create_sheet(title="专家评分明细")
    leaves = {category.key: list(category.rubric_leaves()) for category in batch.spec.categories}
    widest = max(leaves.values(), key=len)
    columns = [("申报编号", 20), ("申报单位", 30), ("专家", 10), ("工作单位", 24), ("状态", 8), ("总分", 8)]
    columns += [(f"指标{i}", 9) for i in range(1, len(widest) + 1)]
    columns += [("综合意见", 40)]
    header_row(sheet, columns)
    for category in batch.spec.categories:
        labels = "；".join(
            f"指标{i}={leaf.label}（{leaf.weight:g}分）" for i, leaf in enumerate(leaves[category.key], 1)
        )
        body_row(sheet, [f"{category.name}：{labels}"])
        for item in (
            Assignment.objects.filter(batch=batch, application__category=category.key)
            .exclude(state=AssignmentState.PROPOSED)
            .select_related("application__organisation", "expert__expert_profile")
            .order_by("application__number", "id")
        ):
            scores = [
                float(item.scores[leaf.key]) if leaf.key in item.scores else ""
                for leaf in leaves[category.key]
            ]
            scores += [""] * (len(widest) - len(scores))
            body_row(
                sheet,
                [
                    item.application.number,
                    item.application.applicant_name,
                    item.expert.name,
                    item.expert.expert_profile.employer,
                    item.status_label,
                    float(item.total) if item.total is not None else "",
                    *scores,
                    item.overall_comment,
                ],
            )
    sheet.freeze_panes = "C2"


def results_workbook(batch: Batch) -> bytes:
    """Return the ranking of every category and every score sheet as .xlsx bytes."""
    workbook = Workbook()
    workbook.remove(workbook.active)
    results = selectors.batch_results(batch)
    for category in batch.spec.categories:
        _ranking_sheet(workbook, batch, category.key, category.name, results)
    _sheets_sheet(workbook, batch)
    return workbook_bytes(workbook)
