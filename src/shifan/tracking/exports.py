"""The round's workbook: every unit with its state, figures, flags and evaluation."""

from collections.abc import Iterable
from datetime import date

from openpyxl import Workbook

from shifan.applications.answers import number
from shifan.core.sheets import body_row, header_row, title_row
from shifan.tracking.models import Report, Round, flag_summary

COLUMNS = [
    ("单位名称", 34),
    ("类别", 10),
    ("所在地市", 10),
    ("状态", 10),
    ("提交时间", 17),
    ("营业收入（万元）", 14),
    ("服务收入（万元）", 14),
    ("服务收入占比（%）", 12),
    ("提示", 50),
    ("评价", 8),
    ("评价理由", 40),
]


def round_workbook(round_: Round, reports: Iterable[Report], today: date) -> Workbook:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = "运行情况报告"
    title_row(sheet, round_.title, len(COLUMNS))
    header = header_row(sheet, COLUMNS)
    for report in reports:
        answers = report.answers or {}
        submitted = bool(report.submitted_at)

        def figure(key: str, answers: dict = answers, submitted: bool = submitted) -> object:
            value = number(answers.get(key)) if submitted else None
            return float(value) if value is not None else ""

        body_row(
            sheet,
            [
                report.unit.unit_name,
                report.unit.category_name,
                report.unit.city_name,
                report.state_label(today),
                f"{report.submitted_at:%Y-%m-%d %H:%M}" if report.submitted_at else "",
                figure("operating_revenue"),
                figure("service_revenue"),
                figure("service_share"),
                flag_summary(report.flags),
                report.get_evaluation_display(),
                report.evaluation_reason,
            ],
        )
    sheet.freeze_panes = sheet.cell(row=header + 1, column=1)
    return workbook
