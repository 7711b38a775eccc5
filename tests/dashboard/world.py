"""A small programme with known figures, shared by the dashboard's tests and its browser test.

Batch 2024, both categories:

| city | category | state | answers |
|---|---|---|---|
| 广州 | enterprise | draft | (private) |
| 广州 | enterprise | submitted | 工业设计 + 其他, C34; eligibility 符合 |
| 广州 | platform | recommended | 共享制造, I; eligibility 请注意 |
| 深圳 | enterprise | in_review | 定制化, C34; 不符合 + 请注意 → 不符合; scores 80, 90 |
| 深圳 | enterprise | recognised | 工业设计, C39; unit announced 2024 |
| 佛山 | platform | withdrawn (submitted once) | 其他模式 → 供应链 |
| 佛山 | platform | recognised | 其他模式 → 工业设计, 检验检测; unit announced 2024, revoked |
"""

from datetime import date
from decimal import Decimal

from django.utils import timezone

from shifan.demo.announced import closed_announcement
from shifan.eligibility.models import EligibilityCheck
from shifan.expert_review.models import Assignment, AssignmentState
from shifan.publicity.models import DemonstrationUnit, UnitStatus
from tests import factories


def choice(key):
    return {"selected": key, "other": {}}


def multi(*keys):
    return {"selected": list(keys), "other": {}}


def make_application(batch, city, category, state, answers=None, *, submit=True):
    organisation = factories.OrganisationFactory(city_code=city)
    application = factories.ApplicationFactory(
        batch=batch, organisation=organisation, category=category, answers=answers or {}
    )
    snapshot = factories.submitted(application) if submit else None
    application.state = state
    application.save(update_fields=["state"])
    return application, snapshot


def check(application, snapshot, province, **summary):
    """Record a check with the given outcome counts, kept on the application as
    `eligibility.services.record_check` keeps it (the rules would decide the counts there)."""
    counts = {"pass": 0, "fail": 0, "warning": 0, "judgment": 0, "missing": 0, **summary}
    checked = EligibilityCheck.objects.create(
        application=application,
        snapshot=snapshot,
        summary=counts,
        blocking=counts["fail"] > 0,
        trigger="submission",
        checked_by=province,
    )
    type(application).objects.filter(pk=application.pk).update(eligibility_summary=counts)
    return checked


def unit(announcement, application, position, *, status=UnitStatus.ACTIVE):
    return DemonstrationUnit.objects.create(
        announcement=announcement,
        application=application,
        organisation=application.organisation,
        category=application.category,
        category_name="示范企业" if application.category == "enterprise" else "示范平台",
        position=position,
        unit_name=application.organisation.name,
        city_code=application.organisation.city_code,
        city_name="",
        valid_from=date(2024, 12, 1),
        valid_until=date(2027, 11, 30),
        status=status,
    )


def build_programme():
    province = factories.ProvinceOfficerFactory()
    batch = factories.BatchFactory(opened_by=province)
    apps = {}
    apps["gz_draft"], _ = make_application(batch, "440100", "enterprise", "draft", submit=False)
    apps["gz_submitted"], snap = make_application(
        batch,
        "440100",
        "enterprise",
        "submitted",
        {"modes": multi("industrial_design", "other"), "industry": choice("C34")},
    )
    check(apps["gz_submitted"], snap, province, **{"pass": 8})
    apps["gz_platform"], snap = make_application(
        batch,
        "440100",
        "platform",
        "recommended",
        {
            "main_mode": choice("shared_manufacturing"),
            "other_modes": multi("supply_chain"),
            "industry": choice("I"),
        },
    )
    old = check(apps["gz_platform"], snap, province, fail=1)
    EligibilityCheck.objects.filter(pk=old.pk).update(checked_at=timezone.now() - timezone.timedelta(days=1))
    check(apps["gz_platform"], snap, province, **{"pass": 6, "warning": 1})  # the latest counts
    apps["sz_review"], snap = make_application(
        batch,
        "440300",
        "enterprise",
        "in_review",
        {"modes": multi("customization"), "industry": choice("C34")},
    )
    check(apps["sz_review"], snap, province, **{"pass": 5, "fail": 1, "warning": 1})
    for total in (Decimal(80), Decimal(90)):
        expert = factories.ExpertProfileFactory().user
        Assignment.objects.create(
            batch=batch,
            application=apps["sz_review"],
            expert=expert,
            state=AssignmentState.PUBLISHED,
            total=total,
            submitted_at=timezone.now(),
        )
    apps["sz_recognised"], _ = make_application(
        batch,
        "440300",
        "enterprise",
        "recognised",
        {"modes": multi("industrial_design"), "industry": choice("C39")},
    )
    apps["fs_withdrawn"], _ = make_application(
        batch,
        "440600",
        "platform",
        "withdrawn",
        {"main_mode": choice("other_modes"), "other_modes": multi("supply_chain")},
    )
    apps["fs_recognised"], _ = make_application(
        batch,
        "440600",
        "platform",
        "recognised",
        {
            "main_mode": choice("other_modes"),
            "other_modes": multi("industrial_design", "testing_certification"),
        },
    )
    announcement = closed_announcement(batch, published_by=province, number="粤工信生产合作函〔2024〕99号")
    unit(announcement, apps["sz_recognised"], 1)
    unit(announcement, apps["fs_recognised"], 1, status=UnitStatus.REVOKED)
    return {"province": province, "batch": batch, "applications": apps, "announcement": announcement}
