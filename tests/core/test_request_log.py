"""Request ids and JSON log lines (shifan.core.requestlog), and the id carried into tasks."""

import io
import json
import logging
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.core import mail
from django.urls import reverse
from django_tasks_db.management.commands.db_worker import Worker
from django_tasks_db.models import DBTaskResult

from shifan.core.requestlog import JsonFormatter, RequestContextFilter
from tests import factories
from tests.helpers import login_verified

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]
DATABASE_QUEUE = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
GENERATED = re.compile(r"[0-9a-f]{32}")


@pytest.fixture
def json_lines():
    """Every record of the project's loggers, formatted as SHIFAN_LOG_FORMAT=json formats them."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(RequestContextFilter())
    loggers = [logging.getLogger(name) for name in ("shifan.request", "django_tasks", "django_tasks_db")]
    levels = [each.level for each in loggers]
    for each in loggers:
        each.addHandler(handler)
        each.setLevel(logging.INFO)

    def read():
        return [json.loads(line) for line in stream.getvalue().splitlines()]

    yield read
    for each, level in zip(loggers, levels, strict=True):
        each.removeHandler(handler)
        each.setLevel(level)


def test_a_well_formed_incoming_request_id_is_kept_and_returned(client):
    response = client.get(reverse("documents:verify"), HTTP_X_REQUEST_ID="nginx-5f2b9c1d0a7e4e3f")
    assert response["X-Request-ID"] == "nginx-5f2b9c1d0a7e4e3f"


@pytest.mark.parametrize("incoming", ["", "short", "has space in it", "<script>alert(1)</script>", "x" * 101])
def test_a_missing_or_malformed_request_id_is_replaced(client, incoming):
    response = client.get(reverse("documents:verify"), HTTP_X_REQUEST_ID=incoming)
    assert GENERATED.fullmatch(response["X-Request-ID"])
    other = client.get(reverse("documents:verify"), HTTP_X_REQUEST_ID=incoming)
    assert other["X-Request-ID"] != response["X-Request-ID"]


def test_each_request_ends_with_one_json_line_with_its_fields(client, json_lines):
    officer = factories.ProvinceOfficerFactory(email="officer-secret@example.gov.cn")
    login_verified(client, officer)
    response = client.get(reverse("notices"), HTTP_X_REQUEST_ID="req-0001-abcdef")
    assert response.status_code == 200
    [line] = [line for line in json_lines() if line["logger"] == "shifan.request"]
    assert line["request_id"] == "req-0001-abcdef"
    assert line["user_id"] == officer.pk
    assert line["path"] == "/notices/"
    assert line["status"] == 200
    assert isinstance(line["duration_ms"], float)
    assert line["duration_ms"] >= 0
    assert line["level"] == "INFO"
    assert line["message"] == "GET /notices/ 200"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+\+00:00", line["time"])
    assert "officer-secret" not in json.dumps(line)


def test_an_anonymous_request_has_no_user(client, json_lines):
    client.get("/no-such-page/")
    [line] = [line for line in json_lines() if line["logger"] == "shifan.request"]
    assert line["user_id"] is None
    assert line["status"] == 404


# Real commits: the mail is queued when the page's transaction commits, inside the request.
@pytest.mark.django_db(transaction=True)
def test_a_task_run_in_the_request_logs_its_request_id(client, json_lines, mailoutbox):
    """Under the immediate backend a task queued by a page runs at its commit, in the request."""
    user = factories.UserFactory(email="member@example.com")
    response = client.post(
        reverse("accounts:password_reset"), {"email": user.email}, HTTP_X_REQUEST_ID="reset-request-42"
    )
    assert response.status_code == 302
    assert len(mailoutbox) == 1
    tasks = [line for line in json_lines() if line["logger"] == "django_tasks"]
    assert tasks, "the immediate backend logs the task's start and end"
    assert {line["request_id"] for line in tasks} == {"reset-request-42"}


def run_worker():
    Worker(
        queue_names=["*"],
        interval=0,
        batch=True,
        backend_name="default",
        startup_delay=False,
        max_tasks=None,
        worker_id="test-worker",
        excluded_queue_names=[],
    ).run()


@pytest.mark.django_db(transaction=True)
def test_a_task_queued_by_a_request_carries_its_id_into_the_worker(client, settings, json_lines):
    settings.TASKS = DATABASE_QUEUE
    user = factories.UserFactory(email="member@example.com")
    with_id = client.post(reverse("accounts:password_reset"), {"email": user.email})
    request_id = with_id["X-Request-ID"]
    queued = DBTaskResult.objects.get()
    assert queued.args_kwargs["request_id"] == request_id
    # The task's own arguments are as they were: the id travels beside them.
    assert set(queued.task_result.kwargs) == {"subject", "body", "to"}
    run_worker()
    assert DBTaskResult.objects.get().status == "SUCCESSFUL"
    assert len(mail.outbox) == 1
    worker_lines = [line for line in json_lines() if line["logger"] == "django_tasks"]
    finished = [line for line in worker_lines if "SUCCESSFUL" in line["message"]]
    assert finished
    assert all(line["request_id"] == request_id for line in finished)
    # The worker forgets the id once the task is done: what it logs next is not the request's.
    logging.getLogger("django_tasks").info("idle")
    assert json_lines()[-1]["request_id"] is None


def test_a_task_queued_outside_a_request_has_no_id(settings):
    from shifan.core.mail import deliver_mail

    settings.TASKS = DATABASE_QUEUE
    deliver_mail.enqueue(subject="s", body="b", to=["a@example.com"])
    assert "request_id" not in DBTaskResult.objects.get().args_kwargs


def test_json_format_from_the_environment_writes_one_object_a_line(tmp_path):
    environment = {
        **os.environ,
        "SHIFAN_LOG_FORMAT": "json",
        "SHIFAN_SQLITE_PATH": str(tmp_path / "none.sqlite3"),
        "DJANGO_SETTINGS_MODULE": "shifan.settings",
    }
    environment.pop("DATABASE_URL", None)
    script = (
        "import django, logging; django.setup(); "
        "logging.getLogger('shifan.example').warning('公示 %s 未能按时开始', 7)"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, env=environment, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    [line] = [json.loads(text) for text in result.stderr.splitlines()]
    assert line["message"] == "公示 7 未能按时开始"
    assert line["level"] == "WARNING"
    assert line["logger"] == "shifan.example"
    assert {"time", "request_id", "user_id", "path", "status", "duration_ms"} <= set(line)
    assert "公示" in result.stderr  # Chinese as it is, not \\u escapes
