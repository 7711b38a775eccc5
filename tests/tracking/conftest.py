import itertools
from datetime import date, datetime, time

import pytest
from django.utils import timezone

from shifan.applications.models import ApplicationState
from shifan.demo.announced import closed_announcement
from shifan.publicity.models import DemonstrationUnit
from tests import factories

_serial = itertools.count(1)

TODAY = date(2025, 3, 3)
DUE = date(2025, 3, 31)


def at(day: date, hour: int = 10) -> datetime:
    return datetime.combine(day, time(hour, 0), tzinfo=timezone.get_current_timezone())


def announced(batch, actor):
    return closed_announcement(batch, published_by=actor, number=f"粤工信通告〔2024〕{next(_serial)}号")


def recognised(announcement, *, city_code="440100", category="enterprise", revenue="10000", service="3000"):
    """Return a recognised unit whose application reported `revenue` and `service` for 2023."""
    organisation = factories.OrganisationFactory(city_code=city_code)
    member = factories.MembershipFactory(organisation=organisation, is_admin=True).user
    answers = {
        "operating": {
            "operating_revenue": {"2023": revenue},
            "service_revenue": {"2023": service},
        }
    }
    application = factories.ApplicationFactory(
        batch=announcement.batch,
        organisation=organisation,
        category=category,
        answers=answers,
        created_by=member,
    )
    application.state = ApplicationState.RECOGNISED
    application.number = f"GD-SMD-2024-{next(_serial):04d}"
    application.save(update_fields=["state", "number"])
    return DemonstrationUnit.objects.create(
        announcement=announcement,
        application=application,
        organisation=organisation,
        category=category,
        category_name="示范企业" if category == "enterprise" else "示范平台",
        position=next(_serial),
        unit_name=organisation.name,
        city_code=city_code,
        city_name=organisation.city.name,
        valid_from=date(2024, 12, 1),
        valid_until=date(2027, 11, 30),
    )


def member_of(unit):
    return unit.organisation.memberships.first().user


def report_data(**overrides):
    """Return posted inputs of a complete report (revenue 10,000万, service 3,000万: 30%)."""
    data = {
        "total_assets": "50000",
        "operating_revenue": "10000",
        "service_revenue": "3000",
        "net_profit": "800",
        "rd_intensity": "4.5",
        "employees": "320",
        "work_done": "本年度新增远程运维服务，服务收入增长。",
        "experience": "以数据驱动的全生命周期服务。",
        "events__rows": "0",
        "major_accident": "no",
        "accident_details": "",
    }
    data.update(overrides)
    return data


@pytest.fixture
def batch(db, province_officer):
    return factories.BatchFactory(name="2024年广东省服务型制造示范征集")


@pytest.fixture
def announcement(batch, province_officer):
    return announced(batch, province_officer)


@pytest.fixture
def units(announcement):
    return [
        recognised(announcement, city_code="440100"),
        recognised(announcement, city_code="440300"),
        recognised(announcement, city_code="441400", category="platform"),
    ]


def open_round(actor, **kwargs):
    from shifan.tracking import services

    values = {"title": "2024年度运行情况报告", "year": 2024, "due_on": DUE, "today": TODAY}
    values.update(kwargs)
    return services.open_round(actor=actor, **values)
