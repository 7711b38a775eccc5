"""/metrics (shifan.core.metrics): who may read it, the request counts, the figures from the database."""

import os
import subprocess
import sys
import textwrap
from datetime import timedelta
from pathlib import Path

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult, get_date_max
from prometheus_client.parser import text_string_to_metric_families

from shifan.core.metrics import database_figures
from shifan.core.models import TaskRetry
from shifan.core.taskqueue import MAIL_TASK
from shifan.publicity.models import Notice
from tests import factories

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "scrape-token-0123456789"
AUTH = {"HTTP_AUTHORIZATION": f"Bearer {TOKEN}"}
EXPORT_TASK = "shifan.documents.tasks.build_export"


@pytest.fixture
def metrics_on(settings):
    """The settings with SHIFAN_METRICS_TOKEN set: /metrics answers and the middleware counts."""
    settings.SHIFAN_METRICS_TOKEN = TOKEN
    middleware = list(settings.MIDDLEWARE)
    middleware.insert(middleware.index("shifan.core.requestlog.RequestIdMiddleware") + 1, METRICS_MIDDLEWARE)
    settings.MIDDLEWARE = middleware
    return settings


METRICS_MIDDLEWARE = "shifan.core.metrics.RequestMetricsMiddleware"


def samples(client) -> dict[tuple[str, frozenset], float]:
    response = client.get("/metrics", **AUTH)
    assert response.status_code == 200
    found = {}
    for family in text_string_to_metric_families(response.content.decode()):
        for sample in family.samples:
            found[(sample.name, frozenset(sample.labels.items()))] = sample.value
    return found


def value(found, name, **labels) -> float:
    return found.get((name, frozenset(labels.items())), 0.0)


def test_without_configuration_metrics_is_a_bare_404_and_the_middleware_is_off(client, settings):
    assert not settings.SHIFAN_METRICS_TOKEN
    assert not settings.SHIFAN_METRICS_ALLOWED_ADDRESSES
    assert METRICS_MIDDLEWARE not in settings.MIDDLEWARE
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/metrics", **AUTH)
    assert response.status_code == 404
    assert response.content == b""
    assert len(queries) == 0


def test_the_token_is_required(client, metrics_on):
    assert client.get("/metrics").status_code == 401
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer wrong").status_code == 401
    assert client.get("/metrics", HTTP_AUTHORIZATION=TOKEN).status_code == 401
    response = client.get("/metrics", **AUTH)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain; version=")
    assert response["Cache-Control"] == "private, no-store"
    assert not response.cookies
    assert client.post("/metrics", **AUTH).status_code == 405


def test_allowed_addresses_alone_or_with_the_token(client, settings):
    settings.SHIFAN_METRICS_ALLOWED_ADDRESSES = ["10.0.0.0/8", "192.168.1.7"]
    assert client.get("/metrics").status_code == 403  # the test client's 127.0.0.1
    assert client.get("/metrics", REMOTE_ADDR="10.1.2.3").status_code == 200
    assert client.get("/metrics", REMOTE_ADDR="192.168.1.7").status_code == 200
    assert client.get("/metrics", REMOTE_ADDR="192.168.1.8").status_code == 403
    settings.SHIFAN_METRICS_TOKEN = TOKEN
    assert client.get("/metrics", REMOTE_ADDR="10.1.2.3").status_code == 401
    assert client.get("/metrics", REMOTE_ADDR="10.1.2.3", **AUTH).status_code == 200
    assert client.get("/metrics", REMOTE_ADDR="172.16.0.1", **AUTH).status_code == 403


def test_scraped_on_plain_http_by_address_before_the_https_redirect(client, metrics_on):
    metrics_on.SECURE_SSL_REDIRECT = True
    response = client.get("/metrics", HTTP_HOST="10.0.0.5:8000", **AUTH)
    assert response.status_code == 200


def test_requests_are_counted_by_url_name_and_status_never_by_path(client, metrics_on):
    before = samples(client)
    verify = reverse("documents:verify")
    assert client.get(verify).status_code == 200
    assert client.get(verify).status_code == 200
    assert client.get("/no-such-page/").status_code == 404
    opened = reverse("notice_open", kwargs={"pk": 987654})
    assert client.post(opened).status_code == 302  # anonymous: to the login page
    after = samples(client)

    def added(name, **labels):
        return value(after, name, **labels) - value(before, name, **labels)

    requests = "shifan_http_requests_total"
    assert added(requests, view="documents:verify", method="GET", status="200") == 2
    assert added(requests, view="<unresolved>", method="GET", status="404") == 1
    assert added(requests, view="notice_open", method="POST", status="302") == 1
    durations = "shifan_http_request_duration_seconds"
    assert added(f"{durations}_count", view="documents:verify", method="GET") == 2
    assert added(f"{durations}_bucket", view="documents:verify", method="GET", le="+Inf") == 2
    assert added(f"{durations}_sum", view="documents:verify", method="GET") > 0
    labels = {label for (_name, pairs) in after for pair in pairs for label in pair}
    assert not any("987654" in label or "/" in label.strip("<>") for label in labels if label != "le")


def failed(task_path, *, kwargs=None, minutes_ago=5):
    return DBTaskResult.objects.create(
        task_path=task_path,
        args_kwargs={"args": [], "kwargs": kwargs or {}},
        backend_name="default",
        run_after=get_date_max(),
        status="FAILED",
        finished_at=timezone.now() - timedelta(minutes=minutes_ago),
        worker_ids=["worker-a"],
        exception_class_path="ConnectionRefusedError",
        traceback="Traceback (most recent call last):\nConnectionRefusedError: [Errno 111] refused",
    )


def waiting(task_path, *, minutes_ago, run_after=None):
    result = DBTaskResult.objects.create(
        task_path=task_path,
        args_kwargs={"args": [], "kwargs": {}},
        backend_name="default",
        run_after=run_after or get_date_max(),
    )
    DBTaskResult.objects.filter(pk=result.pk).update(
        enqueued_at=timezone.now() - timedelta(minutes=minutes_ago)
    )
    return result


def scheduled_notice(starts_on, state="scheduled"):
    return Notice.objects.create(
        batch=factories.BatchFactory(),
        title="拟认定名单公示",
        starts_on=starts_on,
        working_days=7,
        ends_on=starts_on + timedelta(days=9),
        contact_office="生产服务业处",
        contact_phone="020-83133333",
        state=state,
        published_by=factories.ProvinceOfficerFactory(),
    )


def test_the_figures_follow_the_rows():
    empty = database_figures()
    assert empty == {
        "tasks_waiting": 0,
        "tasks_oldest_waiting_seconds": 0.0,
        "tasks_failed": {},
        "mail_failed": 0,
        "notices_opening_late": 0,
        "notices_opening_late_seconds": 0.0,
    }
    waiting(MAIL_TASK, minutes_ago=12)
    waiting(EXPORT_TASK, minutes_ago=1)
    waiting(EXPORT_TASK, minutes_ago=30, run_after=timezone.now() + timedelta(hours=1))  # not due yet
    failed(MAIL_TASK, kwargs={"subject": "通知", "body": "", "to": ["a@example.com"]})
    failed(MAIL_TASK)
    failed(EXPORT_TASK)
    retried = failed(EXPORT_TASK)
    TaskRetry.objects.create(
        failed_task=retried, retry_task_id="x", retried_by=factories.ProvinceOfficerFactory()
    )
    today = timezone.localdate()
    scheduled_notice(today - timedelta(days=1))  # late: should have opened yesterday at midnight
    scheduled_notice(today)  # late since this midnight
    scheduled_notice(today + timedelta(days=1))  # not yet
    scheduled_notice(today - timedelta(days=3), state="open")  # opened
    now = timezone.now()
    figures = database_figures(now)
    assert figures["tasks_waiting"] == 2
    assert 12 * 60 - 5 <= figures["tasks_oldest_waiting_seconds"] <= 12 * 60 + 60
    assert figures["tasks_failed"] == {MAIL_TASK: 2, EXPORT_TASK: 1}
    assert figures["mail_failed"] == 2
    assert figures["notices_opening_late"] == 2
    midnight = timezone.localtime(now).replace(hour=0, minute=0, second=0, microsecond=0) - timedelta(days=1)
    assert figures["notices_opening_late_seconds"] == pytest.approx((now - midnight).total_seconds())


def test_the_scrape_reads_the_database_in_three_queries_whatever_it_holds(client, metrics_on):
    for _ in range(3):
        failed(MAIL_TASK)
        failed(EXPORT_TASK)
        waiting(EXPORT_TASK, minutes_ago=2)
    scheduled_notice(timezone.localdate())
    with CaptureQueriesContext(connection) as queries:
        found = samples(client)
    assert len(queries) == 3
    assert value(found, "shifan_tasks_waiting") == 3
    assert value(found, "shifan_tasks_failed", task=MAIL_TASK) == 3
    assert value(found, "shifan_tasks_failed", task=EXPORT_TASK) == 3
    assert value(found, "shifan_mail_failed") == 3
    assert value(found, "shifan_notices_opening_late") == 1
    assert value(found, "shifan_metrics_database_ok") == 1
    assert value(found, "shifan_tasks_oldest_waiting_seconds") >= 119


SERVE_TWO = """
import django, os, sys
django.setup()
from django.test import Client
client = Client()
for _ in range(int(sys.argv[1])):
    assert client.get("/verify/").status_code == 200
if len(sys.argv) > 2:
    sys.stdout.write(client.get("/metrics", HTTP_AUTHORIZATION="Bearer {token}").content.decode())
"""


def test_several_processes_add_up_in_multiprocess_mode(tmp_path):
    """Two worker processes count requests; a third answers the scrape with the sum of all three."""
    folder = tmp_path / "prometheus"
    folder.mkdir()
    environment = {
        **{k: v for k, v in os.environ.items() if k != "DATABASE_URL"},
        "PROMETHEUS_MULTIPROC_DIR": str(folder),
        "SHIFAN_METRICS_TOKEN": TOKEN,
        "SHIFAN_SQLITE_PATH": str(tmp_path / "none.sqlite3"),
        "DJANGO_SETTINGS_MODULE": "shifan.settings",
    }
    script = textwrap.dedent(SERVE_TWO).format(token=TOKEN)

    def run(*arguments):
        result = subprocess.run(
            [sys.executable, "-c", script, *arguments],
            cwd=ROOT,
            env=environment,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert result.returncode == 0, result.stderr
        return result.stdout

    run("2")
    run("3")
    text = run("1", "scrape")
    found = {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }
    assert (
        value(found, "shifan_http_requests_total", view="documents:verify", method="GET", status="200") == 6
    )
    # The database of these processes has no tables: the counts are answered all the same.
    assert value(found, "shifan_metrics_database_ok") == 0
