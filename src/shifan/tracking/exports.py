"""The round's workbook: every unit with its state, figures, flags and evaluation.

The reports should come with `unit__application__batch` selected: each row reads its batch's spec.
"""

from collections.abc import Callable, Iterable
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


def _figures(report: Report) -> Callable[[str], object]:
    """Return the report's figure of a role of TRACKING_ROLES, "" while unsubmitted or absent."""
    # The spec names the field of each role; service_revenue may have none.
    tracking = report.unit.application.batch.spec.tracking
    roles = tracking.fields if tracking else {}
    answers = report.answers or {}

    def figure(role: str) -> object:
        key = roles.get(role)
        value = number(answers.get(key)) if report.submitted_at and key else None
        return float(value) if value is not None else ""

    return figure


def round_workbook(round_: Round, reports: Iterable[Report], today: date) -> Workbook:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = "运行情况报告"
    title_row(sheet, round_.title, len(COLUMNS))
    header = header_row(sheet, COLUMNS)
    for report in reports:
        figure = _figures(report)

        body_row(
            sheet,
            [
                report.unit.unit_name,
                report.unit.category_name,
                report.unit.city_name,
                report.state_label(today),
                report.submitted_at,
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
