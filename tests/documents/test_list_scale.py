"""The export page costs what it shows: the same queries for 1 book and job as for 1,000."""

import pytest
from django.urls import reverse
from django.utils import timezone

from shifan.documents.models import ExportJob, ExportState
from tests import factories
from tests.helpers import assert_flat, read_list

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("role", ["city", "province"])
def test_the_export_page_reads_one_page_whatever_the_batch_and_the_jobs_hold(
    client, city_officer, province_officer, role
):
    user = city_officer if role == "city" else province_officer
    batch = factories.BatchFactory()
    url = reverse("documents:exports")

    def more(count, start):
        factories.many_submitted(batch, count, start=start)
        ExportJob.objects.bulk_create(
            ExportJob(
                requested_by=user,
                batch=batch,
                city_code="440100",
                state=ExportState.DONE,
                total=count,
                done=count,
                finished_at=timezone.now(),
            )
            for _ in range(count)
        )

    # The check for stalled exports reads the officer's queued and running jobs: at most one per
    # selection (a constraint), whatever the list of finished ones holds.
    active = """"documents_exportjob"."state" IN ('queued', 'running')"""
    more(1, 0)
    few, _page = read_list(
        client, user, url, {"batch": batch.pk}, table="documents_exportjob", bounded=[active]
    )
    more(999, 1)
    many, page = read_list(
        client, user, url, {"batch": batch.pk}, table="documents_exportjob", bounded=[active]
    )
    assert_flat(few, many)
    assert "1000" in page
