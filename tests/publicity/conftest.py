import itertools
from datetime import date

import pytest
from django.utils import timezone

from shifan.applications.models import ApplicationState
from shifan.expert_review.models import ProposedList
from tests import factories
from tests.helpers import login_verified

_serial = itertools.count(1)

# A Monday well inside a year the holiday package covers: a 7-working-day notice ends on Tuesday.
START = date(2025, 3, 3)
END = date(2025, 3, 11)


def proposed(batch, *, city_code="440100", category="enterprise", name=None):
    """Return an application on the fixed proposed list, with its organisation's admin."""
    organisation = factories.OrganisationFactory(city_code=city_code, **({"name": name} if name else {}))
    admin = factories.MembershipFactory(organisation=organisation, is_admin=True).user
    answers = (
        {"modes": {"selected": ["industrial_design", "supply_chain"]}}
        if category == "enterprise"
        else {"main_mode": "shared_manufacturing"}
    )
    application = factories.ApplicationFactory(
        batch=batch, organisation=organisation, category=category, answers=answers, created_by=admin
    )
    application.number = f"GD-SMD-2024-{'E' if category == 'enterprise' else 'P'}-{next(_serial):04d}"
    application.state = ApplicationState.PROPOSED
    application.save(update_fields=["number", "state"])
    return application


@pytest.fixture
def officer_client(client, province_officer):
    return login_verified(client, province_officer)


@pytest.fixture
def batch(db, province_officer):
    batch = factories.BatchFactory()
    ProposedList.objects.create(batch=batch, fixed_at=timezone.now(), fixed_by=province_officer)
    return batch


@pytest.fixture
def listed(batch):
    return [
        proposed(batch, city_code="440100"),
        proposed(batch, city_code="440300"),
        proposed(batch, city_code="440600", category="platform"),
    ]


def open_notice(actor, batch, *, starts_on=START, today=START, **kwargs):
    from shifan.publicity import services

    return services.open_notice(
        actor=actor,
        batch=batch,
        starts_on=starts_on,
        title="2024年广东省服务型制造示范拟认定名单公示",
        contact_office="生产服务业处",
        contact_phone="020-83133333",
        today=today,
        **kwargs,
    )
