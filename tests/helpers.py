import os
import subprocess
import sys
from pathlib import Path

from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice


def login_verified(client, user):
    """Log in as if the second factor was passed (officers and experts need it)."""
    client.force_login(user)
    if user.requires_two_factor:
        device = TOTPDevice.objects.filter(user=user, confirmed=True).first() or TOTPDevice.objects.create(
            user=user, name="测试", confirmed=True
        )
        session = client.session
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
        session.save()
    return client


def read_list(client, user, url, params=None, *, table, bounded=(), reads_rows=True):
    """Return a list page's query count and text, checking that it reads the rows a page at a time.

    Every query that reads rows of `table` (selects its columns, the id first: not a count, a sum
    or a grouping) must carry a LIMIT, but those holding one of the `bounded` texts: reads whose
    rows a constraint bounds, whatever the list holds. A page of counts only (`reads_rows=False`)
    reads no row of the table at all.
    """
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    login_verified(client, user)
    # Once before counting: the first request of a session fills what is cached per user, and a
    # page may bring its records up to date on its first view.
    client.get(url, params or {})
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url, params or {})
    assert response.status_code == 200
    listing = [query["sql"] for query in captured if query["sql"].startswith(f'SELECT "{table}"."id", ')]
    assert bool(listing) == reads_rows, listing or f"no query read {table}"
    assert all("LIMIT" in sql or any(text in sql for text in bounded) for sql in listing), listing
    return len(captured), response.content.decode()


def assert_flat(few, many):
    """The queries of a list page do not grow with its rows (`few` for a short list, `many` for a
    long one). A short list's first page holds every row, which gives the count without a COUNT
    query (`shifan.core.pagination`): it may ask one query fewer, never more."""
    assert many in (few, few + 1), f"{few} queries for a short list, {many} for a long one"


ROOT = Path(__file__).resolve().parent.parent


def start_worker(database, *, worker_id=None, environment=None):
    """Start one `run_worker --batch` process over the queued tasks (django-tasks-db's `db_worker`
    with the recovery of abandoned tasks), as `make demo` and production run it beside the web
    processes, on the test database (SQLite or PostgreSQL, whichever the suite runs
    on). It exits once no task is ready."""
    from django.conf import settings

    env = {
        **os.environ,
        "SHIFAN_TASKS_BACKEND": "django_tasks_db.DatabaseBackend",
        "SHIFAN_VAR_DIR": str(settings.VAR_DIR),
        "SHIFAN_EXPORT_PROCESSES": "1",
        "DJANGO_SETTINGS_MODULE": "shifan.settings",
        **(environment or {}),
    }
    if database["ENGINE"].endswith("postgresql"):
        user, host, port = database["USER"], database["HOST"] or "127.0.0.1", database["PORT"] or 5432
        password = f":{database['PASSWORD']}" if database["PASSWORD"] else ""
        env["DATABASE_URL"] = f"postgres://{user}{password}@{host}:{port}/{database['NAME']}"
    else:
        env.pop("DATABASE_URL", None)
        env["SHIFAN_SQLITE_PATH"] = str(database["NAME"])
    command = [
        sys.executable,
        "manage.py",
        "run_worker",
        "--batch",
        "--queue-name",
        "*",
        "--no-startup-delay",
    ]
    command += ["--interval", "0.1"]  # a locked SQLite database is tried again this soon
    if worker_id:
        command += ["--worker-id", worker_id]
    return subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
