"""Every change to an application: starting, autosaving, restoring, attaching, submitting.

Autosave and conflicts: the page sends the fields the person changed since the last save and
the version it started from. Fields nobody else changed since that version are saved; a field
another person (or another open page) changed in the meantime is refused, and the page shows
both values so the person can keep theirs (saving again from the current version) or take the
other. No save ever overwrites another person's change silently.
"""

import copy
import hashlib
import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.dispatch import Signal
from django.urls import reverse
from django.utils import timezone

from shifan.accounts.models import User
from shifan.accounts.selectors import city_officers
from shifan.applications import answers as answer_rules
from shifan.applications import rules
from shifan.applications.models import (
    ATTACHMENT_TITLE_MAX,
    EDITABLE_STATES,
    UNIT_COLUMNS,
    Application,
    ApplicationState,
    Attachment,
    NumberCounter,
    Revision,
    Snapshot,
    unit_columns,
    unit_facts,
)
from shifan.applications.selectors import latest_snapshot
from shifan.core.dates import local_moment
from shifan.core.filetypes import UploadRefused, check_room, read_checked
from shifan.core.mail import queue_mail
from shifan.core.notices import notify
from shifan.core.services import record_event
from shifan.eligibility import services as eligibility
from shifan.eligibility.models import CheckTrigger
from shifan.programs.models import Batch

CONTENT_TYPES = {
    "pdf": "application/pdf",
    "image": "image/*",
    "word": "application/msword",
    "excel": "application/vnd.ms-excel",
}

# Sent inside the submitting transaction with the new `snapshot`; a receiver defers its work to
# the commit (documents makes the book then). A signal, not a call: documents comes later in the
# import order. Sent robustly: a receiver's error is logged and never fails the submission.
application_submitted = Signal()


class ApplicationError(Exception):
    """Raised when an application cannot be changed as asked; `message` is for the applicant."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class SubmissionBlocked(ApplicationError):
    """Raised when an eligibility rule fails outright (不符合): the application cannot be submitted."""

    def __init__(self, results: list[Any]) -> None:
        failed = [result for result in results if result.blocking]
        super().__init__("不符合申报条件：" + "；".join(f"{r.label}（{r.explanation}）" for r in failed))
        self.results = results


class SubmissionIncomplete(ApplicationError):
    """Raised when required fields are missing or values are invalid at submission."""

    def __init__(self, missing: list[Any], invalid: dict[str, list[str]]) -> None:
        super().__init__("申报书尚未填写完整或有填写错误，请按提示修改后再提交。")
        self.missing = missing
        self.invalid = invalid


@dataclass
class Conflict:
    field_key: str
    label: str
    their_value: Any
    their_display: str
    saved_by: str
    saved_at: datetime


@dataclass
class SaveResult:
    application: Application  # as saved (or as last read, when nothing was saved)
    version: int
    saved_at: datetime
    applied: list[str] = field(default_factory=list)
    conflicts: list[Conflict] = field(default_factory=list)


# Every change of state after submission, and who makes it. Submitting and withdrawing are the
# applicant's own services above; the review stages call `change_state`.
TRANSITIONS: dict[tuple[str, str], str] = {
    (ApplicationState.SUBMITTED, ApplicationState.RETURNED): "地市退回修改",
    (ApplicationState.SUBMITTED, ApplicationState.DECLINED): "地市不予推荐",
    (ApplicationState.SUBMITTED, ApplicationState.RECOMMENDED): "地市推荐",
    (ApplicationState.RECOMMENDED, ApplicationState.SUBMITTED): "撤回推荐或省厅退回地市",
    (ApplicationState.RECOMMENDED, ApplicationState.ACCEPTED): "省厅受理",
    (ApplicationState.RECOMMENDED, ApplicationState.RETURNED): "省厅退回申报单位补充材料",
    (ApplicationState.ACCEPTED, ApplicationState.IN_REVIEW): "发布专家评审任务",
    (ApplicationState.IN_REVIEW, ApplicationState.PROPOSED): "列入拟认定名单",
    (ApplicationState.IN_REVIEW, ApplicationState.NOT_SELECTED): "未列入拟认定名单",
    (ApplicationState.PROPOSED, ApplicationState.IN_REVIEW): "重新开放拟认定名单",
    (ApplicationState.NOT_SELECTED, ApplicationState.IN_REVIEW): "重新开放拟认定名单",
    (ApplicationState.PROPOSED, ApplicationState.IN_NOTICE): "进入公示",
    (ApplicationState.IN_NOTICE, ApplicationState.NOT_SELECTED): "异议成立，移出拟认定名单",
    (ApplicationState.IN_NOTICE, ApplicationState.RECOGNISED): "通告认定为示范单位",
}


def change_state(
    *,
    actor: User,
    application: Application,
    to: str,
    action: str,
    reason: str = "",
    after: dict[str, Any] | None = None,
) -> Application:
    """Move an application to another state, if the transition exists; write the audit event.

    Call inside the caller's transaction, with the application locked (`select_for_update`).
    """
    before = application.state
    if (before, to) not in TRANSITIONS:
        current = ApplicationState(before).label
        target = ApplicationState(to).label
        raise ApplicationError(f"申报书当前为“{current}”，不能改为“{target}”。")
    application.state = to
    application.save(update_fields=["state", "updated_at"])
    record_event(
        actor=actor,
        action=action,
        target=application,
        target_label=application.label,
        organisation_id=application.organisation_id,
        city_code=application.applicant_city_code,
        reason=reason,
        before={"state": before},
        after={"state": to, **(after or {})},
    )
    return application


def lock(application: Application) -> Application:
    """Return the application re-read and locked for the rest of the transaction."""
    return _locked(application)


def _require(verdict: tuple[bool, str]) -> None:
    allowed, reason = verdict
    if not allowed:
        raise ApplicationError(reason)


@transaction.atomic
def start_application(*, actor: User, batch: Batch, category: str) -> Application:
    """Start an application for the actor's organisation, pre-filled with what is known."""
    membership = getattr(actor, "membership", None)
    if membership is None:
        raise ApplicationError("只有申报单位的成员可以开始申报。")
    if not batch.is_open():
        raise ApplicationError("该批次不在申报时间内。")
    category_spec = batch.category(category)
    organisation = membership.organisation
    existing = Application.objects.filter(
        batch=batch, organisation=organisation, category=category_spec.key
    ).first()
    if existing is not None:
        raise ApplicationError(f"本单位已有本批次的{category_spec.name}申报书，请继续填写。")
    application = Application.objects.create(
        batch=batch,
        organisation=organisation,
        category=category_spec.key,
        answers=answer_rules.prefill_answers(category_spec.form, organisation),
        created_by=actor,
    )
    Revision.objects.create(application=application, version=0, values=application.answers, saved_by=actor)
    record_event(
        actor=actor,
        action="application.started",
        target=application,
        organisation_id=organisation.pk,
        city_code=organisation.city_code,
    )
    return application


def _locked(application: Application) -> Application:
    # Only the application's row: on PostgreSQL a plain FOR UPDATE over the join would lock the
    # batch's row too and make every save of the batch wait for the others.
    return (
        Application.objects.select_for_update(of=("self",))
        .select_related("batch", "organisation")
        .get(pk=application.pk)
    )


# A save that lost the race to another save of the same application reads it again and decides
# again; more than a few such losses in a row means something is wrong, and the page says so.
SAVE_ATTEMPTS = 5


def save_answers(
    *, actor: User, application: Application, base_version: int, values: dict[str, Any], client_id: str = ""
) -> SaveResult:
    """Save the fields a person changed since `base_version`; refuse those changed by others since.

    Optimistic: the first attempt decides on `application` as the caller read it, without a lock,
    and writes it, with its revision, only if its version is still that one (`UPDATE … WHERE
    version = …`); a save that lost the race, or was given an old copy, reads the application again
    and decides again. The write lock is held for those two statements rather than for the whole
    decision: on the deadline day every applicant saves every few seconds, and on SQLite every
    save waits for that one lock.
    """
    current = application
    for attempt in range(SAVE_ATTEMPTS):
        if attempt:
            current = Application.objects.select_related("batch", "organisation").get(pk=application.pk)
        # Read once: the caller's copy may be shared with another thread's save.
        version = current.version
        stored = current.answers
        _require(rules.can_edit(actor, current))
        unknown = set(values) - {field.key for field in current.form.fields() if field.type != "attachments"}
        if unknown:
            raise ApplicationError(f"未知字段：{', '.join(sorted(unknown))}")
        conflicts = _conflicts(current, base_version, values, client_id)
        refused = {conflict.field_key for conflict in conflicts}
        applied = {
            key: value for key, value in values.items() if key not in refused and stored.get(key) != value
        }
        if not applied:
            if attempt:
                return SaveResult(
                    application=current, version=version, saved_at=timezone.now(), conflicts=conflicts
                )
            continue  # nothing new against the caller's copy, which may be old: confirm on a fresh read
        answers = {**stored, **applied}
        now = timezone.now()
        with transaction.atomic():
            # Still the version read, and still editable (Application.is_editable) when written.
            won = Application.objects.filter(
                pk=current.pk, version=version, state__in=list(EDITABLE_STATES)
            ).update(answers=answers, version=version + 1, updated_at=now)
            if won:
                revision = Revision.objects.create(
                    application=current,
                    version=version + 1,
                    values=applied,
                    saved_by=actor,
                    client_id=client_id,
                )
        if won:
            saved = copy.copy(current)  # the caller's copy stays as it was read
            saved.answers, saved.version, saved.updated_at = answers, version + 1, now
            return SaveResult(
                application=saved,
                version=version + 1,
                saved_at=revision.saved_at,
                applied=sorted(applied),
                conflicts=conflicts,
            )
    raise ApplicationError("其他人正在同时保存这份申报书，请稍后再试。")


def _conflicts(
    application: Application, base_version: int, values: dict[str, Any], client_id: str
) -> list[Conflict]:
    """Return the fields of `values` that someone else saved after `base_version`, with their values."""
    if base_version >= application.version:
        return []
    form = application.form
    conflicts: dict[str, Conflict] = {}
    later = Revision.objects.filter(application=application, version__gt=base_version).select_related(
        "saved_by"
    )
    for revision in later.order_by("version"):
        if revision.client_id == client_id and client_id:
            continue  # the same page saved it: not a conflict with itself
        for key in set(revision.values) & set(values):
            form_field = form.field(key)
            conflicts.pop(key, None)  # the latest save of the field is the one to show
            conflicts[key] = Conflict(
                field_key=key,
                label=form_field.label,
                their_value=application.answers.get(key),
                their_display=answer_rules.display_value(form_field, application.answers.get(key), form=form),
                saved_by=revision.saved_by.name,
                saved_at=revision.saved_at,
            )
    return list(conflicts.values())


def answers_at(application: Application, version: int) -> dict[str, Any]:
    """Return the answers as they were right after `version` was saved."""
    answers: dict[str, Any] = {}
    for values in (
        Revision.objects.filter(application=application, version__lte=version)
        .order_by("version")
        .values_list("values", flat=True)
    ):
        answers.update(values)
    return answers


@transaction.atomic
def restore_revision(*, actor: User, application: Application, version: int) -> Application:
    """Make the answers of an earlier version the current ones, as a new version."""
    application = _locked(application)
    _require(rules.can_edit(actor, application))
    if not Revision.objects.filter(application=application, version=version).exists():
        raise ApplicationError("没有这个历史版本。")
    old = answers_at(application, version)
    changed = {key: old.get(key) for key in answer_rules.changed_fields(application.answers, old)}
    if not changed:
        return application
    application.answers = {**application.answers, **changed}
    application.version += 1
    application.save(update_fields=["answers", "version", "updated_at"])
    Revision.objects.create(
        application=application,
        version=application.version,
        values=changed,
        saved_by=actor,
        restored_from=version,
    )
    record_event(
        actor=actor,
        action="application.revision_restored",
        target=application,
        organisation_id=application.organisation_id,
        after={"restored_version": version, "fields": sorted(changed)},
    )
    return application


@transaction.atomic
def add_attachment(
    *, actor: User, application: Application, field_key: str, uploaded: UploadedFile, title: str
) -> Attachment:
    """Store an evidence file under the applicant's title, after checking its content, size and
    number against the spec."""
    application = _locked(application)
    _require(rules.can_edit(actor, application))
    form_field = application.form.field(field_key)
    spec = form_field.attachments
    if spec is None:
        raise ApplicationError("此处不能上传附件。", field=field_key)
    title = " ".join(title.split())
    if not title:
        raise ApplicationError("请先填写附件标题（如“营业执照”），再选择文件。", field=field_key)
    if len(title) > ATTACHMENT_TITLE_MAX:
        raise ApplicationError(f"附件标题不超过 {ATTACHMENT_TITLE_MAX} 个字。", field=field_key)
    try:
        check_room(
            application.attachments.filter(field_key=field_key, removed_at=None).count(), spec.max_files
        )
        checked = read_checked(uploaded, accept=spec.accept, max_size_mb=spec.max_size_mb)
    except UploadRefused as refusal:
        raise ApplicationError(refusal.message, field=field_key) from refusal
    attachment = Attachment(
        application=application,
        field_key=field_key,
        original_name=checked.name,
        title=title,
        kind=checked.kind,
        content_type=CONTENT_TYPES.get(checked.kind, "application/octet-stream"),
        size=len(checked.data),
        sha256=checked.sha256,
        uploaded_by=actor,
    )
    attachment.file.save(checked.sha256, ContentFile(checked.data), save=False)
    attachment.save()
    record_event(
        actor=actor,
        action="application.attachment_added",
        target=application,
        organisation_id=application.organisation_id,
        after={
            "field": field_key,
            "title": title,
            "name": checked.name,
            "sha256": checked.sha256,
            "size": len(checked.data),
        },
    )
    return attachment


@transaction.atomic
def remove_attachment(*, actor: User, attachment: Attachment) -> None:
    application = _locked(attachment.application)
    _require(rules.can_edit(actor, application))
    attachment.removed_at = timezone.now()
    attachment.save(update_fields=["removed_at"])
    record_event(
        actor=actor,
        action="application.attachment_removed",
        target=application,
        organisation_id=application.organisation_id,
        before={"field": attachment.field_key, "name": attachment.original_name, "sha256": attachment.sha256},
    )


def attachment_counts(application: Application) -> dict[str, int]:
    counts: dict[str, int] = {}
    for key in application.attachments.filter(removed_at=None).values_list("field_key", flat=True):
        counts[key] = counts.get(key, 0) + 1
    return counts


def invalid_fields(application: Application) -> dict[str, list[str]]:
    """Return the field errors that block submission, by field key."""
    form = application.form
    answers = application.answers
    errors = {}
    for form_field in form.fields():
        if form_field.type == "attachments":
            continue
        messages = answer_rules.field_errors(form_field, answers.get(form_field.key), form=form)
        if messages:
            errors[form_field.key] = messages
    return errors


def _next_number(application: Application) -> str:
    counter, _created = NumberCounter.objects.select_for_update().get_or_create(
        year=application.batch.application_year, category=application.category
    )
    counter.last += 1
    counter.save(update_fields=["last"])
    code = application.category_spec.code
    return f"{settings.SHIFAN_NUMBER_PREFIX}-{application.batch.application_year}-{code}-{counter.last:04d}"


def snapshot_digest(payload: dict[str, Any]) -> str:
    text = json.dumps(payload, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def snapshot_payload(
    *,
    number: str,
    sequence: int,
    answers: dict[str, Any],
    attachments: list[dict[str, Any]],
    spec: dict[str, Any],
    unit: dict[str, Any],
) -> dict[str, Any]:
    """What a submitted version's digest is made of (the attachments' records without their ids)."""
    return {
        "number": number,
        "sequence": sequence,
        "answers": answers,
        "attachments": [{k: v for k, v in a.items() if k != "id"} for a in attachments],
        "spec": spec,
        "unit": unit,
    }


def digest_of(snapshot: Snapshot) -> str:
    """Work a stored version's digest out again from what it holds (equal to `snapshot.digest`
    while nothing it holds has changed)."""
    spec = {"key": snapshot.spec_key, "version": snapshot.spec_version, "digest": snapshot.spec_digest}
    return snapshot_digest(
        snapshot_payload(
            number=snapshot.number,
            sequence=snapshot.sequence,
            answers=snapshot.answers,
            attachments=snapshot.attachments,
            spec=spec,
            unit=snapshot.unit,
        )
    )


# What a resubmission after a return keeps from the earlier submission: who the applicant is and
# where it is registered. The contact is taken anew.
KEPT_ON_RESUBMISSION = ("name", "credit_code", "nature", "city_code", "county_code", "region_key", "address")


def submission_facts(application: Application, latest: Snapshot | None) -> dict[str, str]:
    """Return the organisation's facts a submission of `application` records.

    A first submission, or one after the applicant withdrew it before any city acted, takes the
    organisation as it is now. A resubmission of an application returned for revision keeps the
    identity of the earlier submission: the city that returned it reviews it again, under the name
    it reviewed, even if the province has since approved a change of the organisation's name or
    city (accounts.services.decide_change_request).
    """
    current = unit_facts(application.organisation)
    if latest is None or application.state != ApplicationState.RETURNED or not latest.unit:
        return current
    return {**current, **{key: latest.unit[key] for key in KEPT_ON_RESUBMISSION if key in latest.unit}}


@transaction.atomic
def submit_application(*, actor: User, application: Application) -> Snapshot:
    """Submit: check completeness, freeze an immutable snapshot, give the application its number.

    A second submission of the same version (a double click, a retried request) returns the
    snapshot already made instead of making another.
    """
    application = _locked(application)
    latest = latest_snapshot(application)
    if (
        application.state == ApplicationState.SUBMITTED
        and latest is not None
        and latest.version == application.version
    ):
        return latest
    _require(rules.can_submit(actor, application))
    form = application.form
    counts = attachment_counts(application)
    missing = answer_rules.missing_required(form, application.answers, counts)
    invalid = invalid_fields(application)
    if missing or invalid:
        raise SubmissionIncomplete(missing, invalid)
    # The checks read the organisation's facts as this submission records them.
    unit = submission_facts(application, latest)
    for column, value in unit_columns(unit).items():
        setattr(application, column, value)
    results = eligibility.evaluate(application)
    if any(result.blocking for result in results):
        raise SubmissionBlocked(results)
    if not application.number:
        application.number = _next_number(application)
    answers = answer_rules.computed_answers(form, application.answers)
    attachments = [
        a.record() for a in application.attachments.filter(removed_at=None).order_by("field_key", "id")
    ]
    batch = application.batch
    sequence = (latest.sequence if latest else 0) + 1
    now = timezone.now()
    payload = snapshot_payload(
        number=application.number,
        sequence=sequence,
        answers=answers,
        attachments=attachments,
        spec={"key": batch.spec_key, "version": batch.spec_version, "digest": batch.spec_digest},
        unit=unit,
    )
    snapshot = Snapshot.objects.create(
        application=application,
        sequence=sequence,
        number=application.number,
        answers=answers,
        attachments=attachments,
        unit=unit,
        spec_key=batch.spec_key,
        spec_version=batch.spec_version,
        spec_digest=batch.spec_digest,
        digest=snapshot_digest(payload),
        version=application.version,
        submitted_by=actor,
        submitted_at=now,
    )
    eligibility.record_check(
        actor=actor, application=application, snapshot=snapshot, trigger=CheckTrigger.SUBMISSION
    )
    before = application.state
    application.state = ApplicationState.SUBMITTED
    application.submitted_at = now
    application.save(update_fields=["state", "number", "submitted_at", *UNIT_COLUMNS, "updated_at"])
    record_event(
        actor=actor,
        action="application.submitted",
        target=application,
        target_label=application.label,
        organisation_id=application.organisation_id,
        city_code=application.applicant_city_code,
        before={"state": before},
        after={"state": application.state, "snapshot": sequence, "digest": snapshot.digest},
    )
    queue_mail(
        to=list(application.organisation.memberships.values_list("user__email", flat=True)),
        subject=f"申报书已提交：{application.number}",
        template="applications/mail/submitted.txt",
        context={"application": application, "snapshot": snapshot},
    )
    _notify_city_of_submission(application, resubmitted=sequence > 1)
    application_submitted.send_robust(sender=Snapshot, snapshot=snapshot)
    return snapshot


def _notify_city_of_submission(application: Application, *, resubmitted: bool) -> None:
    """Tell the applicant's city bureau, who acts next, with its own deadline."""
    deadline = local_moment(application.batch.city_deadline)
    if resubmitted:
        title = f"申报书已重新提交：{application.number}"
        body = f"{application.applicant_name}修改后重新提交了{application.category_name}申报书，请审核。"
    else:
        title = f"收到新的申报书：{application.number}"
        body = f"{application.applicant_name}提交了{application.category_name}申报书，请审核。"
    notify(
        recipients=city_officers(application.applicant_city_code),
        title=title,
        body=f"{body}\n地市推荐截止时间：{deadline}。",
        url=reverse("reviews:application", kwargs={"pk": application.pk}),
    )


@transaction.atomic
def withdraw_application(*, actor: User, application: Application, reason: str) -> Application:
    """Take a submitted application back before the city acts; it can be changed and resubmitted."""
    application = _locked(application)
    _require(rules.can_withdraw(actor, application))
    application.state = ApplicationState.WITHDRAWN
    application.save(update_fields=["state", "updated_at"])
    record_event(
        actor=actor,
        action="application.withdrawn",
        target=application,
        target_label=application.label,
        organisation_id=application.organisation_id,
        city_code=application.applicant_city_code,
        reason=reason.strip(),
        before={"state": ApplicationState.SUBMITTED},
        after={"state": ApplicationState.WITHDRAWN},
    )
    return application


@transaction.atomic
def rerun_eligibility(*, actor: User, batch: Batch, reason: str) -> int:
    """Re-run the checks on every submitted application of a batch (after a parameter correction).

    The earlier results stay stored; the audit trail records each application's summary before and after.
    """
    if not actor.is_province_officer:
        raise ApplicationError("只有省工信厅可以重新运行资格预审。")
    if not reason.strip():
        raise ApplicationError("请写明重新运行的原因。", field="reason")
    count = 0
    applications = Application.objects.filter(batch=batch, snapshots__isnull=False).distinct()
    for application in applications.select_related("organisation", "batch"):
        snapshot = latest_snapshot(application)
        previous = eligibility.latest_check(application)
        check = eligibility.record_check(
            actor=actor, application=application, snapshot=snapshot, trigger=CheckTrigger.RERUN
        )
        record_event(
            actor=actor,
            action="eligibility.rerun",
            target=application,
            target_label=application.label,
            organisation_id=application.organisation_id,
            city_code=application.applicant_city_code,
            reason=reason.strip(),
            before={
                "summary": previous.summary if previous else None,
                "results": previous.results if previous else None,
            },
            after={"summary": check.summary},
        )
        count += 1
    return count
