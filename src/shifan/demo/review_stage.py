"""A second demo batch at the expert review stage: past its deadlines, accepted, assigned, scored.

Everything goes through the services, as in production, except the batch's dates, which are
moved into the past once the cities have sent their sets (the demo cannot wait for deadlines).
The demo expert 周建国 (expert01) still has one application to score and one draft, so the tour
can show an expert finishing and the province then fixing the proposed list.
"""

import hashlib
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from shifan.accounts.models import User
from shifan.core import reference

REVIEW_BATCH_NAME = "2024年广东省服务型制造示范征集（演示·专家评审阶段）"

# (organisation admin, category, answer overrides): the modes vary so the fit of experts does.
APPLICANTS = [
    ("e-zhuhai", "enterprise", {"modes": {"selected": ["industrial_design", "customization"], "other": {}}}),
    ("e-huizhou", "enterprise", {"modes": {"selected": ["supply_chain"], "other": {}}}),
    (
        "e-zhongshan",
        "enterprise",
        {"modes": {"selected": ["testing_certification", "lifecycle"], "other": {}}},
    ),
    ("e-jiangmen", "enterprise", {"modes": {"selected": ["green_manufacturing"], "other": {}}}),
    ("e-zhaoqing", "enterprise", {"modes": {"selected": ["integration_contracting"], "other": {}}}),
    ("e-maoming", "enterprise", {"modes": {"selected": ["customization", "supply_chain"], "other": {}}}),
    ("p-shenzhen", "platform", {}),
    ("p-shaoguan", "platform", {}),
    ("p-meizhou", "platform", {}),
    ("p-qingyuan", "platform", {}),
]


def _unit(*parts: object) -> float:
    """Return a stable number in [0, 1) from the parts: demo scores must not change between loads."""
    digest = hashlib.sha256("|".join(str(p) for p in parts).encode()).digest()
    return int.from_bytes(digest[:4], "big") / 2**32


def _sheet(assignment: Any) -> dict[str, Any]:
    """Sample scores: the application's quality, the expert's severity and a little noise."""
    quality = 0.62 + 0.3 * _unit("quality", assignment.application.number)
    severity = -0.1 + 0.2 * _unit("severity", assignment.expert.email)
    leaves = list(assignment.batch.category(assignment.application.category).rubric_leaves())
    scores, comments = {}, {}
    for leaf in leaves:
        share = min(max(quality + severity + 0.1 * (_unit(assignment.pk, leaf.key) - 0.5), 0.2), 1.0)
        value = (leaf.weight * Decimal(str(share)) * 2).quantize(Decimal(1)) / 2
        scores[leaf.key] = str(value)
        comments[leaf.key] = (
            "材料较完整，论述与佐证基本对应。" if share > 0.7 else "论述偏概括，佐证材料不足。"
        )
    return {
        "scores": scores,
        "comments": comments,
        "overall_comment": "服务型制造转型路径清晰，示范性较强。"
        if quality > 0.75
        else "基础较好，成效数据需进一步核实。",
    }


def reviewed_batch(
    province: User, name: str, applicants: list[tuple[str, str, dict[str, Any]]], quotas: dict[str, int]
) -> tuple[Any, list[Any]]:
    """Open a batch, apply, recommend, accept and publish an expert assignment, all by the services."""
    from shifan.applications import services as application_services
    from shifan.applications.models import Application
    from shifan.demo.loader import DEMO_PDF, _email, complete_application, submit_with_sealed_scan
    from shifan.expert_review import services as expert_review
    from shifan.programs import services as batch_services
    from shifan.programs.models import Batch
    from shifan.programs.registry import spec_file
    from shifan.reviews import services as reviews

    now = timezone.now().replace(minute=0, second=0, microsecond=0)
    batch = batch_services.open_batch(
        actor=province,
        spec_file=spec_file("guangdong-2024.yaml"),
        name=name,
        opens_at=now - timedelta(days=1),
        closes_at=now + timedelta(days=10),
        city_deadline=now + timedelta(days=20),
        quotas=quotas,
    )
    applications = []
    for slug, category, overrides in applicants:
        user = User.objects.get(email=_email(slug))
        application = application_services.start_application(actor=user, batch=batch, category=category)
        complete_application(application, user, overrides)
        submit_with_sealed_scan(application, user)
        applications.append(application)
    officers: dict[Any, User] = {}
    for application in applications:
        application.refresh_from_db()
        city = reference.city(application.city_code)
        officer = officers.setdefault(city, User.objects.get(role="city_officer", city_code=city.code))
        reviews.recommend_application(
            actor=officer,
            application=application,
            opinion="经复核，申报材料真实，服务型制造特色突出，同意推荐。",
            truthfulness_confirmed=True,
        )
    # Each city sends its set once, with its letter, when all its applications are recommended.
    for city, officer in officers.items():
        reviews.upload_letter(
            actor=officer, batch=batch, uploaded=SimpleUploadedFile(f"{city.name}推荐函.pdf", DEMO_PDF)
        )
        reviews.submit_city_set(actor=officer, batch=batch)
    # The deadlines have passed: the province accepts and organises the expert review.
    Batch.objects.filter(pk=batch.pk).update(
        opens_at=now - timedelta(days=75),
        closes_at=now - timedelta(days=45),
        city_deadline=now - timedelta(days=30),
        # The experts' scores are due in two weeks.
        review_deadline=now + timedelta(days=14),
    )
    batch.refresh_from_db()
    for application in applications:
        reviews.accept_application(actor=province, application=Application.objects.get(pk=application.pk))
    expert_review.assign_experts(actor=province, batch=batch)
    expert_review.publish_assignments(actor=province, batch=batch)
    return batch, applications


def score_assignments(batch: Any, *, skip: frozenset[int] = frozenset()) -> None:
    """Every published assignment but the skipped ones: confirmed free of conflict and submitted."""
    from shifan.expert_review import services as expert_review
    from shifan.expert_review.models import Assignment, AssignmentState

    for assignment in Assignment.objects.filter(batch=batch, state=AssignmentState.PUBLISHED).select_related(
        "application", "expert", "batch"
    ):
        if assignment.pk in skip:
            continue
        expert_review.confirm_no_conflict(actor=assignment.expert, assignment=assignment, signed=True)
        expert_review.save_scores(
            actor=assignment.expert, assignment=assignment, submit=True, **_sheet(assignment)
        )


def load_review_stage(province: User) -> None:
    from shifan.applications.models import Application
    from shifan.demo.loader import _email
    from shifan.expert_review import services as expert_review
    from shifan.expert_review.models import Assignment, AssignmentState
    from shifan.programs.models import Batch

    if Batch.objects.filter(name=REVIEW_BATCH_NAME).exists():
        return
    batch, applications = reviewed_batch(
        province, REVIEW_BATCH_NAME, APPLICANTS, {"enterprise": 4, "platform": 2}
    )

    # One expert finds a conflict on opening a platform; the province fills the gap.
    declined = (
        Assignment.objects.filter(
            batch=batch, application__category="platform", state=AssignmentState.PUBLISHED
        )
        .exclude(expert__email=_email("expert01"))
        .order_by("id")
        .first()
    )
    if declined is not None:
        expert_review.decline_for_conflict(
            actor=declined.expert, assignment=declined, reason="近三年曾为该平台提供有偿咨询服务"
        )
        expert_review.assign_experts(actor=province, batch=batch)
        expert_review.publish_assignments(actor=province, batch=batch)

    demo_expert = User.objects.get(email=_email("expert01"))
    mine = list(Assignment.objects.filter(batch=batch, expert=demo_expert, state=AssignmentState.PUBLISHED))
    score_assignments(batch, skip=frozenset(a.pk for a in mine[-2:]))
    if mine:
        draft = mine[-2] if len(mine) > 1 else mine[-1]
        expert_review.confirm_no_conflict(actor=demo_expert, assignment=draft, signed=True)
        sheet = _sheet(draft)
        first_key = next(iter(sheet["scores"]))
        expert_review.save_scores(
            actor=demo_expert,
            assignment=draft,
            scores={first_key: sheet["scores"][first_key]},
            comments={first_key: sheet["comments"][first_key]},
            overall_comment="",
        )
    top = applications[0]
    expert_review.record_hearing(
        actor=province,
        application=Application.objects.get(pk=top.pk),
        kind="site_visit",
        held_on=date.today() - timedelta(days=3),
        panel="省工信厅产业处、评审专家组（3人）",
        record="现场查看设计中心与定制化产线，核实服务收入台账，与材料一致。",
        adjustment=Decimal(2),
        reason="现场核实设计服务收入与典型案例真实、成效突出",
    )
