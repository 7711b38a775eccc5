"""The province's lists of objections and demonstration units cost what they show.

The same queries for 1 row and for 1,000, and the rows read a page at a time.
"""

from datetime import date

import pytest
from django.urls import reverse

from shifan.applications.models import Application, ApplicationState
from shifan.publicity.models import DemonstrationUnit, Objection
from tests import factories
from tests.helpers import assert_flat, read_list
from tests.publicity.conftest import START, open_notice
from tests.tracking.conftest import announced

pytestmark = pytest.mark.django_db


def many_units(announcement, count, *, start=0):
    """Return `count` recognised units of the announcement, made in bulk; every other one recommended."""
    applications = factories.many_submitted(announcement.batch, count, start=start)
    Application.objects.filter(pk__in=[a.pk for a in applications]).update(state=ApplicationState.RECOGNISED)
    return DemonstrationUnit.objects.bulk_create(
        DemonstrationUnit(
            announcement=announcement,
            application=application,
            organisation=application.organisation,
            category=application.category,
            category_name="示范平台" if application.category == "platform" else "示范企业",
            position=start + n + 1,
            unit_name=application.unit_name,
            city_code=application.city_code,
            city_name="广州市",
            valid_from=date(2024, 12, 1),
            valid_until=date(2027, 11, 30),
            national_recommended=n % 2 == 0,
            national_priority=start + n + 1 if n % 2 == 0 else None,
        )
        for n, application in enumerate(applications)
    )


@pytest.mark.parametrize(
    "params",
    [{}, {"q": "批量"}, {"city": "440100", "category": "enterprise"}, {"national": "yes"}, {"page": "2"}],
)
def test_the_unit_list_reads_one_page_whatever_it_holds(client, province_officer, params):
    url = reverse("publicity:units")
    small = announced(factories.BatchFactory(), province_officer)
    large = announced(factories.BatchFactory(), province_officer)
    many_units(small, 1)
    few, _page = read_list(
        client,
        province_officer,
        url,
        {"batch": small.batch_id, **params},
        table="publicity_demonstrationunit",
    )
    many_units(large, 1000, start=1)
    many, page = read_list(
        client,
        province_officer,
        url,
        {"batch": large.batch_id, **params},
        table="publicity_demonstrationunit",
    )
    assert_flat(few, many)
    assert page.count("批量测试制造") >= 10


@pytest.mark.parametrize("params", [{}, {"state": "received"}, {"q": "张"}, {"page": "2"}])
def test_the_notices_objections_read_one_page_whatever_they_hold(
    client, province_officer, batch, listed, params
):
    notice = open_notice(province_officer, batch, starts_on=START, today=START)
    entry = notice.entries.first()

    def many_objections(count, start):
        Objection.objects.bulk_create(
            Objection(
                notice=notice,
                entry=entry,
                reference=f"YY{start + n:08d}",
                objector_kind="person",
                name=f"张{start + n}",
                phone="13800138000",
                grounds="该企业近三年发生过重大安全事故。",
            )
            for n in range(count)
        )

    url = reverse("publicity:notice", kwargs={"pk": notice.pk})
    many_objections(1, 0)
    few, _page = read_list(client, province_officer, url, params, table="publicity_objection")
    many_objections(999, 1)
    many, page = read_list(client, province_officer, url, params, table="publicity_objection")
    assert_flat(few, many)
    assert page.count('data-testid="objection-row"') == 25


def test_the_citys_inquiries_read_one_page_whatever_they_hold(
    client, province_officer, city_officer, batch, listed
):
    from shifan.publicity.models import Inquiry

    notice = open_notice(province_officer, batch, starts_on=START, today=START)
    entry = notice.entries.get(city_code=city_officer.city_code)

    def many_inquiries(count, start):
        objections = Objection.objects.bulk_create(
            Objection(
                notice=notice,
                entry=entry,
                reference=f"YQ{start + n:08d}",
                objector_kind="person",
                name="张明",
                phone="13800138000",
                grounds="该企业近三年发生过重大安全事故。",
            )
            for n in range(count)
        )
        Inquiry.objects.bulk_create(
            Inquiry(
                objection=objection,
                addressee="city",
                question="请核查安全生产情况。",
                asked_by=province_officer,
            )
            for objection in objections
        )

    url = reverse("publicity:inquiries")
    many_inquiries(1, 0)
    few, _page = read_list(client, city_officer, url, table="publicity_inquiry")
    many_inquiries(999, 1)
    many, page = read_list(client, city_officer, url, table="publicity_inquiry")
    assert_flat(few, many)
    assert page.count(f'href="{reverse("publicity:inquiries")}') >= 20
