"""/healthz and /readyz (shifan.core.health): real database, cache, storage and task table."""

import json
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from shifan.core.mail import deliver_mail
from tests import factories
from tests.helpers import login_verified

pytestmark = pytest.mark.django_db

DATABASE_QUEUE = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


def checks_of(response) -> dict:
    body = json.loads(response.content)
    assert body["status"] == ("ok" if response.status_code == 200 else "fail")
    return {name: check["ok"] for name, check in body["checks"].items()}


def assert_not_kept(response):
    assert response["Cache-Control"] == "private, no-store"
    assert not response.cookies


def test_healthz_answers_ok_without_reading_anything(client):
    login_verified(client, factories.ProvinceOfficerFactory())  # even with a session cookie sent
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/healthz")
    assert response.status_code == 200
    assert response.content == b"ok"
    assert len(queries) == 0
    assert_not_kept(response)


def test_probes_on_plain_http_and_the_servers_address_get_their_answer(client, settings):
    settings.SECURE_SSL_REDIRECT = True
    assert client.get("/").status_code == 301  # every page is sent to HTTPS
    for path in ("/healthz", "/readyz"):
        response = client.get(path, HTTP_HOST="10.0.0.5:8000")  # not an allowed host name
        assert response.status_code == 200, path


def test_readyz_passes_every_check_and_tells_nothing_sensitive(client, settings):
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert checks_of(response) == {
        "database": True,
        "cache": True,
        "storage": True,
        "worker": True,
        "queue": True,
    }
    assert_not_kept(response)
    text = response.content.decode()
    for secret in (str(settings.MEDIA_ROOT), str(connection.settings_dict["NAME"]), settings.SECRET_KEY):
        assert secret not in text


def test_only_get_and_head(client):
    assert client.head("/readyz").status_code == 200
    response = client.post("/healthz")
    assert response.status_code == 405
    assert response["Allow"] == "GET, HEAD"


def test_readyz_fails_when_uploads_cannot_be_written(client, settings, tmp_path):
    blocked = tmp_path / "a-file"
    blocked.write_text("not a folder")
    settings.MEDIA_ROOT = blocked / "media"
    response = client.get("/readyz")
    assert response.status_code == 503
    assert checks_of(response)["storage"] is False
    assert checks_of(response)["database"] is True
    body = response.content.decode()
    assert str(blocked) not in body
    assert "详见服务器日志" in body


def test_readyz_fails_when_the_cache_keeps_nothing(client, settings):
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}}
    response = client.get("/readyz")
    assert response.status_code == 503
    assert checks_of(response) == {
        "database": True,
        "cache": False,
        "storage": True,
        "worker": True,
        "queue": True,
    }


def _queue_mail_waiting(minutes: float) -> DBTaskResult:
    result = deliver_mail.enqueue(subject="测试", body="正文", to=["a@example.com"])
    DBTaskResult.objects.filter(pk=result.id).update(enqueued_at=timezone.now() - timedelta(minutes=minutes))
    return DBTaskResult.objects.get(pk=result.id)


def test_readyz_reads_the_workers_heartbeat_and_the_queues_age_from_the_task_table(client, settings):
    settings.TASKS = DATABASE_QUEUE
    settings.SHIFAN_READY_WORKER_MINUTES = 10
    settings.SHIFAN_READY_QUEUE_MINUTES = 15

    _queue_mail_waiting(minutes=1)  # a fresh task: the worker has not had time to take it
    assert client.get("/readyz").status_code == 200

    # Waiting 12 minutes with nothing started or finished meanwhile: the worker is not running.
    waiting = _queue_mail_waiting(minutes=12)
    response = client.get("/readyz")
    assert response.status_code == 503
    assert checks_of(response)["worker"] is False
    assert checks_of(response)["queue"] is True
    assert "run_worker" in response.content.decode()

    # A task finished two minutes ago: the worker runs, only slowly.
    finished = _queue_mail_waiting(minutes=3)
    DBTaskResult.objects.filter(pk=finished.pk).update(
        status="SUCCESSFUL", started_at=timezone.now() - timedelta(minutes=2), finished_at=timezone.now()
    )
    assert client.get("/readyz").status_code == 200

    # Past the queue's limit the queue fails, whatever the worker does.
    DBTaskResult.objects.filter(pk=waiting.pk).update(enqueued_at=timezone.now() - timedelta(minutes=20))
    response = client.get("/readyz")
    assert response.status_code == 503
    assert checks_of(response)["queue"] is False
    assert checks_of(response)["worker"] is True
    assert "等待中的任务 2 个" in response.content.decode()

    # A task planned for later counts from its run_after, not from when it was queued.
    DBTaskResult.objects.filter(status="READY").delete()
    planned = _queue_mail_waiting(minutes=60 * 24)
    DBTaskResult.objects.filter(pk=planned.pk).update(run_after=timezone.now() - timedelta(minutes=1))
    assert client.get("/readyz").status_code == 200
    DBTaskResult.objects.filter(pk=planned.pk).update(run_after=timezone.now() + timedelta(days=1))
    assert client.get("/readyz").status_code == 200  # not due yet: not waiting
