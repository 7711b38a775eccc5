"""The list pages' paginator: a short list costs one query, and every page is Django's."""

import pytest

from shifan.core.models import Notice
from shifan.core.pagination import Paginator
from tests import factories

pytestmark = pytest.mark.django_db


def notices(count):
    person = factories.UserFactory()
    Notice.objects.bulk_create(Notice(recipient=person, title=f"通知{n}", body="") for n in range(count))
    return Notice.objects.filter(recipient=person).order_by("pk")


@pytest.mark.parametrize("count", [0, 1, 29])
def test_a_first_page_that_is_not_full_is_counted_by_its_rows(count, django_assert_num_queries):
    rows = notices(count)
    with django_assert_num_queries(1):
        page = Paginator(rows, 30).get_page(None)
        assert [notice.title for notice in page] == [f"通知{n}" for n in range(count)]
        assert (page.paginator.count, page.paginator.num_pages, page.has_next()) == (count, 1, False)


@pytest.mark.parametrize("count", [30, 31, 75])
def test_a_full_first_page_asks_the_count(count, django_assert_num_queries):
    rows = notices(count)
    with django_assert_num_queries(2):
        page = Paginator(rows, 30).get_page("1")
        assert len(page) == 30
        assert page.paginator.count == count
        assert page.has_next() == (count > 30)


@pytest.mark.parametrize(
    ("asked", "number"), [("2", 2), ("abc", 1), ("", 1), ("0", 3), ("-1", 3), ("99", 3), ("1.5", 1)]
)
def test_every_page_number_is_answered_as_djangos_paginator_answers_it(asked, number):
    rows = notices(75)
    page = Paginator(rows, 30).get_page(asked)
    assert page.number == number
    assert [notice.title for notice in page][:1] == [f"通知{(number - 1) * 30}"]
