"""Two workers on one queue, as the several-server layout runs them (docs/deployment.md).

Two `run_worker` processes started together take tasks from the same database queue: each of 40
tasks runs exactly once (one mark each, all results successful), and both workers have taken part,
so the claim of a task (django-tasks-db's locked read, SELECT … FOR UPDATE SKIP LOCKED on
PostgreSQL; SQLite's single writer here) is what kept them apart. On SQLite and on PostgreSQL,
whichever the suite runs on.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import start_worker

TASKS = 40


@pytest.mark.django_db(transaction=True)
def test_two_workers_run_each_task_exactly_once(settings: Any, tmp_path: Path) -> None:
    from django.db import connection
    from django_tasks_db.models import DBTaskResult

    from tests.core.worker_tasks import leave_mark

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    for number in range(TASKS):
        leave_mark.enqueue(str(tmp_path), number)
    assert DBTaskResult.objects.count() == TASKS

    workers = [start_worker(connection.settings_dict, worker_id=f"worker-{n}") for n in (1, 2)]
    outputs = []
    try:
        for worker in workers:
            outputs.append(worker.communicate(timeout=240)[0].decode())
    finally:
        for worker in workers:
            if worker.poll() is None:
                worker.kill()
                worker.communicate()
    for worker, output in zip(workers, outputs, strict=True):
        assert worker.returncode == 0, output

    marks = [path.name.split("-") for path in tmp_path.iterdir()]
    runs = Counter(int(number) for number, _ in marks)
    assert sorted(runs) == list(range(TASKS)), "a task did not run"
    assert set(runs.values()) == {1}, f"tasks run more than once: {[n for n, c in runs.items() if c > 1]}"
    assert len({pid for _, pid in marks}) == 2, "one worker took every task: they did not compete"

    results = DBTaskResult.objects.all()
    assert Counter(result.status for result in results) == {"SUCCESSFUL": TASKS}
    assert {result.worker_ids[0] for result in results} == {"worker-1", "worker-2"}
    assert all(len(result.worker_ids) == 1 for result in results)
