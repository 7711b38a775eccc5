"""Publishing a notice, its period by working days, and the effects of its phases."""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from shifan.accounts.models import User
from shifan.accounts.selectors import members_by_organisation
from shifan.applications import services as applications
from shifan.applications.answers import modes_display
from shifan.applications.models import Application, ApplicationState
from shifan.core.dates import chinese_date
from shifan.core.notices import notify
from shifan.core.services import record_event
from shifan.expert_review.models import ProposedList, Selection
from shifan.programs.models import Batch
from shifan.publicity import workdays
from shifan.publicity.calendar import calendar_overrides, complete_years
from shifan.publicity.models import (
    DECIDED_STATES,
    DEFAULT_OBJECTION_RULES,
    Notice,
    NoticeEntry,
    NoticePhase,
)
from shifan.publicity.services.base import (
    FieldErrors,
    PublicityError,
    _listed,
    _province_officers,
    _require_province,
    forget_public_notice,
)


@dataclass(frozen=True)
class NoticePeriod:
    starts_on: date
    ends_on: date
    uncovered_years: list[int]

    @property
    def warning(self) -> str:
        if not self.uncovered_years:
            return ""
        years = "、".join(f"{year}年" for year in self.uncovered_years)
        return (
            f"公示期跨入{years}：节假日安排尚未收录该年度，省厅也未标记该年放假安排已完整登记，"
            "未登记的法定节假日按工作日计算。请在“节假日调整”中登记国务院公布的安排并标记完整后再核对。"
        )


def notice_period(*, starts_on: date, working_days: int) -> NoticePeriod:
    """Return the period of a notice of `working_days` from `starts_on`, by the holiday calendar."""
    if working_days < 1:
        raise PublicityError("公示工作日至少为 1 天。", field="working_days")
    # Seven working days never span more than a month and a half, even across the Spring Festival.
    horizon = starts_on + timedelta(days=working_days * 3 + 30)
    overrides = calendar_overrides(starts_on, horizon)
    ends_on = workdays.notice_end(starts_on, working_days, overrides)
    return NoticePeriod(
        starts_on=starts_on,
        ends_on=ends_on,
        uncovered_years=workdays.uncovered_years(starts_on, ends_on, complete_years()),
    )


def end_review(notice: Notice, today: date | None = None) -> date | None:
    """Return the end the calendar gives a notice now, when it differs from the published end.

    A holiday override entered after publishing (a day of the period made a holiday or a workday)
    moves the end: the published end no longer holds until the province extends the notice to
    the new end or keeps the published one with a reason (`end_kept_for`). None when the end
    still holds, the province kept it for this very date, or the notice is over.
    """
    if notice.phase(today) == NoticePhase.CLOSED or notice.state == NoticePhase.CLOSED:
        return None
    end = notice_period(starts_on=notice.starts_on, working_days=notice.working_days).ends_on
    if end == notice.ends_on or end == notice.end_kept_for:
        return None
    return end


@transaction.atomic
def settle_notice_end(
    *, actor: User, notice: Notice, extend: bool, reason: str = "", today: date | None = None
) -> Notice:
    """Take the end the calendar now gives a notice (`extend`), or keep the published end with a reason."""
    _require_province(actor)
    notice = Notice.objects.select_for_update().get(pk=notice.pk)
    today = today or timezone.localdate()
    end = end_review(notice, today)
    if end is None:
        raise PublicityError("公示截止日期与现行日历一致，无需处理。")
    before = {"ends_on": notice.ends_on.isoformat()}
    if extend:
        if end < today:
            raise PublicityError(
                f"按现行日历截止日期应为 {end:%Y-%m-%d}，已早于今天，只能保留原截止日期并说明理由。"
            )
        notice.ends_on = end
        notice.end_kept_for = None
        notice.end_kept_reason = ""
        notice.save(update_fields=["ends_on", "end_kept_for", "end_kept_reason", "updated_at"])
        forget_public_notice(notice)
        record_event(
            actor=actor,
            action="publicity.notice_end_moved",
            target=notice,
            reason=reason.strip() or "节假日调整后按现行日历重新计算",
            before=before,
            after={"ends_on": end.isoformat()},
        )
        transaction.on_commit(lambda: schedule_notice(notice))
        return notice
    if not reason.strip():
        raise PublicityError("保留原截止日期须写明理由。", field="reason")
    notice.end_kept_for = end
    notice.end_kept_reason = reason.strip()
    notice.save(update_fields=["end_kept_for", "end_kept_reason", "updated_at"])
    record_event(
        actor=actor,
        action="publicity.notice_end_kept",
        target=notice,
        reason=reason.strip(),
        before=before,
        after={"calendar_end": end.isoformat(), "ends_on": notice.ends_on.isoformat()},
    )
    return notice


def notices_to_review(today: date | None = None) -> list[tuple[Notice, date]]:
    """Return the notices not over whose published end the current calendar no longer gives."""
    pending = Notice.objects.exclude(state=NoticePhase.CLOSED).order_by("starts_on")
    found = []
    for notice in pending:
        end = end_review(notice, today)
        if end is not None:
            found.append((notice, end))
    return found


def notice_title(batch: Batch) -> str:
    return f"{batch.application_year}年广东省服务型制造示范拟认定名单公示"


@transaction.atomic
def open_notice(
    *,
    actor: User,
    batch: Batch,
    starts_on: date,
    title: str,
    contact_office: str,
    contact_phone: str,
    contact_email: str = "",
    contact_address: str = "",
    objection_rules: str = "",
    working_days: int | None = None,
    accept_uncovered: bool = False,
    today: date | None = None,
) -> Notice:
    """Publish a batch's fixed proposed list for public notice from `starts_on`."""
    _require_province(actor)
    today = today or timezone.localdate()
    batch = Batch.objects.select_for_update().get(pk=batch.pk)
    if Notice.objects.filter(batch=batch).exists():
        raise PublicityError("本批次已发布公示。")
    if not ProposedList.objects.filter(batch=batch, fixed_at__isnull=False).exists():
        raise PublicityError("拟认定名单尚未确定，不能公示。")
    proposed = list(
        Application.objects.select_for_update()
        .filter(batch=batch, state=ApplicationState.PROPOSED)
        .select_related("organisation", "batch")
    )
    if not proposed:
        raise PublicityError("本批次没有拟认定的申报。")
    if starts_on < today:
        raise PublicityError("公示开始日期不能早于今天。", field="starts_on")
    errors = {
        name: message
        for name, value, message in (
            ("title", title, "请填写公示标题。"),
            ("contact_office", contact_office, "请填写联系处室。"),
            ("contact_phone", contact_phone, "请填写联系电话。"),
        )
        if not value.strip()
    }
    if errors:
        raise FieldErrors(errors)
    working_days = working_days or batch.notice_working_days
    period = notice_period(starts_on=starts_on, working_days=working_days)
    if period.warning and not accept_uncovered:
        raise PublicityError(period.warning, field="accept_uncovered")
    notice = Notice.objects.create(
        batch=batch,
        title=title.strip(),
        starts_on=starts_on,
        working_days=working_days,
        ends_on=period.ends_on,
        contact_office=contact_office.strip(),
        contact_phone=contact_phone.strip(),
        contact_email=contact_email.strip(),
        contact_address=contact_address.strip(),
        objection_rules=objection_rules.strip() or DEFAULT_OBJECTION_RULES,
        calendar_warning=period.warning,
        published_by=actor,
    )
    ranks = dict(Selection.objects.filter(batch=batch).values_list("application_id", "rank"))
    categories = [category.key for category in batch.spec.categories]
    proposed.sort(key=lambda a: (categories.index(a.category), ranks.get(a.pk, 0), a.number))
    positions: dict[str, int] = {}
    entries = []
    for application in proposed:
        positions[application.category] = positions.get(application.category, 0) + 1
        entries.append(
            NoticeEntry(
                notice=notice,
                application=application,
                category=application.category,
                category_name=application.category_name,
                position=positions[application.category],
                unit_name=application.applicant_name,
                city_code=application.applicant_city_code,
                city_name=application.city_name,
                modes=modes_display(application.form, application.answers)[:300],
            )
        )
    NoticeEntry.objects.bulk_create(entries)
    record_event(
        actor=actor,
        action="publicity.notice_published",
        target=notice,
        after={
            "starts_on": starts_on.isoformat(),
            "ends_on": period.ends_on.isoformat(),
            "working_days": working_days,
            "entries": len(entries),
        },
        reason=period.warning,
    )
    transaction.on_commit(lambda: schedule_notice(notice))
    return sync_notice(notice=notice, today=today)


def schedule_notice(notice: Notice) -> None:
    """Queue the phase changes at the notice's dates, where the task backend can defer."""
    from django_tasks import default_task_backend

    from shifan.publicity.tasks import advance_notices

    if not default_task_backend.supports_defer:
        return
    zone = timezone.get_current_timezone()
    for day in (notice.starts_on, notice.ends_on + timedelta(days=1)):
        moment = datetime.combine(day, time(0, 0, 5), tzinfo=zone)
        if moment > timezone.now():
            advance_notices.using(run_after=moment).enqueue()


@transaction.atomic
def cancel_notice(*, actor: User, notice: Notice, reason: str, today: date | None = None) -> None:
    """Withdraw a notice that has not started: nothing was public yet, the list stays fixed."""
    _require_province(actor)
    notice = Notice.objects.select_for_update().get(pk=notice.pk)
    if notice.phase(today) != NoticePhase.SCHEDULED or notice.state != NoticePhase.SCHEDULED:
        raise PublicityError("公示已经开始，不能撤销。")
    if not reason.strip():
        raise PublicityError("请填写撤销原因。", field="reason")
    record_event(
        actor=actor,
        action="publicity.notice_cancelled",
        target=notice.batch,
        reason=reason.strip(),
        before={"starts_on": notice.starts_on.isoformat(), "ends_on": notice.ends_on.isoformat()},
    )
    notice.entries.all().delete()
    notice.delete()


@transaction.atomic
def sync_notice(*, notice: Notice, today: date | None = None) -> Notice:
    """Apply what the dates say: open the notice on its first day, close it after its last.

    Idempotent; run by the background task, after publishing, and before officers read a notice.
    The officer who published the notice is the actor of what follows from it.
    """
    phase = notice.phase(today)
    if phase == notice.state:
        return notice
    notice = Notice.objects.select_for_update().select_related("batch", "published_by").get(pk=notice.pk)
    phase = notice.phase(today)
    actor = notice.published_by
    if notice.state == NoticePhase.SCHEDULED and phase != NoticePhase.SCHEDULED:
        _open(notice, actor)
    if phase == NoticePhase.CLOSED and notice.state != NoticePhase.CLOSED:
        notice.state = NoticePhase.CLOSED
        notice.save(update_fields=["state", "updated_at"])
        forget_public_notice(notice)
        pending = notice.objections.exclude(state__in=DECIDED_STATES).count()
        record_event(actor=actor, action="publicity.notice_closed", target=notice, after={"pending": pending})
        notify(
            recipients=_province_officers(),
            title=f"公示期满：{notice.title}",
            body=(
                f"公示已于{chinese_date(notice.ends_on)}期满。"
                + (
                    f"尚有 {pending} 件异议未处理，处理完毕后可发布认定通告。"
                    if pending
                    else "可以发布认定通告。"
                )
            ),
            url=reverse("publicity:notice", kwargs={"pk": notice.pk}),
        )
    return notice


def _open(notice: Notice, actor: User) -> None:
    listed = _listed(notice)
    members = members_by_organisation([application.organisation_id for _entry, application in listed])
    for entry, application in listed:
        if application.state == ApplicationState.PROPOSED:
            applications.change_state(
                actor=actor,
                application=application,
                to=ApplicationState.IN_NOTICE,
                action="publicity.in_notice",
            )
        notify(
            recipients=members[application.organisation_id],
            title="贵单位已列入拟认定名单公示",
            body=(
                f"贵单位申报的{entry.category_name}已列入{notice.title}，"
                f"公示期为{chinese_date(notice.starts_on)}至{chinese_date(notice.ends_on)}。"
            ),
            url=reverse("publicity:public_notice", kwargs={"pk": notice.pk}),
        )
    notice.state = NoticePhase.OPEN
    notice.save(update_fields=["state", "updated_at"])
    forget_public_notice(notice)
    record_event(actor=actor, action="publicity.notice_opened", target=notice, after={"entries": len(listed)})
