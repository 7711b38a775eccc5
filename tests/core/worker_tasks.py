"""A task for tests/core/test_competing_workers.py: it leaves one file per run, named by its number
and the process that ran it, so that a task run twice, or by no one, shows."""

from __future__ import annotations

import os
import time
from pathlib import Path

from django_tasks import task


@task()
def leave_mark(directory: str, number: int) -> int:
    # O_EXCL: a second run of the same task in the same process would fail; one in another
    # process leaves a second file, with its own pid.
    path = Path(directory) / f"{number:04d}-{os.getpid()}"
    os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY))
    time.sleep(0.01)  # long enough for the other worker to reach the queue meanwhile
    return number
