"""Dynamic tracking on the announced demo batch's units: an earlier round, closed, in which one
unit was revoked; and this year's round, past its due date but still open, with a report rated
良好, one flagged below the 20% service share, and one unit that has not reported (逾期未交).

Everything goes through the tracking services with the clock moved into the past (a due date
cannot be waited for); figures are set from each unit's own application, so only the intended
flags appear.
"""

from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from django.utils import timezone

from shifan.accounts.models import User

EARLIER_ROUND = "2024年上半年服务型制造示范单位运行情况报告"
CURRENT_ROUND = "2024年度服务型制造示范单位运行情况报告"


def _moment(day: date, hour: int = 10) -> datetime:
    return datetime.combine(day, time(hour, 0), tzinfo=timezone.get_current_timezone())


def _data(unit: Any, *, growth: str, share: str, work: str, experience: str) -> dict[str, str]:
    """Return posted inputs of a complete report: revenue `growth` times the application's, at `share`%."""
    from shifan.tracking.services import baseline_of

    before = baseline_of(unit).operating_revenue or Decimal(12000)
    revenue = (before * Decimal(growth)).quantize(Decimal(1))
    service = (revenue * Decimal(share) / 100).quantize(Decimal(1))
    return {
        "total_assets": str((revenue * Decimal("1.6")).quantize(Decimal(1))),
        "operating_revenue": str(revenue),
        "service_revenue": str(service),
        "net_profit": str((revenue * Decimal("0.07")).quantize(Decimal(1))),
        "rd_intensity": "4.2",
        "employees": "460",
        "work_done": work,
        "experience": experience,
        "events__rows": "1",
        "events__0__name": "广东省服务型制造现场交流会",
        "events__0__date": "2024-09-12",
        "events__0__organiser": "广东省工业和信息化厅",
        "events__0__role": "speaker",
        "major_accident": "no",
    }


def _member(unit: Any) -> User:
    membership = unit.organisation.memberships.select_related("user").order_by("-is_admin", "pk").first()
    return membership.user


def load_tracking_stage(province: User, batch_name: str) -> None:
    from shifan.programs.models import Batch
    from shifan.tracking import services

    batch = Batch.objects.get(name=batch_name)
    units = services.units_for_round(batch=batch)
    enterprises = [unit for unit in units if unit.category == "enterprise"]
    platforms = [unit for unit in units if unit.category == "platform"]
    if len(enterprises) < 2 or not platforms:
        return
    today = timezone.localdate()

    # The earlier round: every unit reported; one platform's business had collapsed and it was revoked.
    opened, due = today - timedelta(days=200), today - timedelta(days=170)
    earlier = services.open_round(
        actor=province, title=EARLIER_ROUND, year=2024, due_on=due, batch=batch, today=opened
    )
    revoked = platforms[-1]
    for report in earlier.reports.select_related("unit"):
        unit = report.unit
        collapsed = unit == revoked
        services.submit_report(
            actor=_member(unit),
            report=report,
            data=_data(
                unit,
                growth="0.55" if collapsed else "1.05",
                share="22" if collapsed else "35",
                work="上半年平台撮合业务大幅收缩，主要服务团队调整。"
                if collapsed
                else "上半年新增远程运维和备件服务，服务合同同比增长。",
                experience="暂无。" if collapsed else "以设备运行数据为基础开展预测性维护服务。",
            ),
            now=_moment(due - timedelta(days=3)),
        )
        report.refresh_from_db()
        services.evaluate_report(
            actor=province,
            report=report,
            evaluation="revoke" if collapsed else "good",
            reason="营业收入较认定时下降45%，平台已停止订单撮合业务，经地市核实不再符合示范平台条件。"
            if collapsed
            else "",
            now=_moment(due + timedelta(days=12)),
        )
    services.close_round(actor=province, round_=earlier, now=_moment(due + timedelta(days=20)))

    # This year's round: due three days ago and still open for late reports.
    opened, due = today - timedelta(days=33), today - timedelta(days=3)
    current = services.open_round(
        actor=province, title=CURRENT_ROUND, year=2024, due_on=due, batch=batch, today=opened
    )
    reports = {report.unit_id: report for report in current.reports.select_related("unit")}
    good, flagged = enterprises[0], enterprises[1]
    services.submit_report(
        actor=_member(good),
        report=reports[good.pk],
        data=_data(
            good,
            growth="1.12",
            share="43",
            work="全年承接整线总集成项目9个，上线设备远程运维平台，服务收入同比增长18%。",
            experience="按产线运行指标与客户结算服务费，把服务质量写进合同。",
        ),
        now=_moment(due - timedelta(days=6)),
    )
    services.evaluate_report(
        actor=province,
        report=reports[good.pk],
        evaluation="good",
        reason="服务收入占比稳步提高，经验可在全省推广。",
        now=_moment(due + timedelta(days=1)),
    )
    services.submit_report(
        actor=_member(flagged),
        report=reports[flagged.pk],
        data=_data(
            flagged,
            growth="1.02",
            share="15",
            work="受下游订单调整影响，定制化设计服务项目减少，产品销售占比回升。",
            experience="设计服务与产品销售捆绑报价，降低中小客户的首次使用门槛。",
        ),
        now=_moment(due - timedelta(days=1)),
    )
    # Reminders as the worker sent them: a week and a day before, and once the day after.
    for moment in (due - timedelta(days=7), due - timedelta(days=1), due + timedelta(days=1)):
        services.send_reminders(now=_moment(moment, 8))
