"""SQLite with writers that queue: each write transaction first takes a lock beside the file.

With `BEGIN IMMEDIATE`, a writer that finds the database locked is left to SQLite's busy handler,
which sleeps and retries with growing pauses (up to 100 ms each) rather than waking when the
lock is free. Under many concurrent writers (the deadline day: every applicant autosaving) that
turns a 5 ms wait into a second in the tail, and a waiter may lose to newcomers again and again.
Here a write transaction first takes a lock on `<database>-lock`: one thread per process at a
time (a `threading.Lock`, given up after the connection's timeout like SQLite's own wait), then
the file lock shared by every process (`flock`), which the kernel hands to the next waiter as
soon as it is released. SQLite's own locking is unchanged underneath; writes outside a
transaction (single statements in autocommit) still wait in its busy handler, as before.
See docs/decisions/0012-sqlite-writer-queue.md.
"""

import fcntl
import os
import threading
from typing import Any

from django.db.backends.sqlite3 import base
from django.db.utils import OperationalError

_process_locks: dict[str, threading.Lock] = {}
_process_locks_guard = threading.Lock()


def process_lock(path: str) -> threading.Lock:
    """Return the lock the threads of this process take, one at a time, to write to `path`."""
    with _process_locks_guard:
        return _process_locks.setdefault(path, threading.Lock())


def lock_path(database_path: str) -> str:
    return f"{database_path}-lock"


class DatabaseWrapper(base.DatabaseWrapper):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._writer_file: tuple[str, int] | None = None  # (lock path, open descriptor)
        self._writer_lock: threading.Lock | None = None  # held from BEGIN to COMMIT or ROLLBACK

    def _start_transaction_under_autocommit(self) -> None:
        self._take_writer_lock()
        try:
            super()._start_transaction_under_autocommit()  # type: ignore[misc]  # private in the stubs
        except BaseException:
            self._release_writer_lock()
            raise

    def _commit(self) -> None:
        try:
            super()._commit()  # type: ignore[misc]  # private in the stubs
        finally:
            self._release_writer_lock()

    def _rollback(self) -> None:
        try:
            super()._rollback()  # type: ignore[misc]  # private in the stubs
        finally:
            self._release_writer_lock()

    def _close(self) -> None:
        try:
            super()._close()  # type: ignore[misc]  # private in the stubs
        finally:
            self._release_writer_lock()
            if self._writer_file is not None:
                os.close(self._writer_file[1])
                self._writer_file = None

    @property
    def holds_writer_lock(self) -> bool:
        return self._writer_lock is not None

    def _take_writer_lock(self) -> None:
        if self._writer_lock is not None or self.is_in_memory_db():
            return
        path = lock_path(str(self.settings_dict["NAME"]))
        in_process = process_lock(path)
        timeout = float(self.settings_dict.get("OPTIONS", {}).get("timeout", 5))
        if not in_process.acquire(timeout=timeout):
            raise OperationalError("database is locked")
        try:
            if self._writer_file is None or self._writer_file[0] != path:
                if self._writer_file is not None:
                    os.close(self._writer_file[1])
                self._writer_file = (path, os.open(path, os.O_RDWR | os.O_CREAT, 0o600))
            # Blocks until the writer of another process commits; one thread per process waits here.
            fcntl.flock(self._writer_file[1], fcntl.LOCK_EX)
        except BaseException:
            in_process.release()
            raise
        self._writer_lock = in_process

    def _release_writer_lock(self) -> None:
        if self._writer_lock is None:
            return
        try:
            if self._writer_file is not None:
                fcntl.flock(self._writer_file[1], fcntl.LOCK_UN)
        finally:
            self._writer_lock.release()
            self._writer_lock = None
