"""Every change of dynamic tracking: rounds, reports, reminders, evaluations and revocation.

Services take an `actor` by keyword (reminders run as the system), write their audit event in the
same transaction, and notify after the commit through `core.notices.notify`. `now`/`today` are
parameters so tests can hold the clock.
"""

from collections.abc import Iterable, Mapping
from datetime import date, datetime, time, timedelta
from typing import Any

from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from shifan.accounts.models import User
from shifan.accounts.selectors import member_users, members_by_organisation, organisation_ids_of
from shifan.applications import answers as answer_rules
from shifan.core.dates import chinese_date
from shifan.core.filetypes import UploadRefused, check_room, content_type, read_checked
from shifan.core.notices import notify
from shifan.core.services import record_event
from shifan.eligibility.services import effective_rules
from shifan.programs.models import Batch
from shifan.programs.spec import Form
from shifan.publicity.models import DemonstrationUnit, UnitStatus
from shifan.tracking import selectors
from shifan.tracking.flags import Baseline, report_flags
from shifan.tracking.models import (
    DEFAULT_REMINDER_DAYS,
    REASONED_EVALUATIONS,
    Evaluation,
    Reminder,
    Report,
    ReportAttachment,
    ReportState,
    Round,
)


class TrackingError(Exception):
    """Raised when a tracking action is not allowed; `message` says why, `field` where."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class FieldErrors(TrackingError):
    """Raised when a report or form has bad or missing entries; `errors` maps field keys to messages."""

    def __init__(self, errors: Mapping[str, str]) -> None:
        super().__init__(f"有 {len(errors)} 处需要修改。")
        self.errors = dict(errors)


def _require_province(actor: User) -> None:
    if not actor.is_province_officer:
        raise TrackingError("只有省工信厅可以办理动态跟踪。")


# --- what a unit reports on -----------------------------------------------------------------------


def report_form(report: Report) -> Form:
    """Return the report form, from the spec of the batch the unit was recognised in."""
    tracking = report.unit.application.batch.spec.tracking
    if tracking is None:  # a round never opens for such a unit (see open_round)
        raise TrackingError("该批次的申报规格没有动态跟踪报告表。")
    return tracking.form_for(report.unit.category)


def baseline_of(unit: DemonstrationUnit) -> Baseline:
    """Return the application's operating revenue and service share of its latest complete year."""
    application = unit.application
    batch = application.batch
    year = batch.application_year - 1
    paths = {"operating_revenue": "operating.operating_revenue", "service_share": "operating.service_share"}
    for rule in batch.spec.rules_for(unit.category):
        for role in paths:
            if role in rule.fields:
                paths[role] = rule.fields[role]
        if "share" in rule.fields and rule.name == "service_revenue_share":
            paths["service_share"] = rule.fields["share"]
    answers = answer_rules.computed_answers(application.form, application.answers or {})

    def figure(path: str) -> Any:
        key, _, row = path.partition(".")
        value = answers.get(key)
        if row:
            value = (value or {}).get(row, {}) if isinstance(value, dict) else {}
            value = value.get(str(year)) if isinstance(value, dict) else None
        return answer_rules.number(value)

    return Baseline(
        year=year,
        operating_revenue=figure(paths["operating_revenue"]),
        service_share=figure(paths["service_share"]),
    )


def flags_for(report: Report, answers: Mapping[str, Any]) -> list[dict[str, Any]]:
    unit = report.unit
    batch = unit.application.batch
    tracking = batch.spec.tracking
    assert tracking is not None
    return report_flags(
        tracking=tracking,
        rules=effective_rules(batch, unit.category),
        answers=answers,
        region_key=unit.application.rules_region_key,
        baseline=baseline_of(unit),
    )


# --- rounds ---------------------------------------------------------------------------------------


def units_for_round(*, category: str = "", batch: Batch | None = None) -> list[DemonstrationUnit]:
    """Return the active units a round with this scope would cover."""
    units = DemonstrationUnit.objects.filter(status=UnitStatus.ACTIVE).select_related(
        "application__batch", "organisation"
    )
    if category:
        units = units.filter(category=category)
    if batch is not None:
        units = units.filter(application__batch=batch)
    return list(units.order_by("category", "position", "pk"))


def round_refusal(units: list[DemonstrationUnit]) -> str:
    """Return why a round cannot open for these units, or ""."""
    if not units:
        return "没有符合条件的有效示范单位。"
    lacking = sorted(
        {unit.application.batch.name for unit in units if unit.application.batch.spec.tracking is None}
    )
    if lacking:
        return (
            f"批次「{'」「'.join(lacking)}」的申报规格没有动态跟踪报告表（tracking 部分），"
            "不能为其示范单位发起报告。请改选批次，或在新版申报规格中加入报告表后再发起。"
        )
    return ""


def _parse_reminder_days(days: Iterable[int]) -> list[int]:
    result = sorted({int(day) for day in days}, reverse=True)
    if any(day < 1 or day > 60 for day in result):
        raise FieldErrors({"reminder_days": "提前提醒天数应在 1 至 60 天之间。"})
    return result


@transaction.atomic
def open_round(
    *,
    actor: User,
    title: str,
    year: int,
    due_on: date,
    category: str = "",
    batch: Batch | None = None,
    reminder_days: Iterable[int] = DEFAULT_REMINDER_DAYS,
    note: str = "",
    today: date | None = None,
) -> Round:
    """Open a reporting round for the active units in scope, create their reports and tell them."""
    _require_province(actor)
    today = today or timezone.localdate()
    errors: dict[str, str] = {}
    if not title.strip():
        errors["title"] = "请填写报告名称。"
    if due_on <= today:
        errors["due_on"] = "截止日期应晚于今天。"
    if category and category not in ("enterprise", "platform"):
        errors["category"] = "未知类别。"
    days = _parse_reminder_days(reminder_days)
    if errors:
        raise FieldErrors(errors)
    units = units_for_round(category=category, batch=batch)
    refusal = round_refusal(units)
    if refusal:
        raise TrackingError(refusal)
    round_ = Round(
        title=title.strip(),
        year=year,
        category=category,
        batch=batch,
        due_on=due_on,
        reminder_days=days,
        note=note.strip(),
        opened_by=actor,
    )
    round_.full_clean()
    round_.save()
    reports = Report.objects.bulk_create(Report(round=round_, unit=unit) for unit in units)
    record_event(
        actor=actor,
        action="tracking.round_opened",
        target=round_,
        target_label=round_.title,
        after={
            "due_on": due_on.isoformat(),
            "units": len(units),
            "category": category,
            "batch": batch and batch.pk,
        },
    )
    members = members_by_organisation({unit.organisation_id for unit in units})
    for report in reports:
        notify(
            recipients=members[report.unit.organisation_id],
            title=f"请填报{round_.title}",
            body=(
                f"省工业和信息化厅已发起“{round_.title}”，请于{chinese_date(due_on)}前登录系统填报"
                f"{report.unit.unit_name}的运行情况并提交。"
            ),
            url=reverse("tracking:report", args=[report.pk]),
        )
    selectors.forget_open_reports()
    transaction.on_commit(lambda: schedule_reminders(round_))
    return round_


@transaction.atomic
def close_round(*, actor: User, round_: Round, now: datetime | None = None) -> Round:
    """End a round: no more reports or reminders; what was submitted and evaluated stays."""
    _require_province(actor)
    round_ = Round.objects.select_for_update().get(pk=round_.pk)
    if round_.closed_at is not None:
        raise TrackingError("该报告已结束。")
    round_.closed_at = now or timezone.now()
    round_.save(update_fields=["closed_at", "updated_at"])
    record_event(actor=actor, action="tracking.round_closed", target=round_, target_label=round_.title)
    selectors.forget_open_reports()
    return round_


# --- reminders ------------------------------------------------------------------------------------


def reminder_due(report: Report, sent: set[str], today: date) -> str:
    """Return the kind of reminder the report needs today ("before-7", "overdue"), or "".

    Before the due date only the closest window counts: a worker that was down for a week sends
    one "1 day left", not a "7 days left" as well. Overdue is reminded once, the day after.
    """
    round_ = report.round
    if report.submitted_at is not None or round_.closed_at is not None:
        return ""
    if today > round_.due_on:
        return "" if "overdue" in sent else "overdue"
    windows = [day for day in round_.reminder_days if today >= round_.due_on - timedelta(days=day)]
    if not windows:
        return ""
    kind = f"before-{min(windows)}"
    return "" if kind in sent else kind


def send_reminders(*, now: datetime | None = None) -> int:
    """Send every reminder due now, each once (a Reminder row records it); return how many."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    reports = (
        Report.objects.filter(round__closed_at=None, submitted_at=None)
        .select_related("round", "unit")
        .prefetch_related("reminders")
    )
    count = 0
    for report in reports:
        kind = reminder_due(report, {reminder.kind for reminder in report.reminders.all()}, today)
        if kind and _send_reminder(report=report, kind=kind, now=now):
            count += 1
    return count


@transaction.atomic
def _send_reminder(*, report: Report, kind: str, now: datetime) -> bool:
    # The unique constraint decides between two workers: the second finds the row and sends nothing.
    _, created = Reminder.objects.get_or_create(report=report, kind=kind, defaults={"sent_at": now})
    if not created:
        return False
    round_ = report.round
    if kind == "overdue":
        title = f"{round_.title}已逾期"
        body = (
            f"“{round_.title}”已于{chinese_date(round_.due_on)}截止，{report.unit.unit_name}尚未提交。"
            "请尽快登录系统填报，逾期提交将被标注。"
        )
    else:
        left = (round_.due_on - timezone.localdate(now)).days
        title = f"{round_.title}将于{chinese_date(round_.due_on)}截止"
        body = f"距“{round_.title}”截止还有 {left} 天，{report.unit.unit_name}尚未提交，请及时填报。"
    notify(
        recipients=member_users(report.unit.organisation_id),
        title=title,
        body=body,
        url=reverse("tracking:report", args=[report.pk]),
    )
    record_event(
        actor=None,
        action="tracking.reminder_sent",
        target=report,
        target_label=str(report.unit),
        organisation_id=report.unit.organisation_id,
        city_code=report.unit.city_code,
        after={"kind": kind},
    )
    return True


def schedule_reminders(round_: Round) -> None:
    """Queue the reminder task at each reminder day and the day after the due date, where it can defer."""
    from django_tasks import default_task_backend

    from shifan.tracking.tasks import send_tracking_reminders

    if not default_task_backend.supports_defer:
        return
    zone = timezone.get_current_timezone()
    days = [round_.due_on - timedelta(days=day) for day in round_.reminder_days]
    days.append(round_.due_on + timedelta(days=1))
    for day in days:
        moment = datetime.combine(day, time(8, 0), tzinfo=zone)
        if moment > timezone.now():
            send_tracking_reminders.using(run_after=moment).enqueue()


# --- reports --------------------------------------------------------------------------------------


def report_refusal(actor: User, report: Report) -> str:
    """Return why the actor may not edit the report now, or ""."""
    if not actor.is_applicant or report.unit.organisation_id not in organisation_ids_of(actor):
        return "只有示范单位的成员可以填报。"
    if report.submitted_at is not None:
        return "报告已提交，不能再修改。"
    if report.round.closed_at is not None:
        return "该报告已结束，不能再填报。"
    if report.unit.status != UnitStatus.ACTIVE:
        return "示范单位称号已撤销。"
    return ""


def _parse_answers(form: Form, data: Mapping[str, Any]) -> dict[str, Any]:
    answers: dict[str, Any] = {}
    for field in form.fields():
        if field.type == "attachments" or field.computed:
            continue
        answers[field.key] = answer_rules.parse_field(field, data)
    return answer_rules.computed_answers(form, answers)


def answer_errors(form: Form, answers: Mapping[str, Any]) -> dict[str, str]:
    errors: dict[str, str] = {}
    for field in form.fields():
        messages = answer_rules.field_errors(field, answers.get(field.key), form=form)
        if messages:
            errors[field.key] = "；".join(messages)
    return errors


@transaction.atomic
def save_report(
    *, actor: User, report: Report, data: Mapping[str, Any], now: datetime | None = None
) -> tuple[Report, dict[str, str]]:
    """Save what was typed as a draft, whatever its errors; return the report and the errors to show."""
    report = Report.objects.select_for_update().select_related("round", "unit").get(pk=report.pk)
    refusal = report_refusal(actor, report)
    if refusal:
        raise TrackingError(refusal)
    form = report_form(report)
    report.answers = _parse_answers(form, data)
    report.saved_at = now or timezone.now()
    report.save(update_fields=["answers", "saved_at", "updated_at"])
    record_event(
        actor=actor,
        action="tracking.report_saved",
        target=report,
        target_label=str(report.unit),
        organisation_id=report.unit.organisation_id,
        city_code=report.unit.city_code,
    )
    return report, answer_errors(form, report.answers)


def submit_report(
    *, actor: User, report: Report, data: Mapping[str, Any], now: datetime | None = None
) -> Report:
    """Save and submit the report, late if after the due date; flag it against the conditions.

    Raises FieldErrors when a field is wrong or a required one empty; the answers are saved first,
    in their own transaction, so what was typed is never lost.
    """
    now = now or timezone.now()
    report, errors = save_report(actor=actor, report=report, data=data, now=now)
    with transaction.atomic():
        return _submit(actor=actor, report=report, errors=errors, now=now)


def _submit(*, actor: User, report: Report, errors: dict[str, str], now: datetime) -> Report:
    report = Report.objects.select_for_update().select_related("round", "unit").get(pk=report.pk)
    refusal = report_refusal(actor, report)
    if refusal:
        raise TrackingError(refusal)
    form = report_form(report)
    counts: dict[str, int] = {}
    for key in report.attachments.values_list("field_key", flat=True):
        counts[key] = counts.get(key, 0) + 1
    for _, field in answer_rules.missing_required(form, report.answers, counts):
        errors.setdefault(field.key, "请填写此项。" if field.type != "attachments" else "请上传附件。")
    if errors:
        raise FieldErrors(errors)
    report.submitted_at = now
    report.submitted_by = actor
    report.flags = flags_for(report, report.answers)
    report.flag_count = len(report.flags)
    report.save(update_fields=["submitted_at", "submitted_by", "flags", "flag_count", "updated_at"])
    late = report.state() == ReportState.LATE
    record_event(
        actor=actor,
        action="tracking.report_submitted",
        target=report,
        target_label=str(report.unit),
        organisation_id=report.unit.organisation_id,
        city_code=report.unit.city_code,
        after={"late": late, "flags": [flag["kind"] for flag in report.flags]},
    )
    return report


@transaction.atomic
def add_report_attachment(
    *, actor: User, report: Report, field_key: str, uploaded: UploadedFile
) -> ReportAttachment:
    """Store a file of the report after checking its content, size and number against the spec."""
    report = Report.objects.select_for_update().select_related("round", "unit").get(pk=report.pk)
    refusal = report_refusal(actor, report)
    if refusal:
        raise TrackingError(refusal)
    try:
        field = report_form(report).field(field_key)
    except KeyError:
        raise TrackingError("此处不能上传附件。", field=field_key) from None
    spec = field.attachments
    if field.type != "attachments" or spec is None:
        raise TrackingError("此处不能上传附件。", field=field_key)
    try:
        check_room(report.attachments.filter(field_key=field_key).count(), spec.max_files)
        checked = read_checked(uploaded, accept=spec.accept, max_size_mb=spec.max_size_mb)
    except UploadRefused as refusal_:
        raise TrackingError(refusal_.message, field=field_key) from refusal_
    attachment = ReportAttachment(
        report=report,
        field_key=field_key,
        original_name=checked.name,
        kind=checked.kind,
        content_type=content_type(checked.data[:2048], checked.kind),
        size=len(checked.data),
        sha256=checked.sha256,
        uploaded_by=actor,
    )
    attachment.file.save(checked.sha256, ContentFile(checked.data), save=False)
    attachment.save()
    record_event(
        actor=actor,
        action="tracking.attachment_added",
        target=report,
        target_label=attachment.original_name,
        organisation_id=report.unit.organisation_id,
        city_code=report.unit.city_code,
    )
    return attachment


@transaction.atomic
def remove_report_attachment(*, actor: User, attachment: ReportAttachment) -> None:
    report = Report.objects.select_for_update().select_related("round", "unit").get(pk=attachment.report_id)
    refusal = report_refusal(actor, report)
    if refusal:
        raise TrackingError(refusal)
    record_event(
        actor=actor,
        action="tracking.attachment_removed",
        target=report,
        target_label=attachment.original_name,
        organisation_id=report.unit.organisation_id,
        city_code=report.unit.city_code,
    )
    attachment.delete()


# --- evaluation and revocation --------------------------------------------------------------------


def evaluation_refusal(report: Report, today: date | None = None) -> str:
    """Return why the report cannot be evaluated now, or ""."""
    if report.evaluation == Evaluation.REVOKE:
        return "已撤销示范单位称号，评价不能再修改。"
    if report.state(today) == ReportState.PENDING:
        return "报告尚未提交，截止日期前不能评价。"
    return ""


@transaction.atomic
def evaluate_report(
    *,
    actor: User,
    report: Report,
    evaluation: str,
    reason: str,
    now: datetime | None = None,
) -> Report:
    """Record the province's evaluation; 撤销 also revokes the unit (confirm it in the page first).

    A report not submitted by its due date may be evaluated too (an overdue unit can be revoked).
    """
    _require_province(actor)
    now = now or timezone.now()
    report = Report.objects.select_for_update().select_related("round", "unit").get(pk=report.pk)
    refusal = evaluation_refusal(report, timezone.localdate(now))
    if refusal:
        raise TrackingError(refusal)
    if evaluation not in Evaluation.values:
        raise FieldErrors({"evaluation": "请选择评价结果。"})
    reason = reason.strip()
    if evaluation in REASONED_EVALUATIONS and not reason:
        raise FieldErrors({"reason": f"评价为“{Evaluation(evaluation).label}”时请写明理由。"})
    before = {"evaluation": report.evaluation, "reason": report.evaluation_reason}
    report.evaluation = evaluation
    report.evaluation_reason = reason
    report.evaluated_by = actor
    report.evaluated_at = now
    report.save(
        update_fields=["evaluation", "evaluation_reason", "evaluated_by", "evaluated_at", "updated_at"]
    )
    unit = report.unit
    record_event(
        actor=actor,
        action="tracking.report_evaluated",
        target=report,
        target_label=str(unit),
        organisation_id=unit.organisation_id,
        city_code=unit.city_code,
        reason=reason,
        before=before,
        after={"evaluation": evaluation},
    )
    label = Evaluation(evaluation).label
    members = member_users(unit.organisation_id)
    if evaluation == Evaluation.REVOKE:
        _revoke_unit(actor=actor, unit=unit, reason=reason, report=report, now=now)
        notify(
            recipients=members,
            title=f"{unit.unit_name}的示范称号已撤销",
            body=f"根据“{report.round.title}”的评价，省工业和信息化厅撤销{unit}的示范称号。理由：{reason}",
            url=reverse("tracking:report", args=[report.pk]),
        )
    else:
        notify(
            recipients=members,
            title=f"{report.round.title}评价结果：{label}",
            body=f"{unit.unit_name}的“{report.round.title}”评价为“{label}”。"
            + (f"理由：{reason}" if reason else ""),
            url=reverse("tracking:report", args=[report.pk]),
        )
    return report


def _revoke_unit(*, actor: User, unit: DemonstrationUnit, reason: str, report: Report, now: datetime) -> None:
    # The unit row stays: the announcement listed it, and the record shows why it left the list.
    unit = DemonstrationUnit.objects.select_for_update().get(pk=unit.pk)
    if unit.status == UnitStatus.REVOKED:
        raise TrackingError("该示范单位已被撤销。")
    unit.status = UnitStatus.REVOKED
    unit.revoked_at = now
    unit.save(update_fields=["status", "revoked_at", "updated_at"])
    record_event(
        actor=actor,
        action="tracking.unit_revoked",
        target=unit,
        target_label=str(unit),
        organisation_id=unit.organisation_id,
        city_code=unit.city_code,
        reason=reason,
        before={"status": UnitStatus.ACTIVE},
        after={"status": UnitStatus.REVOKED, "report": report.pk},
    )
