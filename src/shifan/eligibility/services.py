"""Running the eligibility rules for an application and recording the results.

Functions here take application objects from the caller (the applications app) and never import
it: eligibility sits before applications in the import order.
"""

from dataclasses import asdict, replace
from datetime import date, datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from shifan.accounts.models import User
from shifan.applications.selectors import latest_snapshot
from shifan.core.services import record_event
from shifan.eligibility import rules
from shifan.eligibility.models import (
    CheckTrigger,
    ConditionJudgment,
    CreditRegisterCheck,
    EligibilityCheck,
    JudgeRole,
    Verdict,
)
from shifan.programs.models import Batch
from shifan.programs.spec import Rule

CREDIT_RULE = "not_on_credit_blacklists"


class EligibilityError(Exception):
    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


def effective_rules(batch: Batch, category: str) -> list[Rule]:
    """Return the batch's rules for a category, with the province's parameter corrections applied."""
    overrides: dict[str, dict[str, Any]] = batch.rule_overrides or {}
    result = []
    for rule in batch.spec.rules_for(category):
        changed = overrides.get(rule.name)
        result.append(replace(rule, params={**rule.params, **changed}) if changed else rule)
    return result


def closing_date(batch: Batch) -> date:
    return timezone.localtime(batch.closes_at).date()


def context_for(application: Any, submitted_at: datetime | None = None) -> rules.Context:
    """Return the facts the rules need; `submitted_at` is the submission the answers are from.

    Without it the answers are being filled in (or submitted now): the submission date is today.
    """
    credit = application.credit_checks.order_by("-checked_at", "-id").first()
    return rules.Context(
        category=application.category,
        application_year=application.batch.application_year,
        closing_date=closing_date(application.batch),
        # The organisation as submitted (as it is now, before the first submission).
        city_code=application.applicant_city_code,
        region_key=application.rules_region_key,
        credit_code=application.applicant_credit_code,
        credit_checks={CREDIT_RULE: credit.not_listed} if credit is not None else {},
        submission_date=timezone.localdate(submitted_at) if submitted_at else timezone.localdate(),
    )


def evaluate(
    application: Any, answers: dict[str, Any] | None = None, submitted_at: datetime | None = None
) -> list[rules.Result]:
    """Return the results of every rule for the application's current (or given, submitted) answers."""
    return rules.evaluate(
        effective_rules(application.batch, application.category),
        application.form,
        application.answers if answers is None else answers,
        context_for(application, submitted_at),
    )


def answer_keys(application: Any) -> frozenset[str]:
    """Return the keys of the answers the application's eligibility results depend on."""
    return rules.answer_keys(effective_rules(application.batch, application.category), application.form)


def as_records(results: list[rules.Result]) -> list[dict[str, Any]]:
    return [
        {**asdict(result), "outcome": str(result.outcome), "figures": dict(result.figures)}
        for result in results
    ]


def summarise(results: list[rules.Result]) -> dict[str, int]:
    return {str(outcome): count for outcome, count in rules.summary(results).items()}


def record_check(*, actor: User, application: Any, snapshot: Any, trigger: str) -> EligibilityCheck:
    """Evaluate a submitted snapshot and store the results (call inside the caller's transaction)."""
    results = evaluate(application, snapshot.answers, snapshot.submitted_at)
    check = EligibilityCheck.objects.create(
        application=application,
        snapshot=snapshot,
        results=as_records(results),
        summary=summarise(results),
        blocking=any(result.blocking for result in results),
        trigger=trigger,
        checked_by=actor,
    )
    # The latest summary on the application too: the queues filter and show it without a subquery.
    type(application).objects.filter(pk=application.pk).update(eligibility_summary=check.summary)
    application.eligibility_summary = check.summary
    return check


def latest_check(application: Any) -> EligibilityCheck | None:
    return application.eligibility_checks.order_by("-checked_at", "-id").first()


@transaction.atomic
def record_credit_check(*, actor: User, application: Any, not_listed: bool, note: str) -> CreditRegisterCheck:
    """Record an officer's check of the credit register; it overrides the applicant's declaration."""
    same_city = actor.is_city_officer and actor.city_code == application.applicant_city_code
    if not (actor.is_province_officer or same_city):
        raise EligibilityError("只有所在地市工信局或省工信厅可以登记信用核查结果。")
    if not note.strip():
        raise EligibilityError("请写明核查情况（如核查日期、查询结果）。", field="note")
    check = CreditRegisterCheck.objects.create(
        application=application, not_listed=not_listed, note=note.strip(), checked_by=actor
    )
    snapshot = latest_snapshot(application)
    if snapshot is not None:
        record_check(
            actor=actor, application=application, snapshot=snapshot, trigger=CheckTrigger.CREDIT_CHECK
        )
    record_event(
        actor=actor,
        action="eligibility.credit_checked",
        target=application,
        organisation_id=application.organisation_id,
        city_code=application.applicant_city_code,
        reason=note.strip(),
        after={"not_listed": not_listed},
    )
    return check


def rule_parameters(batch: Batch) -> list[dict[str, Any]]:
    """Return the numeric and yes/no parameters of every rule, as a province officer may correct them."""
    overrides = batch.rule_overrides or {}
    items = []
    for rule in batch.spec.rules:
        for name, value in rule.params.items():
            if isinstance(value, bool) or not isinstance(value, int | float):
                continue
            current = overrides.get(rule.name, {}).get(name, value)
            items.append({"rule": rule, "name": name, "spec_value": value, "value": current})
    return items


@transaction.atomic
def correct_parameters(
    *, actor: User, batch: Batch, values: dict[tuple[str, str], float], reason: str
) -> Batch:
    """Override rule parameters for one batch (the spec file stays as it was), with the reason."""
    if not actor.is_province_officer:
        raise EligibilityError("只有省工信厅可以修改资格条件参数。")
    if not reason.strip():
        raise EligibilityError("请写明修改理由。", field="reason")
    known = {(item["rule"].name, item["name"]): item for item in rule_parameters(batch)}
    before = batch.rule_overrides or {}
    overrides: dict[str, dict[str, Any]] = {}
    for (rule_name, param), value in values.items():
        if (rule_name, param) not in known:
            raise EligibilityError(f"未知参数：{rule_name}.{param}")
        spec_value = known[(rule_name, param)]["spec_value"]
        if value != spec_value:
            overrides.setdefault(rule_name, {})[param] = int(value) if float(value).is_integer() else value
    if overrides == before:
        return batch
    batch.rule_overrides = overrides
    batch.save(update_fields=["rule_overrides", "updated_at"])
    record_event(
        actor=actor,
        action="batch.rules_corrected",
        target=batch,
        reason=reason.strip(),
        before=before,
        after=overrides,
    )
    return batch


# --- judgments of the needs-judgment items -------------------------------------------------------


def judge_role(actor: User, application: Any) -> str | None:
    """Return the role in which the user may judge the application's items now, or None.

    The city officers of the applicant's city while the city may still decide on it (submitted,
    its recommendations not yet sent, the city's deadline not passed); an expert whose assignment
    to it is open to them (published, past the conflict re-check), confirmed free of conflicts and
    not yet scored. After that a judgment would move under a decision already made on it.
    """
    # reviews and expert_review come after eligibility in the import order: their rules by name.
    if actor.is_city_officer and actor.city_code == application.applicant_city_code:
        from shifan.reviews.services import city_can_act

        if application.state != "submitted":
            return None
        allowed, _reason = city_can_act(application.batch, actor.city_code)
        return JudgeRole.CITY if allowed else None
    if actor.is_expert:
        from shifan.expert_review.selectors import open_assignments

        open_to_judge = open_assignments(actor).filter(
            application_id=application.pk, confirmed_at__isnull=False, submitted_at=None
        )
        return JudgeRole.EXPERT if open_to_judge.exists() else None
    return None


def judgment_items(application: Any, check: EligibilityCheck | None, user: User) -> list[dict[str, Any]]:
    """Return the check's needs-judgment items, each with the passages that answer it and the judgments.

    The city's judgments are shown to everyone who sees the page; an expert's only to the expert
    and to province officers, so that experts judge independently of each other.
    """
    if check is None:
        return []
    items = [result for result in check.results if result.get("outcome") == str(rules.Outcome.JUDGMENT)]
    if not items:
        return []
    form = application.form
    answers = check.snapshot.answers
    # The judgments made on this version: one made on an earlier one judged other passages.
    judgments = ConditionJudgment.objects.filter(
        application=application, snapshot_id=check.snapshot_id
    ).select_related("judged_by")
    latest: dict[tuple[str, int], ConditionJudgment] = {}
    for judgment in judgments:  # newest first
        latest.setdefault((judgment.rule_key, judgment.judged_by_id), judgment)
    shown = [
        judgment
        for judgment in latest.values()
        if judgment.role == JudgeRole.CITY or judgment.judged_by_id == user.pk or user.is_province_officer
    ]
    result = []
    for item in items:
        key = item.get("key") or item["rule"]
        passages = []
        for field_key in filter(None, str(item.get("figures", {}).get("passages", "")).split(",")):
            try:
                label = form.field(field_key).label
            except KeyError:
                continue
            text = answers.get(field_key)
            passages.append({"key": field_key, "label": label, "text": text if isinstance(text, str) else ""})
        result.append(
            {
                "result": item,
                "key": key,
                "passages": passages,
                "judgments": [j for j in shown if j.rule_key == key],
                "mine": latest.get((key, user.pk)),
                "snapshot_id": check.snapshot_id,
            }
        )
    return result


@transaction.atomic
def record_judgment(
    *, actor: User, application: Any, rule_key: str, verdict: str, note: str, snapshot_id: int | None = None
) -> ConditionJudgment:
    """Record a city officer's or an assigned expert's judgment of a needs-judgment item, audited.

    `snapshot_id` is the version the person read: a judgment is of the latest one only."""
    # Locked and read afresh: a city decision made meanwhile closes the judging.
    application = (
        type(application)
        .objects.select_for_update()
        .select_related("batch", "organisation")
        .get(pk=application.pk)
    )
    role = judge_role(actor, application)
    if role is None:
        raise EligibilityError(
            "只有申报单位所在地市工信局（在本市作出推荐决定前）和分配到本申报、尚未提交评分的评审专家可以判断。"
        )
    check = latest_check(application)
    if check is not None and snapshot_id is not None and snapshot_id != check.snapshot_id:
        raise EligibilityError("申报书已有新的提交版本，请在最新版本上判断。")
    keys = {
        result.get("key") or result["rule"]
        for result in (check.results if check else [])
        if result.get("outcome") == str(rules.Outcome.JUDGMENT)
    }
    if check is None or rule_key not in keys:
        raise EligibilityError("该项不是需判断的资格条件。")
    if verdict not in Verdict.values:
        raise EligibilityError("请选择判断结果。", field="verdict")
    note = note.strip()
    if verdict != Verdict.MET and not note:
        raise EligibilityError("判断为不符合或存疑时，请写明理由。", field="note")
    if len(note) > 500:
        raise EligibilityError("说明不能超过 500 字。", field="note")
    judgment = ConditionJudgment.objects.create(
        application=application,
        snapshot=check.snapshot,
        rule_key=rule_key,
        role=role,
        verdict=verdict,
        note=note,
        judged_by=actor,
    )
    record_event(
        actor=actor,
        action="eligibility.condition_judged",
        target=application,
        organisation_id=application.organisation_id,
        city_code=application.applicant_city_code,
        reason=note,
        after={"rule": rule_key, "verdict": verdict, "role": role, "snapshot": check.snapshot_id},
    )
    return judgment
