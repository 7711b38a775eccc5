"""The tracking rounds and a round's reports cost what they show.

The same queries for 1 row and for 1,000, and the rows read a page at a time.
"""

import pytest
from django.urls import reverse

from shifan.tracking.models import Report, Round
from tests import factories
from tests.helpers import assert_flat, read_list
from tests.publicity.test_list_scale import many_units
from tests.tracking.conftest import DUE, announced

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("role", ["city", "province"])
def test_the_round_list_reads_one_page_whatever_it_holds(client, city_officer, province_officer, role):
    user = city_officer if role == "city" else province_officer
    unit = many_units(announced(factories.BatchFactory(), province_officer), 1)[0]

    def many_rounds(count, start):
        rounds = Round.objects.bulk_create(
            Round(title=f"批量报告{start + n}", year=2024, due_on=DUE, opened_by=province_officer)
            for n in range(count)
        )
        Report.objects.bulk_create(Report(round=round_, unit=unit) for round_ in rounds)

    url = reverse("tracking:rounds")
    many_rounds(1, 0)
    few, _page = read_list(client, user, url, table="tracking_round")
    many_rounds(999, 1)
    many, page = read_list(client, user, url, table="tracking_round")
    assert_flat(few, many)
    assert page.count("批量报告") >= 20


@pytest.mark.parametrize("role", ["city", "province"])
@pytest.mark.parametrize(
    "params", [{}, {"state": "overdue"}, {"q": "批量"}, {"evaluation": "none"}, {"page": "2"}]
)
def test_a_rounds_reports_read_one_page_whatever_it_holds(
    client, city_officer, province_officer, role, params
):
    user = city_officer if role == "city" else province_officer
    small = announced(factories.BatchFactory(), province_officer)
    large = announced(factories.BatchFactory(), province_officer)
    rounds = {}
    for announcement, count, start in ((small, 1, 0), (large, 1000, 1)):
        units = many_units(announcement, count, start=start)
        rounds[count] = Round.objects.create(
            title="2024年度运行情况报告", year=2024, due_on=DUE, opened_by=province_officer
        )
        Report.objects.bulk_create(Report(round=rounds[count], unit=unit) for unit in units)
    few, _page = read_list(
        client, user, reverse("tracking:round", kwargs={"pk": rounds[1].pk}), params, table="tracking_report"
    )
    many, page = read_list(
        client,
        user,
        reverse("tracking:round", kwargs={"pk": rounds[1000].pk}),
        params,
        table="tracking_report",
    )
    assert_flat(few, many)
    assert page.count("批量测试制造") >= 20
