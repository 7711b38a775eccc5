"""SQLite write transactions queue on a lock beside the database file (shifan.core.sqlite).

Each test runs outside the test's own transaction (`transaction=True`), as the server's requests do.
"""

import fcntl
import os
import subprocess
import sys
import threading
import time
from datetime import timedelta

import pytest
from django.contrib.sessions.models import Session
from django.db import connection, transaction
from django.utils import timezone

from shifan.core.sqlite.base import lock_path

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "sqlite", reason="the writer lock is SQLite's"),
]


def _lock_is_free() -> bool:
    """Return whether another open file could take the writer lock now."""
    descriptor = os.open(lock_path(connection.settings_dict["NAME"]), os.O_RDWR | os.O_CREAT)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    else:
        fcntl.flock(descriptor, fcntl.LOCK_UN)
        return True
    finally:
        os.close(descriptor)


def _write(key: str) -> None:
    Session.objects.create(session_key=key, session_data="x", expire_date=timezone.now() + timedelta(days=1))


def test_a_write_transaction_holds_the_lock_until_it_commits():
    with transaction.atomic():
        _write("held-1")
        assert connection.holds_writer_lock
        assert not _lock_is_free()
    assert not connection.holds_writer_lock
    assert _lock_is_free()
    assert Session.objects.filter(session_key="held-1").exists()


def _write_and_fail() -> None:
    with transaction.atomic():
        _write("rolled-back")
        raise ValueError("refused")


def test_a_failed_transaction_gives_the_lock_back():
    with pytest.raises(ValueError, match="refused"):
        _write_and_fail()
    assert _lock_is_free()
    assert not Session.objects.filter(session_key="rolled-back").exists()


def test_an_inner_atomic_block_keeps_the_lock_of_the_outer_one():
    with transaction.atomic():
        with transaction.atomic():
            _write("inner")
        assert not _lock_is_free()  # a savepoint released, the transaction still open
    assert _lock_is_free()


def test_a_second_thread_waits_for_the_first_writer_and_then_writes():
    order: list[str] = []
    first_has_lock = threading.Event()

    def second() -> None:
        first_has_lock.wait()
        try:
            with transaction.atomic():
                order.append("second begins")
                _write("second")
        finally:
            connection.close()

    thread = threading.Thread(target=second)
    thread.start()
    with transaction.atomic():
        _write("first")
        first_has_lock.set()
        time.sleep(0.3)
        order.append("first commits")
    thread.join(timeout=10)
    assert order == ["first commits", "second begins"]
    assert Session.objects.filter(session_key__in=["first", "second"]).count() == 2


def test_a_writer_waits_for_another_process_holding_the_lock():
    with subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import fcntl, os, sys, time\n"
            "fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT)\n"
            "fcntl.flock(fd, fcntl.LOCK_EX)\n"
            "print('locked', flush=True)\n"
            "time.sleep(0.5)\n",
            lock_path(connection.settings_dict["NAME"]),
        ],
        stdout=subprocess.PIPE,
        text=True,
    ) as holder:
        assert holder.stdout is not None
        assert holder.stdout.readline().strip() == "locked"
        started = time.monotonic()
        with transaction.atomic():
            _write("after-the-other-process")
        waited = time.monotonic() - started
    assert waited >= 0.3
    assert Session.objects.filter(session_key="after-the-other-process").exists()
