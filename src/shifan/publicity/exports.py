"""Registers officers download: the objections of a notice, the demonstration units."""

from collections.abc import Iterable

from django.utils import timezone
from openpyxl import Workbook

from shifan.core.sheets import body_row, header_row, title_row
from shifan.publicity.models import DemonstrationUnit, Notice

OBJECTION_COLUMNS = [
    ("受理编号", 18),
    ("提交时间", 17),
    ("被异议单位", 32),
    ("类别", 10),
    ("所在地市", 10),
    ("异议人类型", 9),
    ("异议人", 20),
    ("联系电话", 15),
    ("统一社会信用代码", 21),
    ("联系人", 10),
    ("异议事实和理由", 50),
    ("状态", 12),
    ("核查情况", 40),
    ("处理意见", 40),
    ("处理时间", 17),
]

UNIT_COLUMNS = [
    ("通告文号", 24),
    ("类别", 10),
    ("序号", 6),
    ("单位名称", 34),
    ("所在地市", 10),
    ("有效期起", 12),
    ("有效期至", 12),
    ("状态", 8),
    ("推荐国家级遴选", 10),
    ("优先次序", 8),
    ("推荐理由", 40),
]


def objections_workbook(notice: Notice) -> Workbook:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = "异议登记"
    title_row(sheet, f"{notice.title}：异议登记表", len(OBJECTION_COLUMNS))
    title_row(
        sheet,
        f"公示期 {notice.starts_on:%Y-%m-%d} 至 {notice.ends_on:%Y-%m-%d}；"
        f"导出日期 {timezone.localdate():%Y-%m-%d}；含异议人身份信息，仅限省工信厅内部使用",
        len(OBJECTION_COLUMNS),
        size=11,
    )
    header = header_row(sheet, OBJECTION_COLUMNS)
    for objection in notice.objections.select_related("entry").order_by("submitted_at", "id"):
        entry = objection.entry
        body_row(
            sheet,
            [
                objection.reference,
                objection.submitted_at,
                entry.unit_name,
                entry.category_name,
                entry.city_name,
                objection.get_objector_kind_display(),
                objection.name,
                objection.phone,
                objection.credit_code,
                objection.contact_person,
                objection.grounds,
                objection.get_state_display(),
                objection.findings,
                objection.decision_reason,
                objection.decided_at,
            ],
        )
    sheet.freeze_panes = sheet.cell(row=header + 1, column=1)
    return workbook


def units_workbook(units: Iterable[DemonstrationUnit]) -> Workbook:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = "示范单位"
    title_row(sheet, "广东省服务型制造示范单位名单", len(UNIT_COLUMNS))
    header = header_row(sheet, UNIT_COLUMNS)
    for unit in units:
        body_row(
            sheet,
            [
                unit.announcement.number,
                unit.category_name,
                unit.position,
                unit.unit_name,
                unit.city_name,
                unit.valid_from,
                unit.valid_until,
                unit.get_status_display(),
                "是" if unit.national_recommended else "",
                unit.national_priority or "",
                unit.national_note,
            ],
        )
    sheet.freeze_panes = sheet.cell(row=header + 1, column=1)
    return workbook
