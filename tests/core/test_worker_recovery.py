"""A task left RUNNING by a killed worker is queued again (core.workers, `manage.py run_worker`).

On this host a task whose worker's process is gone (or whose pid now belongs to another process)
is requeued and run to completion by the next worker; a live worker's task is left alone; another
host's task is requeued only past the lease; two sweeps at the same moment requeue a task once.
Real processes and the real database (SQLite or PostgreSQL, whichever the suite runs on).
"""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone

from shifan.core.workers import host_name, process_token, requeue_abandoned_tasks, worker_id
from tests.helpers import start_worker

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def queued(settings: Any, tmp_path: Path) -> Any:
    """Return a function that queues `leave_mark` tasks and sets them RUNNING by a given worker."""
    from django_tasks_db.models import DBTaskResult

    from tests.core.worker_tasks import leave_mark

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

    def make(worker: str, *, count: int = 1, started: timedelta = timedelta(0)) -> list[Any]:
        results = [leave_mark.enqueue(str(tmp_path), number) for number in range(count)]
        pks = [result.id for result in results]
        DBTaskResult.objects.filter(pk__in=pks).update(
            status="RUNNING", started_at=timezone.now() - started, worker_ids=[worker]
        )
        return list(DBTaskResult.objects.filter(pk__in=pks))

    return make


def dead_pid() -> int:
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


@pytest.fixture
def live_process() -> Any:
    process = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    yield process
    process.kill()
    process.wait()


def statuses(tasks: list[Any]) -> list[str]:
    for task in tasks:
        task.refresh_from_db()
    return [task.status for task in tasks]


def test_the_worker_id_names_host_pid_and_the_process_start() -> None:
    import os

    host, pid, token = worker_id().split(":")
    assert (host, int(pid)) == (host_name(), os.getpid())
    assert token == process_token(os.getpid())
    assert len(token) == 12


def test_a_task_of_a_dead_worker_on_this_host_is_requeued_and_run_to_completion(
    queued: Any, tmp_path: Path
) -> None:
    from django.db import connection

    gone = f"{host_name()}:{dead_pid()}:0123456789ab"
    [task] = queued(gone)

    worker = start_worker(connection.settings_dict)
    output = worker.communicate(timeout=120)[0].decode()
    assert worker.returncode == 0, output

    task.refresh_from_db()
    assert task.status == "SUCCESSFUL"
    assert task.worker_ids[0] == gone
    assert len(task.worker_ids) == 2
    assert task.worker_ids[1].startswith(f"{host_name()}:{worker.pid}:")
    assert [path.name.split("-")[0] for path in tmp_path.iterdir()] == ["0000"]


def test_a_live_workers_task_is_left_running(queued: Any, live_process: Any) -> None:
    tasks = queued(f"{host_name()}:{live_process.pid}:{process_token(live_process.pid)}")
    assert requeue_abandoned_tasks() == 0
    assert statuses(tasks) == ["RUNNING"]


def test_a_pid_reused_by_another_process_does_not_keep_the_task(queued: Any, live_process: Any) -> None:
    # The pid runs, but it is not the process that claimed the task: its start gives another token.
    tasks = queued(f"{host_name()}:{live_process.pid}:0123456789ab")
    assert requeue_abandoned_tasks() == 1
    assert statuses(tasks) == ["READY"]


def test_another_hosts_task_is_requeued_only_past_the_lease(queued: Any, settings: Any) -> None:
    settings.SHIFAN_TASK_LEASE_MINUTES = 30
    within = queued("elsewhere:4242:0123456789ab", started=timedelta(minutes=29))
    past = queued("elsewhere:4243:0123456789ab", started=timedelta(minutes=31))
    assert requeue_abandoned_tasks() == 1
    assert statuses(within) == ["RUNNING"]
    assert statuses(past) == ["READY"]


def test_two_sweeps_at_the_same_moment_requeue_each_task_once(queued: Any) -> None:
    from django.db import connection, connections
    from django_tasks_db.models import DBTaskResult

    tasks = queued(f"{host_name()}:{dead_pid()}:0123456789ab", count=5)
    # Another connection holds the tasks' rows (PostgreSQL) or the write lock (SQLite): both
    # sweeps read the five tasks as abandoned, then wait at their UPDATE until it lets go.
    holder = connections.create_connection("default")
    cursor = holder.cursor()
    table = DBTaskResult._meta.db_table
    if connection.vendor == "sqlite":
        cursor.execute("BEGIN IMMEDIATE")
    else:
        holder.set_autocommit(False)
        cursor.execute(f"SELECT id FROM {table} FOR UPDATE")  # noqa: S608 - the model's own table
    counts: list[int] = []

    def sweep() -> None:
        try:
            counts.append(requeue_abandoned_tasks())
        finally:
            connections.close_all()

    threads = [threading.Thread(target=sweep) for _ in range(2)]
    for thread in threads:
        thread.start()
    time.sleep(2)  # both have read and wait for the lock
    assert counts == []
    cursor.execute("COMMIT") if connection.vendor == "sqlite" else holder.commit()
    holder.close()
    for thread in threads:
        thread.join(timeout=30)

    assert sorted(counts) == [0, 5]
    assert statuses(tasks) == ["READY"] * 5
