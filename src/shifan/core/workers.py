"""The task workers' names, and the recovery of the tasks a killed worker left running.

A worker (`manage.py run_worker`, django-tasks-db's `db_worker` with what follows) claims a task
by setting it RUNNING and appending its id to the task's `worker_ids`; it marks the task
SUCCESSFUL or FAILED when the task returns. A worker killed in between (SIGKILL, the machine lost,
the out-of-memory killer) leaves the task RUNNING, and django-tasks-db never looks at it again.

So each worker is named `<host>:<pid>:<token>`, the token standing for the process's start (the
machine's boot id and the process's start time, both from /proc): a pid reused after a restart, or
after a reboot, gives another token. `requeue_abandoned_tasks` (run by every worker at start and
then every minute) returns to READY the RUNNING tasks whose last worker is gone:

- on this host, when no process of that pid and token runs;
- on any host (another server's worker cannot be looked at), when the task has been running for
  longer than the lease, `SHIFAN_TASK_LEASE_MINUTES`. The lease must exceed the longest task: a
  bulk export reports progress, and its rerun leaves alone a job that progressed within
  `documents.exports.STALLED_AFTER`, which the lease's default (30 minutes) exceeds.

One UPDATE per sweep, guarded by each task's status and start time as read: two workers sweeping
at once requeue a task once, and a task claimed again meanwhile is not touched. `worker_ids` keeps
its history (the next claim appends the next worker). Requeued tasks run again, so every task must
be safe to run twice (docs/operations.md, "Crash safety").
"""

from __future__ import annotations

import hashlib
import logging
import os
import socket
from datetime import timedelta
from functools import cache
from pathlib import Path

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

logger = logging.getLogger(__name__)

# django-tasks-db refuses longer worker ids.
WORKER_ID_LENGTH = 64
SWEEP_SECONDS = 60


@cache
def host_name() -> str:
    return socket.gethostname().split(".", 1)[0][:32] or "host"


@cache
def _boot_id() -> str:
    try:
        return Path("/proc/sys/kernel/random/boot_id").read_text().strip()
    except OSError:
        return ""


def process_token(pid: int) -> str | None:
    """Return the token of the running process `pid`, or None if none runs.

    Without /proc (not Linux) the token is "-" for every live process: a reused pid then passes
    for the worker it replaced, and only the lease frees that worker's task.
    """
    try:
        fields = Path(f"/proc/{pid}/stat").read_bytes().rsplit(b")", 1)[1].split()
    except FileNotFoundError:
        return None
    except OSError:
        return _alive_without_proc(pid)
    start_ticks = fields[19].decode()  # the 22nd field of stat, after "pid (comm)"
    return hashlib.sha256(f"{_boot_id()}:{start_ticks}".encode()).hexdigest()[:12]


def _alive_without_proc(pid: int) -> str | None:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return None
    except PermissionError:
        return "-"
    return "-"


def worker_id() -> str:
    """Return this process's worker id: `<host>:<pid>:<token>`."""
    pid = os.getpid()
    return f"{host_name()}:{pid}:{process_token(pid) or '-'}"[:WORKER_ID_LENGTH]


def worker_is_gone(worker: str) -> bool:
    """Return whether the worker `worker` is known to have stopped: it ran on this host, and no
    process with its pid and token runs now. Another host's worker, or an id of another form,
    is not known to be gone."""
    host, _, rest = worker.partition(":")
    pid, _, token = rest.partition(":")
    if host != host_name() or not pid.isdigit() or not token:
        return False
    running = process_token(int(pid))
    return running is None or (running != token and running != "-")


def lease() -> timedelta:
    return timedelta(minutes=settings.SHIFAN_TASK_LEASE_MINUTES)


def requeue_abandoned_tasks() -> int:
    """Return to READY the RUNNING tasks whose worker is gone or whose lease ran out; return how
    many this sweep requeued (another worker sweeping at the same moment requeues none of them)."""
    from django_tasks_db.models import DBTaskResult

    expired = timezone.now() - lease()
    running = DBTaskResult.objects.filter(status="RUNNING").values_list(
        "id", "started_at", "worker_ids", "task_path"
    )
    abandoned = {}
    for pk, started_at, workers, task_path in running:
        last = workers[-1] if workers else ""
        if worker_is_gone(last):
            abandoned[pk] = (started_at, f"{task_path}: its worker {last} is gone")
        elif started_at is not None and started_at < expired:
            abandoned[pk] = (
                started_at,
                f"{task_path}: running since {started_at:%Y-%m-%d %H:%M:%S}, past the lease",
            )
    if not abandoned:
        return 0
    guard = Q(pk__in=[])
    for pk, (started_at, _why) in abandoned.items():
        guard |= Q(pk=pk, started_at=started_at)
    requeued = DBTaskResult.objects.filter(guard, status="RUNNING").update(status="READY")
    for pk, (_started_at, why) in abandoned.items():
        logger.warning("Abandoned task %s (%s)", pk, why)
    logger.warning(
        "Requeued %d of %d abandoned tasks (another sweep took the others)", requeued, len(abandoned)
    )
    return requeued
