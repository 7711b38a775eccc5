"""Expert review: assigning experts, scoring, defences and site visits, the proposed list.

The flow for a batch, all by province officers except scoring:

1. `assign_experts` proposes an optimal assignment for the accepted applications (or fills the
   gaps left after publication, keeping the published pairs); `replace_expert` changes one pair;
   `publish_assignments` sends them to the experts and moves the applications to 评审中.
2. The expert, on first opening, confirms having no conflict (`confirm_no_conflict`) or declares
   one (`decline_for_conflict`, which removes the assignment); then `save_scores` as a draft and
   finally with `submit=True`, which locks the sheet until `reopen_scores`.
3. `record_hearing` adds a defence or site visit and its adjustment; `mark_proposed_list` marks
   the category's applications within the quota, with reasons for departures from the ranking;
   `fix_proposed_list` moves them to 拟认定 / 未入选.
"""

import time
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.db.models import Count, Q
from django.urls import reverse
from django.utils import timezone

from shifan.accounts import services as accounts
from shifan.accounts.models import ExpertProfile, Role, User
from shifan.accounts.services import AccountError
from shifan.applications import services as applications
from shifan.applications.models import Application, ApplicationState
from shifan.core.notices import notify
from shifan.core.services import record_event
from shifan.expert_review import assignment as solver
from shifan.expert_review.conflicts import (
    GENERAL_FIELD,
    ApplicantFacts,
    ExpertFacts,
    applicant_facts,
    conflict_reasons,
    expert_facts,
    experts_with_facts,
    fit,
)
from shifan.expert_review.models import (
    Assignment,
    AssignmentSource,
    AssignmentState,
    Hearing,
    HearingKind,
    ProposedList,
    ReviewReminder,
    Selection,
)
from shifan.programs.models import Batch

SCORE_STEP = Decimal("0.5")
MAX_ADJUSTMENT = Decimal(20)
COMMENT_MIN_LENGTH = 5


class ReviewError(Exception):
    """Raised when an expert review action is not allowed now; `message` says why."""

    def __init__(
        self,
        message: str,
        *,
        field: str | None = None,
        details: list[str] | None = None,
        rows: dict[int, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        self.details = details or []
        # Messages for rows of a list, by the row's primary key, shown beside the row.
        self.rows = rows or {}


class ScoreErrors(ReviewError):
    """Raised when a score sheet has bad or missing entries; `errors` maps field names to messages."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__(f"有 {len(errors)} 处需要修改。")
        self.errors = errors


def _require_province(actor: User) -> None:
    if not actor.is_province_officer:
        raise ReviewError("只有省工信厅可以组织专家评审。")


def _province_officers() -> list[User]:
    return list(User.objects.filter(role=Role.PROVINCE_OFFICER, is_active=True))


def _list_fixed(batch: Batch) -> bool:
    return ProposedList.objects.filter(batch=batch, fixed_at__isnull=False).exists()


def _require_list_open(batch: Batch) -> None:
    if _list_fixed(batch):
        raise ReviewError("拟认定名单已确定，评审结果不能再修改；如需修改请先重新开放名单。")


# ---------------------------------------------------------------------------------------------
# Assignment


@dataclass
class AssignmentReport:
    """What `assign_experts` did: counts, the solver's cost and bound, and warnings per field."""

    created: int = 0
    applications: int = 0
    match: int = 0
    bound: float = 0.0
    seconds: float = 0.0
    warnings: list[str] = field(default_factory=list)
    # The officer's proposed pairs kept as constraints, and those given up ("number：expert").
    kept_manual: int = 0
    dropped_manual: list[str] = field(default_factory=list)
    # When not every demand could be met: the summary, then one line per application left short.
    shortfalls: list[str] = field(default_factory=list)

    @property
    def gap(self) -> float:
        return -self.match - self.bound

    @property
    def proven_optimal(self) -> bool:
        return self.gap < 1e-6


def _reviewable(batch: Batch) -> list[Application]:
    """Return the batch's applications under expert review (accepted or in review)."""
    return list(
        Application.objects.filter(
            batch=batch, state__in=[ApplicationState.ACCEPTED, ApplicationState.IN_REVIEW]
        )
        .select_related("organisation", "batch")
        .order_by("number")
    )


def _field_warnings(
    applicants: list[ApplicantFacts],
    experts: list[ExpertFacts],
    allowed: Mapping[tuple[int, int], int],
    chosen: list[tuple[int, int]],
    max_load: int,
) -> list[str]:
    """Say which fields of expertise the assignment could not cover, and why."""
    by_application: dict[int, set[int]] = {}
    for application_id, expert_id in chosen:
        by_application.setdefault(application_id, set()).add(expert_id)
    expert_by_id = {e.user_id: e for e in experts}
    warnings = []
    wanted = {a.application_id: a.fields | {GENERAL_FIELD[a.category]} for a in applicants}
    needed = sorted({f for fields in wanted.values() for f in fields})
    for name in needed:
        wanting = [a for a in applicants if name in wanted[a.application_id]]
        uncovered = [
            a
            for a in wanting
            if not any(name in expert_by_id[e].expertise for e in by_application.get(a.application_id, ()))
        ]
        if not uncovered:
            continue
        pool = {
            e.user_id
            for e in experts
            if name in e.expertise and any((a.application_id, e.user_id) in allowed for a in wanting)
        }
        warnings.append(
            f"{name}领域：{len(wanting)} 份申报需要，其中 {len(uncovered)} 份没有分到该领域专家"
            f"（该领域无回避专家 {len(pool)} 位，每位最多评 {max_load} 份）。"
        )
    return warnings


def manual_proposals(batch: Batch) -> list[Assignment]:
    """Return the officer's own changes to the proposed plan, which a new solve keeps as constraints."""
    return list(
        Assignment.objects.filter(
            batch=batch, state=AssignmentState.PROPOSED, source=AssignmentSource.OFFICER
        )
        .select_related("application", "expert")
        .order_by("application__number", "pk")
    )


@transaction.atomic
def assign_experts(*, actor: User, batch: Batch, drop_manual: bool = False) -> AssignmentReport:
    """Propose an optimal assignment for the batch's accepted applications.

    Proposed pairs the solver made are replaced; published pairs and the officer's own proposed
    pairs (人工调整) stay as constraints, unless `drop_manual` says the officer chose to give the
    latter up. When the constraints cannot all be met, as many reviews as possible are assigned
    (the best fit among the largest assignments) and the report says what each application lacks.
    """
    _require_province(actor)
    _require_list_open(batch)
    Batch.objects.select_for_update().filter(pk=batch.pk).first()
    dropped = []
    if drop_manual:
        dropped = [f"{a.application.number}：{a.expert.name}" for a in manual_proposals(batch)]
        Assignment.objects.filter(batch=batch, state=AssignmentState.PROPOSED).delete()
    else:
        Assignment.objects.filter(
            batch=batch, state=AssignmentState.PROPOSED, source=AssignmentSource.SOLVER
        ).delete()
    targets = _reviewable(batch)
    if not targets:
        raise ReviewError("本批次还没有已受理的申报，无需分配专家。")
    k = batch.experts_per_application
    kept = list(
        Assignment.objects.filter(batch=batch)
        .exclude(state=AssignmentState.REMOVED)
        .values_list("application_id", "expert_id", "source", "state")
    )
    on_application: dict[int, set[int]] = {}
    for application_id, expert_id, _source, _state in kept:
        on_application.setdefault(application_id, set()).add(expert_id)
    used_load = Counter(expert_id for _application_id, expert_id, _source, _state in kept)
    manual = sum(1 for *_pair, source, state in kept if state == AssignmentState.PROPOSED)

    experts = expert_facts(experts_with_facts())
    applicants = {a.pk: applicant_facts(a) for a in targets}
    demand = {a.pk: k - len(on_application.get(a.pk, ())) for a in targets}
    demand = {a: d for a, d in demand.items() if d > 0}
    if not demand:
        raise ReviewError(f"每份申报都已分配 {k} 位专家，无需再分配。")
    costs: dict[tuple[int, int], int] = {}
    fits: dict[tuple[int, int], tuple[int, list[str]]] = {}
    for application_id in demand:
        applicant = applicants[application_id]
        for expert in experts:
            if expert.user_id in on_application.get(application_id, ()):
                continue
            if conflict_reasons(expert, applicant, same_city=batch.same_city_conflict):
                continue
            fits[(application_id, expert.user_id)] = fit(expert, applicant)
            costs[(application_id, expert.user_id)] = -fits[(application_id, expert.user_id)][0]
    problem = solver.Problem(
        demand=demand,
        experts=tuple(e.user_id for e in experts),
        max_load=batch.expert_max_load,
        costs=costs,
        used_load=used_load,
    )
    labels = {a.pk: f"{a.number}（{a.applicant_name}）" for a in targets}
    started = time.perf_counter()
    solution, shortfalls = solver.solve_most(problem)
    seconds = time.perf_counter() - started
    Assignment.objects.bulk_create(
        Assignment(
            batch=batch,
            application_id=application_id,
            expert_id=expert_id,
            match=fits[(application_id, expert_id)][0],
            matched_fields=fits[(application_id, expert_id)][1],
        )
        for application_id, expert_id in solution.pairs
    )
    report = AssignmentReport(
        created=len(solution.pairs),
        applications=len(demand),
        match=-solution.cost,
        bound=solution.bound,
        seconds=seconds,
        warnings=_field_warnings(
            [applicants[a] for a in demand], experts, costs, list(solution.pairs), batch.expert_max_load
        ),
        kept_manual=manual,
        dropped_manual=dropped,
        shortfalls=_shortfall_texts(problem, shortfalls, labels, batch),
    )
    record_event(
        actor=actor,
        action="expert_review.assignment_proposed",
        target=batch,
        after={
            "pairs": report.created,
            "applications": report.applications,
            "match": report.match,
            "bound": round(-report.bound, 2),
            "gap": round(report.gap, 2),
            "seconds": round(seconds, 3),
            "kept": len(kept),
            "kept_manual": manual,
            "dropped_manual": dropped,
            "short": sum(shortfalls.values()),
            "short_applications": len(shortfalls),
        },
    )
    return report


def _shortfall_texts(
    problem: solver.Problem,
    shortfalls: Mapping[int, int],
    labels: Mapping[int, str],
    batch: Batch,
) -> list[str]:
    """Say, per application left short, how many experts it lacks and how many could review it."""
    allowed: Counter[int] = Counter(a for (a, e) in problem.costs if problem.capacity(e) > 0)
    free = sum(1 for e in problem.experts if problem.capacity(e) > 0)
    texts = []
    for application_id in sorted(shortfalls, key=lambda a: labels[a]):
        texts.append(
            f"{labels[application_id]}：缺 {shortfalls[application_id]} 位专家"
            f"（需要 {problem.demand[application_id]} 位，"
            f"无回避且未满负荷的专家 {allowed[application_id]} 位，其中部分已分给其他申报）。"
        )
    if texts:
        texts.insert(
            0,
            f"需要 {sum(problem.demand.values())} 人次，未满负荷的专家 {free} 位"
            f"（每位最多 {batch.expert_max_load} 份）；按回避规则和负荷，"
            f"已尽可能多地分配，仍有 {len(shortfalls)} 份申报共缺 {sum(shortfalls.values())} 人次。"
            "可增加专家、提高每位专家的最多评审份数，或在下列申报上人工调整。",
        )
    return texts


def _live_load(expert_id: int, batch: Batch) -> int:
    return (
        Assignment.objects.filter(batch=batch, expert_id=expert_id)
        .exclude(state=AssignmentState.REMOVED)
        .count()
    )


def candidates_for(assignment: Assignment) -> list[dict[str, Any]]:
    """Return every active expert with whether it may replace the assignment's expert, and why not."""
    batch = assignment.batch
    applicant = applicant_facts(assignment.application)
    on_it = set(
        Assignment.objects.filter(application=assignment.application)
        .exclude(state=AssignmentState.REMOVED)
        .values_list("expert_id", flat=True)
    )
    loads = dict(
        Assignment.objects.filter(batch=batch)
        .exclude(state=AssignmentState.REMOVED)
        .values("expert_id")
        .annotate(n=Count("id"))
        .values_list("expert_id", "n")
    )
    rows = []
    for expert in expert_facts(experts_with_facts()):  # type: ignore[arg-type]
        reasons = conflict_reasons(expert, applicant, same_city=batch.same_city_conflict)
        if expert.user_id in on_it:
            reasons.append("已在本申报的专家组中")
        load = loads.get(expert.user_id, 0)
        if load >= batch.expert_max_load:
            reasons.append(f"已达每位专家最多评审份数（{batch.expert_max_load} 份）")
        points, matched = fit(expert, applicant)
        rows.append(
            {
                "expert": expert,
                "load": load,
                "match": points,
                "matched": matched,
                "reasons": reasons,
            }
        )
    rows.sort(key=lambda row: (bool(row["reasons"]), -row["match"], row["load"], row["expert"].name))
    return rows


@transaction.atomic
def replace_expert(*, actor: User, assignment: Assignment, expert: User, reason: str = "") -> Assignment:
    """Put another expert on the assignment's application; conflicts and load still hold."""
    _require_province(actor)
    _require_list_open(assignment.batch)
    assignment = (
        Assignment.objects.select_for_update().select_related("batch", "application").get(pk=assignment.pk)
    )
    if assignment.state == AssignmentState.REMOVED:
        raise ReviewError("该评审任务已撤销，不能调整。")
    if assignment.submitted_at is not None:
        raise ReviewError("该专家已提交评分，不能更换；如需重新评分，请退回其评分。")
    if assignment.state == AssignmentState.PUBLISHED and not reason.strip():
        raise ReviewError("已发布的任务调整专家，请填写理由（将通知原专家和新专家）。", field="reason")
    rows = {row["expert"].user_id: row for row in candidates_for(assignment)}
    row = rows.get(expert.pk)
    if row is None:
        raise ReviewError("所选账号不是可用的评审专家。", field="expert")
    if row["reasons"]:
        raise ReviewError(f"不能选择{expert.name}：{'；'.join(row['reasons'])}。", field="expert")
    before = assignment.expert
    if assignment.state == AssignmentState.PROPOSED:
        assignment.expert = expert
        assignment.source = AssignmentSource.OFFICER
        assignment.match = row["match"]
        assignment.matched_fields = row["matched"]
        assignment.save(update_fields=["expert", "source", "match", "matched_fields"])
        replacement = assignment
    else:
        _remove(assignment, f"省工信厅调整专家：{reason.strip()}")
        replacement = Assignment.objects.create(
            batch=assignment.batch,
            application=assignment.application,
            expert=expert,
            state=AssignmentState.PUBLISHED,
            source=AssignmentSource.OFFICER,
            match=row["match"],
            matched_fields=row["matched"],
            published_at=timezone.now(),
        )
        notify(
            recipients=[before],
            title="评审任务已调整",
            body=f"您的评审任务 {assignment.application.number} 已由省工信厅调整给其他专家。",
            url=reverse("expert_review:my_assignments"),
        )
        _notify_new_tasks(expert, 1, assignment.batch)
    record_event(
        actor=actor,
        action="expert_review.expert_replaced",
        target=assignment.application,
        target_label=assignment.application.number,
        reason=reason.strip(),
        before={"expert": before.name},
        after={"expert": expert.name},
    )
    return replacement


def _remove(assignment: Assignment, reason: str) -> None:
    assignment.state = AssignmentState.REMOVED
    assignment.removed_at = timezone.now()
    assignment.removed_reason = reason[:300]
    assignment.save(update_fields=["state", "removed_at", "removed_reason"])


def _notify_new_tasks(expert: User, count: int, batch: Batch) -> None:
    deadline = (
        f"评审截止时间为{_moment(batch.review_deadline)}，" if batch.review_deadline is not None else ""
    )
    notify(
        recipients=[expert],
        title="您有新的评审任务",
        body=f"省工信厅向您分配了 {count} 份服务型制造示范申报的评审任务，{deadline}请登录查看并评分。",
        url=reverse("expert_review:my_assignments"),
    )


def _moment(moment: datetime) -> str:
    local = timezone.localtime(moment)
    return f"{local.year}年{local.month}月{local.day}日 {local:%H:%M}"


# Days before the review deadline on which experts with sheets not submitted are reminded.
REVIEW_REMINDER_DAYS = (3, 1)


def review_reminder_due(deadline: datetime, sent: set[str], now: datetime) -> str:
    """Return the reminder an expert with open sheets needs now ("before-3", "overdue"), or "".

    Only the closest window counts (a worker down for days sends one "1 day left", not both);
    overdue is reminded once.
    """
    if now >= deadline:
        return "" if "overdue" in sent else "overdue"
    windows = [day for day in REVIEW_REMINDER_DAYS if now >= deadline - timedelta(days=day)]
    if not windows:
        return ""
    kind = f"before-{min(windows)}"
    return "" if kind in sent else kind


def send_review_reminders(*, now: datetime | None = None) -> int:
    """Remind every expert with unsubmitted sheets of a batch whose review deadline is near or past."""
    now = now or timezone.now()
    count = 0
    batches = Batch.objects.filter(
        review_deadline__isnull=False, review_deadline__gt=now - timedelta(days=30)
    )
    for batch in batches.exclude(proposed_list__fixed_at__isnull=False):
        assert batch.review_deadline is not None
        open_counts = dict(
            Assignment.objects.filter(batch=batch, state=AssignmentState.PUBLISHED, submitted_at__isnull=True)
            .values("expert_id")
            .annotate(n=Count("id"))
            .values_list("expert_id", "n")
        )
        sent: dict[int, set[str]] = {}
        for expert_id, kind in ReviewReminder.objects.filter(
            batch=batch, deadline=batch.review_deadline
        ).values_list("expert_id", "kind"):
            sent.setdefault(expert_id, set()).add(kind)
        for expert_id, open_count in open_counts.items():
            kind = review_reminder_due(batch.review_deadline, sent.get(expert_id, set()), now)
            if kind and _send_review_reminder(batch, expert_id, kind, open_count, now):
                count += 1
    return count


@transaction.atomic
def _send_review_reminder(batch: Batch, expert_id: int, kind: str, open_count: int, now: datetime) -> bool:
    assert batch.review_deadline is not None
    _reminder, created = ReviewReminder.objects.get_or_create(
        batch=batch, expert_id=expert_id, kind=kind, deadline=batch.review_deadline, defaults={"sent_at": now}
    )
    if not created:
        return False
    deadline = _moment(batch.review_deadline)
    if kind == "overdue":
        title = "专家评审已过截止时间"
        body = f"{batch.name}的专家评审已于{deadline}截止，您还有 {open_count} 份评分未提交，请尽快完成。"
    else:
        title = f"专家评审将于{deadline}截止"
        body = f"{batch.name}的专家评审将于{deadline}截止，您还有 {open_count} 份评分未提交，请及时完成。"
    expert = User.objects.get(pk=expert_id)
    notify(recipients=[expert], title=title, body=body, url=reverse("expert_review:my_assignments"))
    record_event(
        actor=None,
        action="expert_review.reminder_sent",
        target=batch,
        after={"expert": expert.name, "kind": kind},
    )
    return True


def schedule_review_reminders(batch: Batch) -> None:
    """Queue the reminder task at each reminder day and at the deadline, where the backend can defer."""
    from django_tasks import default_task_backend

    from shifan.expert_review.tasks import send_review_reminders as task

    if batch.review_deadline is None or not default_task_backend.supports_defer:
        return
    moments = [batch.review_deadline - timedelta(days=day) for day in REVIEW_REMINDER_DAYS]
    moments.append(batch.review_deadline)
    for moment in moments:
        if moment > timezone.now():
            task.using(run_after=moment).enqueue()


def assignment_gaps(batch: Batch) -> dict[int, int]:
    """Return {application id: experts missing} for the applications under review."""
    k = batch.experts_per_application
    counts = dict(
        Application.objects.filter(
            batch=batch, state__in=[ApplicationState.ACCEPTED, ApplicationState.IN_REVIEW]
        )
        .annotate(n=Count("expert_assignments", filter=~Q(expert_assignments__state=AssignmentState.REMOVED)))
        .values_list("pk", "n")
    )
    return {pk: k - n for pk, n in counts.items() if n < k}


@transaction.atomic
def publish_assignments(*, actor: User, batch: Batch) -> int:
    """Send the proposed assignments to the experts; move accepted applications to 评审中."""
    _require_province(actor)
    _require_list_open(batch)
    proposed = list(
        Assignment.objects.select_for_update()
        .filter(batch=batch, state=AssignmentState.PROPOSED)
        .select_related("expert")
    )
    if not proposed:
        raise ReviewError("没有待发布的分配方案，请先计算分配方案。")
    gaps = assignment_gaps(batch)
    if gaps:
        raise ReviewError(
            f"还有 {len(gaps)} 份申报的专家不足 {batch.experts_per_application} 位，请先补足再发布。"
        )
    now = timezone.now()
    Assignment.objects.filter(pk__in=[a.pk for a in proposed]).update(
        state=AssignmentState.PUBLISHED, published_at=now
    )
    for application in _reviewable(batch):
        if application.state == ApplicationState.ACCEPTED:
            applications.change_state(
                actor=actor,
                application=applications.lock(application),
                to=ApplicationState.IN_REVIEW,
                action="expert_review.review_started",
            )
    per_expert: dict[int, tuple[User, int]] = {}
    for item in proposed:
        person, count = per_expert.get(item.expert_id, (item.expert, 0))
        per_expert[item.expert_id] = (person, count + 1)
    for person, count in per_expert.values():
        _notify_new_tasks(person, count, batch)
    transaction.on_commit(lambda: schedule_review_reminders(batch))
    record_event(
        actor=actor,
        action="expert_review.assignment_published",
        target=batch,
        after={"pairs": len(proposed), "experts": len(per_expert)},
    )
    return len(proposed)


# ---------------------------------------------------------------------------------------------
# The expert's side


def _require_own(actor: User, assignment: Assignment) -> None:
    if assignment.expert_id != actor.pk or assignment.state != AssignmentState.PUBLISHED:
        raise ReviewError("这不是您的评审任务。")


@transaction.atomic
def confirm_no_conflict(*, actor: User, assignment: Assignment, signed: bool = False) -> Assignment:
    """Record the expert's confirmation that it has no conflict with the applicant.

    Where the batch's spec holds a commitment (承诺书), the expert signs it here (`signed`): its
    text goes into the audit record with the confirmation, whose time is the signature's.
    """
    _require_own(actor, assignment)
    commitment = assignment.batch.spec.defaults.expert_commitment
    if commitment and not signed:
        raise ReviewError("请阅读并签署评审专家承诺书后再开始评审。", field="signed")
    if assignment.confirmed_at is None:
        assignment.confirmed_at = timezone.now()
        assignment.save(update_fields=["confirmed_at"])
        record_event(
            actor=actor,
            action="expert_review.no_conflict_confirmed",
            target=assignment.application,
            target_label=assignment.application.number,
            after={"commitment": commitment} if commitment else None,
        )
    return assignment


@transaction.atomic
def decline_for_conflict(*, actor: User, assignment: Assignment, reason: str) -> None:
    """Declare a conflict with the applicant: the declaration removes the assignment."""
    _require_own(actor, assignment)
    if assignment.submitted_at is not None:
        raise ReviewError("评分已提交，如与申报单位存在利益关系，请联系省工信厅。")
    if not reason.strip():
        raise ReviewError("请说明回避理由。", field="reason")
    application = assignment.application
    try:
        # The declaration sends expert_conflicts_changed; its receiver removes this assignment.
        accounts.declare_conflict(
            actor=actor,
            profile=actor.expert_profile,
            credit_code=application.applicant_credit_code,
            organisation_name=application.applicant_name,
            reason=reason,
        )
    except AccountError as error:
        raise ReviewError(error.message, field="reason") from error


def remove_conflicted_assignments(*, actor: User, profile: ExpertProfile) -> int:
    """Remove the expert's live assignments that are now conflicts; tell the province. In a transaction."""
    [facts] = expert_facts(experts_with_facts().filter(pk=profile.user_id))
    removed = []
    for assignment in (
        Assignment.objects.select_for_update()
        .filter(expert_id=profile.user_id)
        .exclude(state=AssignmentState.REMOVED)
        .select_related("application__organisation", "application__batch", "batch")
    ):
        reasons = conflict_reasons(
            facts, applicant_facts(assignment.application), same_city=assignment.batch.same_city_conflict
        )
        if not reasons:
            continue
        _remove(assignment, f"回避：{'；'.join(reasons)}")
        removed.append(assignment)
        record_event(
            actor=actor,
            action="expert_review.assignment_removed_for_conflict",
            target=assignment.application,
            target_label=assignment.application.number,
            reason="；".join(reasons),
            after={"expert": facts.name},
        )
    published = [a for a in removed if a.published_at is not None]
    if published:
        notify(
            recipients=_province_officers(),
            title="专家回避，需补充分配",
            body=f"专家{facts.name}因利益冲突回避了 {len(published)} 份申报（"
            + "、".join(a.application.number for a in published)
            + "），请在专家分配页补充分配。",
            url=reverse("expert_review:assignments", kwargs={"batch_pk": published[0].batch_id}),
        )
    return len(removed)


def parse_score(text: str) -> Decimal | None:
    try:
        return Decimal(text.strip()) if text and text.strip() else None
    except InvalidOperation:
        return None


def score_sheet_errors(
    assignment: Assignment,
    scores: Mapping[str, str],
    comments: Mapping[str, str],
    overall: str,
    *,
    submit: bool,
) -> dict[str, str]:
    """Return {form field name: message} for a score sheet; drafts may leave things empty."""
    errors = {}
    for leaf in assignment.batch.category(assignment.application.category).rubric_leaves():
        text = (scores.get(leaf.key) or "").strip()
        value = parse_score(text)
        if text and value is None:
            errors[f"score_{leaf.key}"] = "请输入数字，如 7 或 7.5。"
        elif value is not None and not (0 <= value <= leaf.weight):
            errors[f"score_{leaf.key}"] = f"分值应在 0 到 {leaf.weight:g} 之间。"
        elif value is not None and value % SCORE_STEP:
            errors[f"score_{leaf.key}"] = "分值最小单位为 0.5 分。"
        elif submit and value is None:
            errors[f"score_{leaf.key}"] = "请打分。"
        comment = (comments.get(leaf.key) or "").strip()
        if submit and len(comment) < COMMENT_MIN_LENGTH:
            errors[f"comment_{leaf.key}"] = f"请填写评语（至少 {COMMENT_MIN_LENGTH} 个字）。"
    if submit and len(overall.strip()) < COMMENT_MIN_LENGTH:
        errors["overall_comment"] = f"请填写综合意见（至少 {COMMENT_MIN_LENGTH} 个字）。"
    return errors


@transaction.atomic
def save_scores(
    *,
    actor: User,
    assignment: Assignment,
    scores: Mapping[str, str],
    comments: Mapping[str, str],
    overall_comment: str,
    submit: bool = False,
) -> Assignment:
    """Save the expert's score sheet; with `submit`, check it is complete and lock it."""
    assignment = (
        Assignment.objects.select_for_update().select_related("batch", "application").get(pk=assignment.pk)
    )
    _require_own(actor, assignment)
    if assignment.confirmed_at is None:
        raise ReviewError("请先确认与申报单位不存在利益冲突。")
    if assignment.submitted_at is not None:
        raise ReviewError("评分已提交，不能修改；如需修改请联系省工信厅退回。")
    if _list_fixed(assignment.batch):
        raise ReviewError("拟认定名单已确定，评分已结束。")
    errors = score_sheet_errors(assignment, scores, comments, overall_comment, submit=submit)
    if errors:
        raise ScoreErrors(errors)
    leaves = list(assignment.batch.category(assignment.application.category).rubric_leaves())
    values = {leaf.key: parse_score(scores.get(leaf.key, "")) for leaf in leaves}
    assignment.scores = {key: str(value) for key, value in values.items() if value is not None}
    assignment.comments = {
        leaf.key: comments[leaf.key].strip() for leaf in leaves if (comments.get(leaf.key) or "").strip()
    }
    assignment.overall_comment = overall_comment.strip()
    assignment.total = sum((v for v in values.values() if v is not None), Decimal(0))
    assignment.saved_at = timezone.now()
    fields = ["scores", "comments", "overall_comment", "total", "saved_at"]
    if submit:
        assignment.submitted_at = assignment.saved_at
        fields.append("submitted_at")
        record_event(
            actor=actor,
            action="expert_review.scores_submitted",
            target=assignment.application,
            target_label=assignment.application.number,
            after={"total": str(assignment.total)},
        )
    assignment.save(update_fields=fields)
    return assignment


@transaction.atomic
def reopen_scores(*, actor: User, assignment: Assignment, reason: str) -> Assignment:
    """Give a submitted score sheet back to its expert, with the reason."""
    _require_province(actor)
    _require_list_open(assignment.batch)
    assignment = (
        Assignment.objects.select_for_update().select_related("application", "expert").get(pk=assignment.pk)
    )
    if assignment.submitted_at is None or assignment.state != AssignmentState.PUBLISHED:
        raise ReviewError("该评分尚未提交，无需退回。")
    if not reason.strip():
        raise ReviewError("请填写退回重评的原因。", field="reason")
    assignment.submitted_at = None
    assignment.reopened_at = timezone.now()
    assignment.reopen_reason = reason.strip()[:300]
    assignment.save(update_fields=["submitted_at", "reopened_at", "reopen_reason"])
    record_event(
        actor=actor,
        action="expert_review.scores_reopened",
        target=assignment.application,
        target_label=assignment.application.number,
        reason=reason.strip(),
        after={"expert": assignment.expert.name},
    )
    notify(
        recipients=[assignment.expert],
        title="评分已退回，请重新评审",
        body=f"省工信厅退回了您对 {assignment.application.number} 的评分：{reason.strip()}",
        url=reverse("expert_review:assignment", kwargs={"pk": assignment.pk}),
    )
    return assignment


# ---------------------------------------------------------------------------------------------
# Defences, site visits and the proposed list


@transaction.atomic
def record_hearing(
    *,
    actor: User,
    application: Application,
    kind: str,
    held_on: date,
    panel: str,
    record: str,
    adjustment: Decimal = Decimal(0),
    reason: str = "",
) -> Hearing:
    """Record a defence or site visit and the points it adds or takes, with the reason."""
    _require_province(actor)
    _require_list_open(application.batch)
    application = applications.lock(application)
    if application.state != ApplicationState.IN_REVIEW:
        raise ReviewError("只有评审中的申报可以安排答辩或现场考察。")
    if kind not in HearingKind.values:
        raise ReviewError("请选择答辩或现场考察。", field="kind")
    if not panel.strip():
        raise ReviewError("请填写参加人员。", field="panel")
    if not record.strip():
        raise ReviewError("请填写情况记录。", field="record")
    if abs(adjustment) > MAX_ADJUSTMENT:
        raise ReviewError(f"分数调整应在 ±{MAX_ADJUSTMENT} 分以内。", field="adjustment")
    if adjustment and not reason.strip():
        raise ReviewError("调整分数须写明理由。", field="reason")
    hearing = Hearing.objects.create(
        application=application,
        kind=kind,
        held_on=held_on,
        panel=panel.strip(),
        record=record.strip(),
        adjustment=adjustment,
        reason=reason.strip(),
        recorded_by=actor,
    )
    record_event(
        actor=actor,
        action="expert_review.hearing_recorded",
        target=application,
        target_label=application.number,
        reason=reason.strip(),
        after={"kind": kind, "held_on": held_on.isoformat(), "adjustment": str(adjustment)},
    )
    return hearing


@transaction.atomic
def mark_proposed_list(
    *,
    actor: User,
    batch: Batch,
    category: str,
    selected: set[int],
    reasons: Mapping[int, str],
) -> list[Selection]:
    """Mark which of a category's applications go on the proposed list.

    At most the batch's quota; every departure from the ranking (a selected application ranked
    below one left out) needs a reason.
    """
    from shifan.expert_review.selectors import category_ranking

    _require_province(actor)
    _require_list_open(batch)
    rows = category_ranking(batch, category)
    if not rows:
        raise ReviewError("该类别没有评审中的申报。")
    unfinished = [row for row in rows if not row.complete]
    if unfinished:
        raise ReviewError(
            f"还有 {len(unfinished)} 份申报的专家评分未全部提交，不能确定名单。",
            details=[
                f"{row.application.number}（{row.application.applicant_name}）："
                f"专家评分已提交 {row.submitted}/{row.expected} 份"
                for row in unfinished[:10]
            ],
        )
    known = {row.application.pk for row in rows}
    if selected - known:
        raise ReviewError("所选申报不在本类别的评审范围内。")
    quota = batch.quota(category)
    if len(selected) > quota:
        raise ReviewError(f"本类别名额为 {quota} 个，已选 {len(selected)} 个。")
    natural = {row.application.pk for row in rows[: len(selected)]}
    departures = (selected - natural) | (natural - selected)
    missing = {
        row.application.pk: (
            f"排名第 {row.rank}，在名额线以下却被选入，请写明选入理由。"
            if row.application.pk in selected
            else f"排名第 {row.rank}，在名额线以内却未选入，请写明不选的理由。"
        )
        for row in rows
        if row.application.pk in departures and not (reasons.get(row.application.pk) or "").strip()
    }
    if missing:
        raise ReviewError(
            f"未按排名取舍的申报须写明理由：有 {len(missing)} 份未填，见表中标红的行。",
            field="reasons",
            rows=missing,
        )
    marks = []
    for row in rows:
        pk = row.application.pk
        mark, _created = Selection.objects.update_or_create(
            application=row.application,
            defaults={
                "batch": batch,
                "category": category,
                "selected": pk in selected,
                "rank": row.rank,
                "score": row.result.final,
                "departure_reason": (reasons.get(pk) or "").strip() if pk in departures else "",
                "decided_by": actor,
            },
        )
        marks.append(mark)
    record_event(
        actor=actor,
        action="expert_review.list_marked",
        target=batch,
        after={
            "category": category,
            "selected": sorted(row.application.number for row in rows if row.application.pk in selected),
            "departures": {
                row.application.number: reasons.get(row.application.pk, "")
                for row in rows
                if row.application.pk in departures
            },
        },
    )
    return marks


@transaction.atomic
def fix_proposed_list(*, actor: User, batch: Batch) -> ProposedList:
    """Fix the proposed list: selected applications become 拟认定, the rest 未入选."""
    _require_province(actor)
    _require_list_open(batch)
    in_review = list(
        Application.objects.select_for_update()
        .filter(batch=batch, state=ApplicationState.IN_REVIEW)
        .select_related("organisation")
    )
    if not in_review:
        raise ReviewError("本批次没有评审中的申报。")
    marks = {s.application_id: s for s in Selection.objects.filter(batch=batch)}
    unmarked = [a.number for a in in_review if a.pk not in marks]
    if unmarked:
        raise ReviewError(
            f"还有 {len(unmarked)} 份申报未确定是否列入名单，请先在各类别保存名单。", details=unmarked[:10]
        )
    for application in in_review:
        selected = marks[application.pk].selected
        applications.change_state(
            actor=actor,
            application=application,
            to=ApplicationState.PROPOSED if selected else ApplicationState.NOT_SELECTED,
            action="expert_review.proposed" if selected else "expert_review.not_selected",
            after={"rank": marks[application.pk].rank, "score": str(marks[application.pk].score)},
        )
    proposed_list, _created = ProposedList.objects.get_or_create(batch=batch)
    proposed_list.fixed_at = timezone.now()
    proposed_list.fixed_by = actor
    proposed_list.save(update_fields=["fixed_at", "fixed_by"])
    record_event(
        actor=actor,
        action="expert_review.list_fixed",
        target=batch,
        after={"proposed": sum(1 for s in marks.values() if s.selected), "reviewed": len(in_review)},
    )
    return proposed_list


@transaction.atomic
def reopen_proposed_list(*, actor: User, batch: Batch, reason: str) -> None:
    """Open a fixed list again (before its public notice): the applications return to 评审中."""
    _require_province(actor)
    if not reason.strip():
        raise ReviewError("请填写重新开放名单的原因。", field="reason")
    proposed_list = ProposedList.objects.filter(batch=batch, fixed_at__isnull=False).first()
    if proposed_list is None:
        raise ReviewError("名单尚未确定。")
    # Once published for notice the list is public; a notice not yet started can be withdrawn first.
    if Application.objects.filter(batch=batch, notice_entries__isnull=False).exists():
        raise ReviewError("拟认定名单已发布公示，不能重新开放；如公示尚未开始，请先撤销公示。")
    for application in (
        Application.objects.select_for_update()
        .filter(batch=batch, state__in=[ApplicationState.PROPOSED, ApplicationState.NOT_SELECTED])
        .select_related("organisation")
    ):
        applications.change_state(
            actor=actor,
            application=application,
            to=ApplicationState.IN_REVIEW,
            action="expert_review.list_reopened",
            reason=reason.strip(),
        )
    proposed_list.fixed_at = None
    proposed_list.save(update_fields=["fixed_at"])
    record_event(actor=actor, action="expert_review.list_reopened", target=batch, reason=reason.strip())
