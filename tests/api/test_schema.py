"""Schemathesis against the live schema, with every kind of client.

Generated requests (valid and invalid) to every read endpoint must find no server error, no
answer outside the schema (status, content type, body, headers) and no row outside the client's
scope. Writes are left to the matrix and the behaviour tests: generated writes would change the
rows the next examples read.
"""

import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from hypothesis import HealthCheck, given, settings

from shifan.api.services import create_client
from tests import factories

EXAMPLES = 8
KINDS = (("province", "province", ""), ("city", "city", "440100"))


@pytest.fixture
def in_process():
    """Keep the test's database connection open across the WSGI requests, as Django's test client does."""
    from django.core import signals
    from django.db import close_old_connections

    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture
def scoped(db, in_process):
    batch = factories.BatchFactory()
    factories.many_submitted(batch, 3, city_code="440100")
    factories.many_submitted(batch, 2, city_code="440300", start=50)
    province = factories.ProvinceOfficerFactory()
    tokens = {}
    for kind, role, city in KINDS:
        _client, tokens[kind] = create_client(
            actor=province, name=kind, role=role, city_code=city, can_write=False, valid_days=5
        )
    return tokens


def outside_the_scope(city_code):
    """A check: every application a city client is answered is of its own city."""

    def check(ctx, response, case):
        if response.status_code != 200 or not city_code:
            return
        body = response.json()
        items = body.get("results", [body]) if isinstance(body, dict) else []
        for item in items:
            if isinstance(item, dict) and "credit_code" in item and "city_code" in item:
                assert item["city_code"] == city_code, (
                    f"{item['id']} of {item['city_code']} answered to {city_code}"
                )
        return

    return check


@pytest.mark.parametrize(("kind", "city_code"), [(kind, city) for kind, _role, city in KINDS])
def test_reads_conform_to_the_schema_for_every_client(scoped, kind, city_code):
    schema = schemathesis.openapi.from_wsgi("/api/v1/schema/", WSGIHandler())
    headers = {"Authorization": f"Bearer {scoped[kind]}"}
    check = schemathesis.check(outside_the_scope(city_code))
    operations = [op.ok() for op in schema.get_all_operations() if op.ok().method.upper() == "GET"]
    assert len(operations) >= 12
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            database=None,
            # The same examples on every run: a failure here is the code's, reproducible, never luck.
            derandomize=True,
            suppress_health_check=list(HealthCheck),
        )
        def run(case):
            case.call_and_validate(headers=headers, additional_checks=[check])

        run()
