"""Objections filed by the public, inquiries to the city or the unit, and decisions."""

import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from stdnum.cn import ric

from shifan.accounts.models import Membership, User
from shifan.accounts.selectors import member_users
from shifan.applications import services as applications
from shifan.applications.models import Application, ApplicationState
from shifan.core import uscc
from shifan.core.dates import chinese_date
from shifan.core.filetypes import CheckedFile, UploadRefused, read_checked
from shifan.core.mail import queue_mail
from shifan.core.notices import notify
from shifan.core.services import record_event
from shifan.publicity.models import (
    DECIDED_STATES,
    Inquiry,
    InquiryAddressee,
    Notice,
    NoticeEntry,
    NoticePhase,
    Objection,
    ObjectionEvidence,
    ObjectionState,
    ObjectorKind,
)
from shifan.publicity.services.base import (
    FieldErrors,
    PublicityError,
    _city_officers,
    _province_officers,
    _require_province,
    forget_public_notice,
)
from shifan.publicity.services.notices import sync_notice

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


def _evidence(files: Sequence[UploadedFile]) -> list[tuple[UploadedFile, CheckedFile]]:
    if len(files) > EVIDENCE_MAX_FILES:
        raise FieldErrors({"evidence": f"证明材料最多 {EVIDENCE_MAX_FILES} 个文件。"})
    accepted = []
    for upload in files:
        try:
            checked = read_checked(
                upload, accept=EVIDENCE_KINDS, max_size_mb=EVIDENCE_MAX_MB, unnamed="证明材料"
            )
        except UploadRefused as refusal:
            raise FieldErrors({"evidence": f"{upload.name or '证明材料'}：{refusal.message}"}) from refusal
        accepted.append((upload, checked))
    return accepted


def _store_files(
    objection: Objection, files: Sequence[tuple[UploadedFile, CheckedFile]], *, inquiry: Inquiry | None = None
) -> None:
    for upload, checked in files:
        item = ObjectionEvidence(
            objection=objection,
            inquiry=inquiry,
            original_name=checked.name,
            content_type=upload.content_type or "application/octet-stream",
            size=len(checked.data),
            sha256=checked.sha256,
        )
        item.file.save(checked.sha256, ContentFile(checked.data), save=False)
        item.save()


def objection_window_refusal(notice: Notice, today: date | None = None) -> str:
    """Return why objections to a notice are not accepted now, or "" while they are."""
    phase = notice.phase(today)
    if phase == NoticePhase.SCHEDULED:
        return f"公示尚未开始（{chinese_date(notice.starts_on)}开始），暂不受理异议。"
    if phase == NoticePhase.CLOSED:
        return f"公示已于{chinese_date(notice.ends_on)}截止，逾期提出的异议不予受理。"
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
    _store_files(objection, files)
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
        else member_users(entry.application.organisation_id)
    )
    record_event(
        actor=actor,
        action="publicity.inquiry_sent",
        target=objection,
        target_label=f"{objection.reference} {entry.unit_name}",
        after={"addressee": addressee},
    )
    deadline = f"，请于{chinese_date(due_on)}前答复" if due_on else ""
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
def answer_inquiry(
    *, actor: User, inquiry: Inquiry, answer: str, files: Sequence[UploadedFile] = ()
) -> Inquiry:
    """Answer an inquiry, with files (a sealed 核查报告) checked as the objector's evidence is."""
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
    checked_files = _evidence(files)
    inquiry.answer = answer.strip()
    inquiry.answered_by = actor
    inquiry.answered_at = timezone.now()
    inquiry.save(update_fields=["answer", "answered_by", "answered_at"])
    _store_files(inquiry.objection, checked_files, inquiry=inquiry)
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
    *,
    actor: User,
    objection: Objection,
    upheld: bool,
    findings: str,
    reason: str,
    today: date | None = None,
    despite_unanswered: bool = False,
) -> Objection:
    """Decide an objection; upheld removes the unit from the list. Both sides are told, apart.

    While an inquiry is unanswered the decision needs `despite_unanswered` (the officer's choice
    to decide without the answer); the addressee then owes nothing more.
    """
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
    pending = objection.unanswered_inquiries()
    if pending and not despite_unanswered:
        owed = "、".join(
            f"{inquiry.get_addressee_display()}（期限 {inquiry.due_on:%Y-%m-%d}）"
            if inquiry.due_on
            else inquiry.get_addressee_display()
            for inquiry in pending
        )
        errors["despite_unanswered"] = (
            f"还有 {len(pending)} 项核查尚未答复：{owed}。请等待答复，或勾选此项，不待答复现在处理。"
        )
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
        # The public page is cached under the notice's updated_at (views.PublicNoticeView): a new
        # stamp makes every server process render the struck-out unit within a few seconds.
        Notice.objects.filter(pk=entry.notice_id).update(updated_at=objection.decided_at)
        forget_public_notice(entry.notice)
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
        recipients=member_users(entry.application.organisation_id),
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
