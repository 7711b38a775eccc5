"""The city's 推荐汇总表 as an Excel workbook, in the columns such tables carry.

The 工作方案及申报指南 prescribes no 推荐汇总表: its columns are the programme's own choice, and the
workbook says so under its title. It prints on A4 landscape, fitted to the page width, with the
title and column headings repeated on every page.
"""

from typing import Any

from django.utils import timezone
from openpyxl import Workbook

from shifan.applications import answers as answer_rules
from shifan.applications.models import unit_facts
from shifan.applications.selectors import latest_snapshot
from shifan.core import reference
from shifan.core.sheets import body_row, header_row, print_landscape, title_row, workbook_bytes
from shifan.programs.models import Batch
from shifan.reviews.models import Recommendation

COLUMNS = [
    ("推荐排序", 9),
    ("申报编号", 20),
    ("申报单位", 34),
    ("区县", 12),
    ("统一社会信用代码", 22),
    ("申报类别", 10),
    ("申报模式", 30),
    ("上年主营业务收入（万元）", 16),
    ("上年服务收入占比（%）", 14),
    ("联系人", 10),
    ("联系电话", 16),
    ("推荐意见", 40),
]


def _figure(answers: dict[str, Any], row: str, year: int) -> str:
    return str(((answers.get("operating") or {}).get(row) or {}).get(str(year), ""))


OWN_CHOICE_NOTE = "本表栏目为本遴选自定，工作方案及申报指南未规定推荐汇总表格式"


def _county_name(code: str) -> str:
    try:
        return reference.county(code).name if code else ""
    except KeyError:
        return code


def row_for(recommendation: Recommendation) -> list[Any]:
    application = recommendation.application
    snapshot = latest_snapshot(application)
    answers = answer_rules.computed_answers(
        application.form, snapshot.answers if snapshot else application.answers
    )
    prior_year = application.batch.application_year - 1
    revenue = answer_rules.number(_figure(answers, "main_business_revenue", prior_year))
    share = answer_rules.number(_figure(answers, "service_share", prior_year))
    # The organisation as submitted, not as it is now.
    unit = snapshot.unit if snapshot else unit_facts(application.organisation)
    return [
        recommendation.rank,
        application.number,
        unit["name"],
        _county_name(unit.get("county_code", "")),
        unit["credit_code"],
        application.category_name,
        answer_rules.modes_display(application.form, answers),
        float(revenue) if revenue is not None else "",
        float(share) if share is not None else "",
        answers.get("contact_name") or unit["contact_name"],
        answers.get("contact_phone") or unit["contact_phone"],
        recommendation.opinion,
    ]


def recommendation_summary(
    batch: Batch, city_code: str, recommendations: dict[str, list[Recommendation]]
) -> bytes:
    """Return the 推荐汇总表 of one city as .xlsx bytes: one sheet, categories in spec order."""
    city = reference.city(city_code)
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "推荐汇总表"
    title_row(sheet, f"{city.name}服务型制造示范推荐汇总表", len(COLUMNS))
    title_row(
        sheet,
        f"批次：{batch.name}    推荐单位：{city.name}工业和信息化局（盖章）    "
        f"导出日期：{timezone.localdate():%Y-%m-%d}    （{OWN_CHOICE_NOTE}）",
        len(COLUMNS),
        size=11,
    )
    header = header_row(sheet, COLUMNS)
    for category in batch.spec.categories:
        for recommendation in recommendations.get(category.key, []):
            body_row(sheet, row_for(recommendation))
    sheet.freeze_panes = sheet.cell(row=header + 1, column=1)
    print_landscape(sheet, title_rows=header)
    return workbook_bytes(workbook)
