"""Two demo batches past the expert review: one on public notice now, one announced.

As in the review stage, everything goes through the services; only dates are moved into the past
(a notice, like a deadline, cannot be waited for). The notice batch has one objection waiting and
one being checked with the unit; the announced batch had one objection upheld and one dismissed,
and its recognised units include one recommended to the national selection.
"""

from datetime import date, datetime, time, timedelta
from typing import Any

from django.utils import timezone

from shifan.accounts.models import User

NOTICE_BATCH_NAME = "2024年广东省服务型制造示范征集（演示·公示阶段）"
ANNOUNCED_BATCH_NAME = "2024年广东省服务型制造示范征集（演示·已认定）"

NOTICE_APPLICANTS: list[tuple[str, str, dict[str, Any]]] = [
    ("e-foshan", "enterprise", {"modes": {"selected": ["customization", "lifecycle"], "other": {}}}),
    (
        "e-dongguan",
        "enterprise",
        {"modes": {"selected": ["supply_chain", "shared_manufacturing"], "other": {}}},
    ),
    ("e-shantou", "enterprise", {"modes": {"selected": ["industrial_design"], "other": {}}}),
    ("e-zhanjiang", "enterprise", {"modes": {"selected": ["green_manufacturing"], "other": {}}}),
    ("p-guangzhou", "platform", {}),
    ("p-foshan", "platform", {}),
    ("p-heyuan", "platform", {}),
]
ANNOUNCED_APPLICANTS: list[tuple[str, str, dict[str, Any]]] = [
    ("e-guangzhou", "enterprise", {"modes": {"selected": ["integration_contracting"], "other": {}}}),
    (
        "e-shenzhen",
        "enterprise",
        {"modes": {"selected": ["industrial_design", "customization"], "other": {}}},
    ),
    ("e-yangjiang", "enterprise", {"modes": {"selected": ["testing_certification"], "other": {}}}),
    ("e-yunfu", "enterprise", {"modes": {"selected": ["production_finance", "supply_chain"], "other": {}}}),
    ("p-dongguan", "platform", {}),
    ("p-jieyang", "platform", {}),
    ("p-zhuhai", "platform", {}),
]
QUOTAS = {"enterprise": 3, "platform": 2}


def _fix_list(province: User, batch: Any) -> None:
    """Mark each category's top applications within the quota and fix the list."""
    from shifan.expert_review import services as expert_review
    from shifan.expert_review.selectors import category_ranking

    for category in ("enterprise", "platform"):
        rows = category_ranking(batch, category)
        chosen = {row.application.pk for row in rows[: batch.quota(category)]}
        expert_review.mark_proposed_list(
            actor=province, batch=batch, category=category, selected=chosen, reasons={}
        )
    expert_review.fix_proposed_list(actor=province, batch=batch)


def _notice(province: User, batch: Any, starts_on: date) -> Any:
    """Publish the notice as if on `starts_on`: the period and the notices to units carry its dates."""
    from shifan.publicity import services as publicity

    return publicity.open_notice(
        actor=province,
        batch=batch,
        starts_on=starts_on,
        title=publicity.notice_title(batch),
        accept_uncovered=True,
        today=starts_on,
        contact_office="省工业和信息化厅生产服务业处",
        contact_phone="020-83133333",
    )


def _person(name: str, phone: str, grounds: str, email: str = "") -> Any:
    from shifan.publicity.services import ObjectorDetails

    return ObjectorDetails(kind="person", name=name, phone=phone, grounds=grounds, email=email)


# How long ago the announced batch's notice started: over a year, so that its recognition comes
# before the tracking stage's earlier round (200 days ago), which revokes one of its units.
ANNOUNCED_DAYS_AGO = 400


def _backdate(batch: Any, notice_starts_on: date) -> None:
    """Move a batch's call dates before its notice (the services ran them as of today): applying
    four months before the notice, the cities' recommendations and the experts' review after it."""
    from shifan.programs.models import Batch

    start = datetime.combine(notice_starts_on, time(9, 0), tzinfo=timezone.get_current_timezone())
    Batch.objects.filter(pk=batch.pk).update(
        opens_at=start - timedelta(days=120),
        closes_at=start - timedelta(days=90),
        city_deadline=start - timedelta(days=75),
        review_deadline=start - timedelta(days=30),
    )


def load_publicity_stage(province: User) -> None:
    from shifan.core import uscc
    from shifan.demo.review_stage import reviewed_batch, score_assignments
    from shifan.programs.models import Batch
    from shifan.publicity import services as publicity
    from shifan.publicity.services import ObjectorDetails

    if Batch.objects.filter(name=NOTICE_BATCH_NAME).exists():
        return
    today = timezone.localdate()

    # On notice now: started three days ago.
    batch, _applications = reviewed_batch(province, NOTICE_BATCH_NAME, NOTICE_APPLICANTS, QUOTAS)
    score_assignments(batch)
    _fix_list(province, batch)
    notice = _notice(province, batch, today - timedelta(days=3))
    entries = list(notice.entries.order_by("category", "position"))
    publicity.file_objection(
        notice=notice,
        entry=entries[0],
        details=_person(
            "陈立新",
            "13922001234",
            "该企业申报材料所列2023年服务收入中包含关联方交易，实际对外服务收入占比低于20%，请予核实。",
            "chen.lixin@example.cn",
        ),
        ip_address="192.0.2.10",
    )
    checked = publicity.file_objection(
        notice=notice,
        entry=entries[-1],
        details=ObjectorDetails(
            kind="organisation",
            name="揭阳市精工模具有限公司",
            phone="0663-8123456",
            grounds="该平台宣传的“共享模具产能”服务，我司作为入驻企业从未实际获得订单撮合，服务成效数据存疑。",
            credit_code=uscc.compose(authority="91", area="445200", body="MA5DEMX1"),
            contact_person="黄志强",
        ),
        ip_address="192.0.2.11",
    )
    publicity.send_inquiry(
        actor=province,
        objection=checked,
        addressee="unit",
        question="请说明平台2023年订单撮合的企业数量、金额，并提供撮合记录和入驻企业名单。",
        due_on=today + timedelta(days=5),
    )

    # Announced: the notice ran over a year ago; one objection upheld, one dismissed.
    batch, _applications = reviewed_batch(province, ANNOUNCED_BATCH_NAME, ANNOUNCED_APPLICANTS, QUOTAS)
    score_assignments(batch)
    _fix_list(province, batch)
    # A year ago and more: recognised well before the tracking rounds (one of which revokes a unit).
    notice = _notice(province, batch, today - timedelta(days=ANNOUNCED_DAYS_AGO))
    during = notice.starts_on + timedelta(days=2)
    entries = list(notice.entries.order_by("category", "position"))
    upheld = publicity.file_objection(
        notice=notice,
        entry=entries[1],
        details=_person("刘芳", "13800221100", "该企业2022年发生一起较大生产安全事故，申报材料未如实说明。"),
        ip_address="192.0.2.20",
        today=during,
    )
    publicity.decide_objection(
        actor=province,
        objection=upheld,
        upheld=True,
        findings="经向所在地市应急管理局核实，该企业2022年确有一起较大生产安全事故。",
        reason="不符合“近三年未发生较大及以上安全事故”的申报条件，移出拟认定名单。",
    )
    dismissed = publicity.file_objection(
        notice=notice,
        entry=entries[-1],
        details=_person("王强", "13500001111", "该平台服务企业数量与网站公布数据不一致，怀疑夸大。"),
        ip_address="192.0.2.21",
        today=during,
    )
    publicity.decide_objection(
        actor=province,
        objection=dismissed,
        upheld=False,
        findings="平台提供了服务合同台账和第三方审计报告，服务企业数量与申报一致；网站数据为2021年旧数据。",
        reason="经核查，申报数据真实，异议不成立。",
    )
    defaults = publicity.announcement_defaults(notice)
    announcement = publicity.publish_announcement(
        actor=province,
        notice=notice,
        # The document number carries the year it is issued in.
        number=f"粤工信融合函〔{(notice.ends_on + timedelta(days=6)).year}〕58号",
        title=defaults["title"],
        issued_on=notice.ends_on + timedelta(days=6),
        body=defaults["body"],
    )
    _backdate(batch, notice.starts_on)
    first = announcement.units.order_by("category", "position").first()
    if first is not None:
        publicity.recommend_nationally(
            actor=province,
            unit=first,
            recommended=True,
            priority=1,
            note="服务型制造转型成效突出，服务收入占比连续三年超过40%，建议优先推荐。",
        )
