import itertools

import pytest

from shifan.accounts.models import Role
from shifan.applications.models import ApplicationState
from tests import factories

_serial = itertools.count(1)


def accepted(
    batch,
    *,
    city_code="440100",
    category="enterprise",
    modes=("industrial_design",),
    industry="34",
    name=None,
):
    """Return an application accepted by the province, with a snapshot (made directly, for speed)."""
    organisation = factories.OrganisationFactory(city_code=city_code, **({"name": name} if name else {}))
    answers = {"industry": industry}
    if category == "enterprise":
        answers["modes"] = {"selected": list(modes)}
    else:
        answers["main_mode"] = "shared_manufacturing"
    application = factories.ApplicationFactory(
        batch=batch, organisation=organisation, category=category, answers=answers
    )
    application.number = f"GD-SMD-2024-{'E' if category == 'enterprise' else 'P'}-{next(_serial):04d}"
    factories.submitted(application)
    application.state = ApplicationState.ACCEPTED
    application.save(update_fields=["state"])
    return application


def expert(*, city_code="440300", expertise=("工业设计服务", "制造业"), industries=("34",), **kwargs):
    return factories.ExpertProfileFactory(
        user__role=Role.EXPERT,
        city_code=city_code,
        expertise=list(expertise),
        industries=list(industries),
        **kwargs,
    ).user


@pytest.fixture
def batch(db):
    return factories.BatchFactory(experts_per_application=2, expert_max_load=3)
