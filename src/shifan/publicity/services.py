"""Public notice, objections and the announcement: every change, by a named actor, audited.

The flow for a batch whose proposed list is fixed:

1. `open_notice` publishes the list for N working days from a start date (the end date follows the
   holiday calendar); its entries are frozen copies of the proposed units. `sync_notice` applies
   the phase the dates say: on the first day the applications become 公示中 and the units are
   told; after the last day the province is told. A background task runs it at both dates, and
   every officer read runs it too, so a stopped worker never keeps a notice open.
2. During the period anyone files a real-name objection (`file_objection`); province officers ask
   the city or the unit for an explanation (`send_inquiry` / `answer_inquiry`) and decide it
   (`decide_objection`): upheld removes the unit from the list.
3. When the period is over and every objection is decided, `publish_announcement` recognises the
   remaining units and creates their demonstration unit records.
"""

import hashlib
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Max
from django.urls import reverse
from django.utils import timezone
from stdnum.cn import ric

from shifan.accounts.models import Membership, Role, User
from shifan.applications import services as applications
from shifan.applications.answers import modes_display
from shifan.applications.filetypes import UploadRefused, check_size, check_upload
from shifan.applications.models import Application, ApplicationState
from shifan.core import reference, uscc
from shifan.core.mail import queue_mail
from shifan.core.notices import notify
from shifan.core.services import record_event
from shifan.expert_review.models import ProposedList, Selection
from shifan.programs.models import Batch
from shifan.publicity import workdays
from shifan.publicity.calendar import calendar_overrides
from shifan.publicity.models import (
    DECIDED_STATES,
    DEFAULT_OBJECTION_RULES,
    Announcement,
    DemonstrationUnit,
    Inquiry,
    InquiryAddressee,
    Notice,
    NoticeEntry,
    NoticePhase,
    Objection,
    ObjectionEvidence,
    ObjectionState,
    ObjectorKind,
    UnitStatus,
)

# Objections filed from one address: enough for a person with several real grounds, too few
# for a flood. Counted in the database, so every server process sees the same figures.
OBJECTIONS_PER_HOUR = 3
OBJECTIONS_PER_DAY = 10
EVIDENCE_MAX_FILES = 5
EVIDENCE_MAX_MB = 10
EVIDENCE_KINDS = ("pdf", "image", "word")
GROUNDS_MIN_LENGTH = 10
ANONYMOUS_NAMES = frozenset(
    {"匿名", "无名", "不愿透露", "群众", "知情人", "知情者", "举报人", "网友", "某某"}
)
_PHONE = re.compile(r"^(1[3-9]\d{9}|0\d{2,3}-?\d{7,8}(-\d{1,6})?)$")


class PublicityError(Exception):
    """Raised when a notice, objection or announcement action is not allowed; `message` says why."""

    def __init__(self, message: str, *, field: str | None = None, details: list[str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        self.details = details or []


class FieldErrors(PublicityError):
    """Raised when a form has bad or missing entries; `errors` maps field names to messages."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__(f"有 {len(errors)} 处需要修改。")
        self.errors = errors


def _require_province(actor: User) -> None:
    if not actor.is_province_officer:
        raise PublicityError("只有省工信厅可以办理公示公布。")


def _province_officers() -> list[User]:
    return list(User.objects.filter(role=Role.PROVINCE_OFFICER, is_active=True))


def _members(organisation_id: int) -> list[User]:
    return _members_of([organisation_id])[organisation_id]


def _members_of(organisation_ids: list[int]) -> dict[int, list[User]]:
    """Return the members of each organisation, in one query."""
    members: dict[int, list[User]] = {pk: [] for pk in organisation_ids}
    for membership in Membership.objects.filter(organisation_id__in=organisation_ids).select_related("user"):
        members[membership.organisation_id].append(membership.user)
    return members


def _listed(notice: Notice) -> list[tuple[NoticeEntry, Application]]:
    """Return the entries still on the list with their applications, locked in one query."""
    entries = list(notice.entries.filter(removed_at=None).order_by("category", "position"))
    locked = (
        Application.objects.select_for_update(of=("self",))
        .select_related("organisation")
        .in_bulk([entry.application_id for entry in entries])
    )
    return [(entry, locked[entry.application_id]) for entry in entries]


def _city_officers(city_code: str) -> list[User]:
    return list(User.objects.filter(role=Role.CITY_OFFICER, city_code=city_code, is_active=True))


def _day(value: date) -> str:
    return f"{value.year}年{value.month}月{value.day}日"


# ---------------------------------------------------------------------------------------------
# Notice


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
            f"公示期跨入{years}：节假日安排尚未收录该年度，也没有录入节假日调整，"
            "截止日期按周一至周五为工作日计算。请在“节假日调整”中录入国务院公布的安排后再核对。"
        )


def notice_period(*, starts_on: date, working_days: int) -> NoticePeriod:
    """Return the period of a notice of `working_days` from `starts_on`, by the holiday calendar."""
    if working_days < 1:
        raise PublicityError("公示工作日至少为 1 天。", field="working_days")
    # Seven working days never span more than a month and a half, even across the Spring Festival.
    horizon = starts_on + timedelta(days=working_days * 3 + 30)
    # Whole years: any override in a year means the officers have entered that year's calendar.
    overrides = calendar_overrides(date(starts_on.year, 1, 1), date(horizon.year, 12, 31))
    ends_on = workdays.notice_end(starts_on, working_days, overrides)
    return NoticePeriod(
        starts_on=starts_on,
        ends_on=ends_on,
        uncovered_years=workdays.uncovered_years(starts_on, ends_on, overrides),
    )


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
        organisation = application.organisation
        entries.append(
            NoticeEntry(
                notice=notice,
                application=application,
                category=application.category,
                category_name=application.category_name,
                position=positions[application.category],
                unit_name=organisation.name,
                city_code=organisation.city_code,
                city_name=reference.city(organisation.city_code).name,
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
        pending = notice.objections.exclude(state__in=DECIDED_STATES).count()
        record_event(actor=actor, action="publicity.notice_closed", target=notice, after={"pending": pending})
        notify(
            recipients=_province_officers(),
            title=f"公示期满：{notice.title}",
            body=(
                f"公示已于{_day(notice.ends_on)}期满。"
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
    members = _members_of([application.organisation_id for _entry, application in listed])
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
                f"公示期为{_day(notice.starts_on)}至{_day(notice.ends_on)}。"
            ),
            url=reverse("publicity:public_notice", kwargs={"pk": notice.pk}),
        )
    notice.state = NoticePhase.OPEN
    notice.save(update_fields=["state", "updated_at"])
    record_event(actor=actor, action="publicity.notice_opened", target=notice, after={"entries": len(listed)})


# ---------------------------------------------------------------------------------------------
# Objections


@dataclass(frozen=True)
class ObjectorDetails:
    kind: str
    name: str
    phone: str
    grounds: str
    email: str = ""
    id_number: str = ""
    credit_code: str = ""
    contact_person: str = ""


def _objector_errors(details: ObjectorDetails) -> dict[str, str]:
    errors: dict[str, str] = {}
    name = details.name.strip()
    person = details.kind == ObjectorKind.PERSON
    if details.kind not in ObjectorKind.values:
        errors["kind"] = "请选择以个人或单位名义提出异议。"
    if not name:
        errors["name"] = "异议须实名提出：请填写真实姓名。" if person else "请填写单位全称。"
    elif name in ANONYMOUS_NAMES or name.startswith("匿名"):
        errors["name"] = "异议须实名提出，匿名异议不予受理。"
    elif person and len(name) < 2:
        errors["name"] = "请填写真实姓名（至少 2 个字）。"
    if not _PHONE.match(details.phone.strip().replace(" ", "")):
        errors["phone"] = "请填写有效的联系电话：11 位手机号码，或带区号的固定电话（如 020-12345678）。"
    if person and details.id_number.strip() and not ric.is_valid(details.id_number.strip()):
        errors["id_number"] = "身份证号码无效：请核对 18 位号码（末位可为 X）。"
    if not person:
        try:
            uscc.validate(details.credit_code)
        except uscc.CreditCodeError as error:
            errors["credit_code"] = error.message
        if not details.contact_person.strip():
            errors["contact_person"] = "单位提出异议须填写联系人。"
    if len(details.grounds.strip()) < GROUNDS_MIN_LENGTH:
        errors["grounds"] = f"请写明异议的事实和理由（至少 {GROUNDS_MIN_LENGTH} 个字）。"
    return errors


def _check_rate(ip_address: str | None, now: datetime) -> None:
    if not ip_address:
        return
    recent = Objection.objects.filter(ip_address=ip_address)
    if recent.filter(submitted_at__gte=now - timedelta(hours=1)).count() >= OBJECTIONS_PER_HOUR:
        raise PublicityError(f"同一网络地址每小时最多提交 {OBJECTIONS_PER_HOUR} 件异议，请稍后再试。")
    if recent.filter(submitted_at__gte=now - timedelta(days=1)).count() >= OBJECTIONS_PER_DAY:
        raise PublicityError(f"同一网络地址每天最多提交 {OBJECTIONS_PER_DAY} 件异议，请明天再试。")


def _reference(year: int) -> str:
    # 40 random bits: a reference cannot be guessed, and the status page also asks for the phone.
    alphabet = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
    body = "".join(secrets.choice(alphabet) for _ in range(8))
    return f"YY{year}-{body[:4]}-{body[4:]}"


def _evidence(files: Sequence[UploadedFile]) -> list[tuple[UploadedFile, bytes, str]]:
    if len(files) > EVIDENCE_MAX_FILES:
        raise FieldErrors({"evidence": f"证明材料最多 {EVIDENCE_MAX_FILES} 个文件。"})
    accepted = []
    for upload in files:
        name = upload.name or "证明材料"
        try:
            check_size(upload.size or 0, max_size_mb=EVIDENCE_MAX_MB)
            data = upload.read()
            kind = check_upload(data, name, accept=EVIDENCE_KINDS, max_size_mb=EVIDENCE_MAX_MB)
        except UploadRefused as refusal:
            raise FieldErrors({"evidence": f"{name}：{refusal.message}"}) from refusal
        accepted.append((upload, data, kind))
    return accepted


def objection_window_refusal(notice: Notice, today: date | None = None) -> str:
    """Return why objections to a notice are not accepted now, or "" while they are."""
    phase = notice.phase(today)
    if phase == NoticePhase.SCHEDULED:
        return f"公示尚未开始（{_day(notice.starts_on)}开始），暂不受理异议。"
    if phase == NoticePhase.CLOSED:
        return f"公示已于{_day(notice.ends_on)}截止，逾期提出的异议不予受理。"
    return ""


@transaction.atomic
def file_objection(
    *,
    notice: Notice,
    entry: NoticeEntry,
    details: ObjectorDetails,
    evidence: Sequence[UploadedFile] = (),
    ip_address: str | None = None,
    today: date | None = None,
) -> Objection:
    """File a real-name objection to a listed unit during the notice period."""
    refusal = objection_window_refusal(notice, today)
    if refusal:
        raise PublicityError(refusal)
    if entry.notice_id != notice.pk:
        raise PublicityError("所选单位不在本次公示名单中。", field="entry")
    if entry.removed_at is not None:
        raise PublicityError("该单位已移出公示名单。", field="entry")
    errors = _objector_errors(details)
    if errors:
        raise FieldErrors(errors)
    files = _evidence(evidence)
    now = timezone.now()
    _check_rate(ip_address, now)
    person = details.kind == ObjectorKind.PERSON
    objection = Objection.objects.create(
        notice=notice,
        entry=entry,
        reference=_reference(notice.batch.application_year),
        objector_kind=details.kind,
        name=details.name.strip(),
        phone=details.phone.strip().replace(" ", ""),
        email=details.email.strip(),
        id_number=details.id_number.strip().upper() if person else "",
        credit_code="" if person else uscc.normalise(details.credit_code),
        contact_person="" if person else details.contact_person.strip(),
        grounds=details.grounds.strip(),
        ip_address=ip_address,
    )
    for upload, data, _kind in files:
        item = ObjectionEvidence(
            objection=objection,
            original_name=(upload.name or "证明材料")[:255],
            content_type=upload.content_type or "application/octet-stream",
            size=len(data),
            sha256=hashlib.sha256(data).hexdigest(),
        )
        item.file.save(item.sha256, ContentFile(data), save=False)
        item.save()
    # The trail names the unit objected to, never the objector.
    record_event(
        actor=None,
        action="publicity.objection_received",
        target=objection,
        target_label=f"{objection.reference} {entry.unit_name}",
        after={"entry": entry.pk, "evidence": len(files)},
    )
    notify(
        recipients=_province_officers(),
        title=f"收到异议：{entry.unit_name}",
        body=(
            f"{notice.title}收到一件针对{entry.unit_name}的异议"
            f"（受理编号 {objection.reference}），请核查处理。"
        ),
        url=reverse("publicity:objection", kwargs={"pk": objection.pk}),
    )
    if objection.email:
        queue_mail(
            to=[objection.email],
            subject=f"异议已受理：{objection.reference}",
            template="publicity/mail/objection_received.txt",
            context={"objection": objection, "entry": entry, "notice": notice},
        )
    return objection


def _require_undecided(objection: Objection) -> None:
    if objection.state in DECIDED_STATES:
        raise PublicityError("该异议已处理完毕。")


@transaction.atomic
def send_inquiry(
    *, actor: User, objection: Objection, addressee: str, question: str, due_on: date | None = None
) -> Inquiry:
    """Ask the unit's city bureau or the unit itself to explain; they see only the question."""
    _require_province(actor)
    objection = Objection.objects.select_for_update().select_related("entry", "notice").get(pk=objection.pk)
    _require_undecided(objection)
    if addressee not in InquiryAddressee.values:
        raise PublicityError("请选择核查对象。", field="addressee")
    if not question.strip():
        raise PublicityError("请写明需要说明的事项。", field="question")
    if due_on is not None and due_on < timezone.localdate():
        raise PublicityError("答复期限不能早于今天。", field="due_on")
    inquiry = Inquiry.objects.create(
        objection=objection, addressee=addressee, question=question.strip(), due_on=due_on, asked_by=actor
    )
    if objection.state == ObjectionState.RECEIVED:
        objection.state = ObjectionState.CHECKING
        objection.save(update_fields=["state"])
    entry = objection.entry
    recipients = (
        _city_officers(entry.city_code)
        if addressee == InquiryAddressee.CITY
        else _members(entry.application.organisation_id)
    )
    record_event(
        actor=actor,
        action="publicity.inquiry_sent",
        target=objection,
        target_label=f"{objection.reference} {entry.unit_name}",
        after={"addressee": addressee},
    )
    deadline = f"，请于{_day(due_on)}前答复" if due_on else ""
    notify(
        recipients=recipients,
        title=f"公示异议核查：{entry.unit_name}",
        body=f"省工业和信息化厅就{objection.notice.title}中的{entry.unit_name}请您说明有关情况{deadline}。",
        url=reverse("publicity:inquiry", kwargs={"pk": inquiry.pk}),
    )
    return inquiry


def can_answer(user: User, inquiry: Inquiry) -> tuple[bool, str]:
    """Return whether the user may answer an inquiry: the city's officers or the unit's members."""
    entry = inquiry.objection.entry
    if inquiry.addressee == InquiryAddressee.CITY:
        if user.is_city_officer and user.city_code == entry.city_code:
            return True, ""
        return False, "只有被异议单位所在地市的工信局可以答复。"
    if (
        user.is_applicant
        and Membership.objects.filter(user=user, organisation_id=entry.application.organisation_id).exists()
    ):
        return True, ""
    return False, "只有被异议单位可以答复。"


@transaction.atomic
def answer_inquiry(*, actor: User, inquiry: Inquiry, answer: str) -> Inquiry:
    inquiry = Inquiry.objects.select_for_update().select_related("objection__entry").get(pk=inquiry.pk)
    allowed, reason = can_answer(actor, inquiry)
    if not allowed:
        raise PublicityError(reason)
    if inquiry.answered_at is not None:
        raise PublicityError("该核查事项已答复。")
    if inquiry.objection.state in DECIDED_STATES:
        raise PublicityError("该异议已处理完毕，无需再答复。")
    if len(answer.strip()) < 5:
        raise PublicityError("请说明有关情况（至少 5 个字）。", field="answer")
    inquiry.answer = answer.strip()
    inquiry.answered_by = actor
    inquiry.answered_at = timezone.now()
    inquiry.save(update_fields=["answer", "answered_by", "answered_at"])
    entry = inquiry.objection.entry
    record_event(
        actor=actor,
        action="publicity.inquiry_answered",
        target=inquiry.objection,
        target_label=f"{inquiry.objection.reference} {entry.unit_name}",
        organisation_id=entry.application.organisation_id,
        city_code=entry.city_code,
    )
    notify(
        recipients=[inquiry.asked_by],
        title=f"异议核查已答复：{entry.unit_name}",
        body=f"{inquiry.get_addressee_display()}已答复受理编号 {inquiry.objection.reference} 的核查事项。",
        url=reverse("publicity:objection", kwargs={"pk": inquiry.objection_id}),
    )
    return inquiry


@transaction.atomic
def record_findings(*, actor: User, objection: Objection, findings: str) -> Objection:
    _require_province(actor)
    objection = Objection.objects.select_for_update().get(pk=objection.pk)
    _require_undecided(objection)
    if not findings.strip():
        raise PublicityError("请填写核查情况。", field="findings")
    objection.findings = findings.strip()
    if objection.state == ObjectionState.RECEIVED:
        objection.state = ObjectionState.CHECKING
    objection.save(update_fields=["findings", "state"])
    record_event(actor=actor, action="publicity.findings_recorded", target=objection)
    return objection


@transaction.atomic
def decide_objection(
    *, actor: User, objection: Objection, upheld: bool, findings: str, reason: str, today: date | None = None
) -> Objection:
    """Decide an objection; upheld removes the unit from the list. Both sides are told, apart."""
    _require_province(actor)
    objection = (
        Objection.objects.select_for_update()
        .select_related("entry__application__organisation", "notice")
        .get(pk=objection.pk)
    )
    _require_undecided(objection)
    errors = {}
    if not findings.strip():
        errors["findings"] = "请填写核查情况。"
    if not reason.strip():
        errors["reason"] = "请填写处理意见（将告知异议人和被异议单位）。"
    if errors:
        raise FieldErrors(errors)
    notice = sync_notice(notice=objection.notice, today=today)
    if notice.state == NoticePhase.SCHEDULED:
        raise PublicityError("公示尚未开始。")
    if hasattr(notice, "announcement"):
        raise PublicityError("认定通告已发布，不能再处理异议。")
    objection.state = ObjectionState.UPHELD if upheld else ObjectionState.DISMISSED
    objection.findings = findings.strip()
    objection.decision_reason = reason.strip()
    objection.decided_by = actor
    objection.decided_at = timezone.now()
    objection.save(update_fields=["state", "findings", "decision_reason", "decided_by", "decided_at"])
    entry = objection.entry
    label = f"{objection.reference} {entry.unit_name}"
    record_event(
        actor=actor,
        action="publicity.objection_upheld" if upheld else "publicity.objection_dismissed",
        target=objection,
        target_label=label,
        reason=objection.decision_reason,
    )
    if upheld and entry.removed_at is None:
        entry.removed_at = objection.decided_at
        entry.removed_reason = objection.decision_reason
        entry.save(update_fields=["removed_at", "removed_reason"])
        application = (
            Application.objects.select_for_update()
            .select_related("organisation")
            .get(pk=entry.application_id)
        )
        if application.state == ApplicationState.IN_NOTICE:
            applications.change_state(
                actor=actor,
                application=application,
                to=ApplicationState.NOT_SELECTED,
                action="publicity.removed_from_list",
                reason=objection.decision_reason,
                after={"objection": objection.reference},
            )
    outcome = "异议成立，该单位已移出拟认定名单" if upheld else "异议不成立，该单位保留在拟认定名单中"
    notify(
        recipients=_members(entry.application.organisation_id),
        title=f"公示异议处理结果：{outcome}",
        body=f"关于贵单位在{notice.title}中的异议，经核查：{outcome}。处理意见：{objection.decision_reason}",
        url=reverse("applications:detail", kwargs={"pk": entry.application_id}),
    )
    if objection.email:
        queue_mail(
            to=[objection.email],
            subject=f"异议处理结果：{objection.reference}",
            template="publicity/mail/objection_decided.txt",
            context={"objection": objection, "entry": entry, "outcome": outcome},
        )
    return objection


# ---------------------------------------------------------------------------------------------
# Announcement


def announcement_defaults(notice: Notice) -> dict[str, str]:
    batch = notice.batch
    year = batch.application_year
    return {
        "title": f"广东省工业和信息化厅关于公布{year}年广东省服务型制造示范名单的通告",
        "body": (
            f"根据《广东省服务型制造示范行动工作方案》，经企业申报、地市推荐、专家评审和社会公示"
            f"（{_day(notice.starts_on)}至{_day(notice.ends_on)}），"
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
        return f"公示期至{_day(notice.ends_on)}，期满后才能发布认定通告。"
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
        errors["issued_on"] = f"发布日期不能早于公示截止日期（{_day(notice.ends_on)}）。"
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
    members = _members_of([unit.organisation_id for unit in units])
    for unit in units:
        notify(
            recipients=members[unit.organisation_id],
            title=f"贵单位被认定为广东省服务型制造{unit.category_name}",
            body=(
                f"{announcement.issuer}发布{announcement.number}，贵单位被认定为{batch.application_year}年"
                f"广东省服务型制造{unit.category_name}，有效期至{_day(valid_until)}。"
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
