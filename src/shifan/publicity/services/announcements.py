"""The announcement of recognised units and the national recommendation."""

from datetime import date, timedelta

from django.db import transaction
from django.db.models import Max
from django.urls import reverse

from shifan.accounts.models import User
from shifan.accounts.selectors import members_by_organisation
from shifan.applications import services as applications
from shifan.applications.models import ApplicationState
from shifan.core.dates import chinese_date
from shifan.core.notices import notify
from shifan.core.services import record_event
from shifan.publicity.models import (
    DECIDED_STATES,
    Announcement,
    DemonstrationUnit,
    Notice,
    NoticePhase,
    UnitStatus,
)
from shifan.publicity.services.base import (
    FieldErrors,
    PublicityError,
    _city_officers,
    _listed,
    _require_province,
)
from shifan.publicity.services.notices import sync_notice


def announcement_defaults(notice: Notice) -> dict[str, str]:
    batch = notice.batch
    year = batch.application_year
    return {
        "title": f"广东省工业和信息化厅关于公布{year}年广东省服务型制造示范名单的通告",
        "body": (
            f"根据《广东省服务型制造示范行动工作方案》，经企业申报、地市推荐、专家评审和社会公示"
            f"（{chinese_date(notice.starts_on)}至{chinese_date(notice.ends_on)}），"
            f"现将{year}年广东省服务型制造示范企业和示范平台名单予以公布（见附件）。\n"
            f"示范有效期为{batch.recognition_valid_years}年。省工业和信息化厅将对示范单位进行动态跟踪，"
            "请各地级以上市工业和信息化主管部门加强指导和支持，及时总结推广典型经验。\n特此通告。"
        ),
    }


def announcement_refusal(notice: Notice, today: date | None = None) -> str:
    """Return why the announcement cannot be published now, or ""."""
    if hasattr(notice, "announcement"):
        return "认定通告已发布。"
    if notice.phase(today) != NoticePhase.CLOSED:
        return f"公示期至{chinese_date(notice.ends_on)}，期满后才能发布认定通告。"
    pending = list(notice.objections.exclude(state__in=DECIDED_STATES).values_list("reference", flat=True))
    if pending:
        return f"还有 {len(pending)} 件异议未处理：" + "、".join(pending[:10])
    if not notice.entries.filter(removed_at=None).exists():
        return "公示名单中已没有单位。"
    return ""


def _add_years(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


@transaction.atomic
def publish_announcement(
    *,
    actor: User,
    notice: Notice,
    number: str,
    title: str,
    issued_on: date,
    body: str,
    today: date | None = None,
) -> Announcement:
    """Publish the 通告: the remaining units become recognised demonstration units."""
    _require_province(actor)
    notice = sync_notice(notice=notice, today=today)
    notice = Notice.objects.select_for_update().select_related("batch").get(pk=notice.pk)
    refusal = announcement_refusal(notice, today)
    if refusal:
        raise PublicityError(refusal)
    errors = {}
    if not number.strip():
        errors["number"] = "请填写通告文号。"
    elif Announcement.objects.filter(number=number.strip()).exists():
        errors["number"] = "该文号已被使用。"
    if not title.strip():
        errors["title"] = "请填写通告标题。"
    if not body.strip():
        errors["body"] = "请填写通告正文。"
    if issued_on < notice.ends_on:
        errors["issued_on"] = f"发布日期不能早于公示截止日期（{chinese_date(notice.ends_on)}）。"
    if errors:
        raise FieldErrors(errors)
    batch = notice.batch
    announcement = Announcement.objects.create(
        batch=batch,
        notice=notice,
        number=number.strip(),
        title=title.strip(),
        issued_on=issued_on,
        body=body.strip(),
        published_by=actor,
    )
    valid_until = _add_years(issued_on, batch.recognition_valid_years) - timedelta(days=1)
    positions: dict[str, int] = {}
    units = []
    for entry, application in _listed(notice):
        applications.change_state(
            actor=actor,
            application=application,
            to=ApplicationState.RECOGNISED,
            action="publicity.recognised",
            after={"announcement": announcement.number},
        )
        positions[entry.category] = positions.get(entry.category, 0) + 1
        units.append(
            DemonstrationUnit(
                announcement=announcement,
                application=application,
                organisation_id=application.organisation_id,
                category=entry.category,
                category_name=entry.category_name,
                position=positions[entry.category],
                unit_name=entry.unit_name,
                city_code=entry.city_code,
                city_name=entry.city_name,
                valid_from=issued_on,
                valid_until=valid_until,
            )
        )
    DemonstrationUnit.objects.bulk_create(units)
    record_event(
        actor=actor,
        action="publicity.announcement_published",
        target=announcement,
        after={"units": len(units), "issued_on": issued_on.isoformat()},
    )
    url = reverse("publicity:public_announcement", kwargs={"pk": announcement.pk})
    members = members_by_organisation([unit.organisation_id for unit in units])
    for unit in units:
        notify(
            recipients=members[unit.organisation_id],
            title=f"贵单位被认定为广东省服务型制造{unit.category_name}",
            body=(
                f"{announcement.issuer}发布{announcement.number}，贵单位被认定为{batch.application_year}年"
                f"广东省服务型制造{unit.category_name}，有效期至{chinese_date(valid_until)}。"
            ),
            url=url,
        )
    for city_code in sorted({unit.city_code for unit in units}):
        count = sum(1 for unit in units if unit.city_code == city_code)
        notify(
            recipients=_city_officers(city_code),
            title=f"认定通告已发布：本市 {count} 家单位获认定",
            body=f"{announcement.number}《{announcement.title}》已发布，本市 {count} 家单位获认定。",
            url=url,
        )
    return announcement


@transaction.atomic
def recommend_nationally(
    *, actor: User, unit: DemonstrationUnit, recommended: bool, priority: int | None, note: str
) -> DemonstrationUnit:
    """Mark (or unmark) a recognised unit for the national MIIT selection, with its priority."""
    _require_province(actor)
    unit = DemonstrationUnit.objects.select_for_update().get(pk=unit.pk)
    if recommended:
        errors = {}
        if unit.status != UnitStatus.ACTIVE or not unit.is_valid():
            errors["recommended"] = "只有有效期内的示范单位可以推荐。"
        if priority is None or priority < 1:
            errors["priority"] = "请填写推荐优先次序（1 为最优先）。"
        if not note.strip():
            errors["note"] = "请填写推荐理由。"
        if errors:
            raise FieldErrors(errors)
    before = {"recommended": unit.national_recommended, "priority": unit.national_priority}
    unit.national_recommended = recommended
    unit.national_priority = priority if recommended else None
    unit.national_note = note.strip() if recommended else ""
    unit.save(update_fields=["national_recommended", "national_priority", "national_note", "updated_at"])
    record_event(
        actor=actor,
        action="publicity.national_recommendation",
        target=unit,
        organisation_id=unit.organisation_id,
        city_code=unit.city_code,
        reason=unit.national_note,
        before=before,
        after={"recommended": recommended, "priority": unit.national_priority},
    )
    return unit


def next_priority() -> int:
    highest = DemonstrationUnit.objects.filter(national_recommended=True).aggregate(
        top=Max("national_priority")
    )
    return (highest["top"] or 0) + 1
