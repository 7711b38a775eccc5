"""Upgrading with data in place: the last release's demo database, migrated by the current code.

tests/fixtures/upgrade/ holds what `tools/upgrade_fixture.py` made from the last release (named in
its release.json): the demo database that release's `migrate` and `load_demo` left, on SQLite and
on PostgreSQL, with its uploaded files. The test restores the one of the database under test into a
scratch database of its own (a file in a temporary folder, or a PostgreSQL database it creates and
drops), runs the current code's `manage.py migrate` and `manage.py check` on it as an operator
would, and then asks the upgraded database, through the current code in another process
(tests/upgrade_probe.py), whether the data survived: the rows of every model, every submitted
version's digest and the verification answer of one, the stored files, and a demo login.
"""

import json
import lzma
import os
import subprocess
import sys
import tarfile
import uuid
from pathlib import Path
from urllib.parse import quote, urlencode

import psycopg
import pytest
from django.db import connection
from django.db.migrations.loader import MigrationLoader

from shifan.core import backup

ROOT = Path(__file__).resolve().parent.parent
FIXTURE = ROOT / "tests" / "fixtures" / "upgrade"
PROBE = ROOT / "tests" / "upgrade_probe.py"
RELEASE = json.loads((FIXTURE / "release.json").read_text())
# The data an upgrade must above all keep: each must have rows in the fixture, and as many after.
KEY_MODELS = [
    "accounts.Organisation",
    "accounts.User",
    "applications.Application",
    "applications.Revision",
    "applications.Snapshot",
    "core.AuditEvent",
    "core.Notice",
    "publicity.Notice",
    "publicity.DemonstrationUnit",
]


def _maintenance(settings_dict):
    return psycopg.connect(
        dbname="postgres",
        user=settings_dict.get("USER") or None,
        password=settings_dict.get("PASSWORD") or None,
        host=settings_dict.get("HOST") or None,
        port=settings_dict.get("PORT") or None,
        autocommit=True,
    )


def postgres_url(settings_dict) -> str:
    user = quote(settings_dict.get("USER") or "", safe="")
    password = settings_dict.get("PASSWORD")
    credentials = f"{user}:{quote(password, safe='')}" if password else user
    host = settings_dict.get("HOST") or "localhost"
    port = settings_dict.get("PORT") or 5432
    sslmode = (settings_dict.get("OPTIONS") or {}).get("sslmode")
    query = f"?{urlencode({'sslmode': sslmode})}" if sslmode else ""
    return f"postgres://{credentials}@{host}:{port}/{settings_dict['NAME']}{query}"


def restore_media(archive: Path, media: Path) -> None:
    media.mkdir(parents=True)
    with tarfile.open(fileobj=lzma.open(archive)) as tar:
        tar.extractall(media, filter="data")


@pytest.fixture
def upgraded(tmp_path):
    """Restore the release's database of the kind under test; yield (vendor, environment)."""
    vendor = connection.vendor
    environment = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("SHIFAN_", "DJANGO_")) and key not in {"DATABASE_URL", "REDIS_URL"}
    }
    # As the release was run (the demo, over plain HTTP): only the database and folder differ.
    environment |= {
        "DJANGO_DEBUG": "false",
        "SHIFAN_DEMO": "true",
        "SHIFAN_HTTPS": "false",
        "SHIFAN_VAR_DIR": str(tmp_path / "var"),
        "SHIFAN_TASKS_BACKEND": "django_tasks.backends.immediate.ImmediateBackend",
    }
    restore_media(FIXTURE / f"{vendor}-media.tar.xz", tmp_path / "var" / "media")
    if vendor == "sqlite":
        path = tmp_path / "var" / "shifan.sqlite3"
        path.write_bytes(lzma.decompress((FIXTURE / "sqlite.sqlite3.xz").read_bytes()))
        yield vendor, environment | {"SHIFAN_SQLITE_PATH": str(path)}
        return
    assert vendor == "postgresql", vendor
    settings_dict = {**connection.settings_dict, "NAME": f"upgrade_{uuid.uuid4().hex[:12]}"}
    with _maintenance(settings_dict) as maintenance:
        maintenance.execute(f'CREATE DATABASE "{settings_dict["NAME"]}"')
    try:
        restored = subprocess.run(
            ["psql", "--no-psqlrc", "--quiet", "--set=ON_ERROR_STOP=1", "--output=/dev/null"],
            input=lzma.decompress((FIXTURE / "postgresql.sql.xz").read_bytes()),
            env=backup.postgres_environment(settings_dict) | {"PGOPTIONS": "--client-min-messages=warning"},
            capture_output=True,
        )
        assert restored.returncode == 0, restored.stderr.decode()
        yield vendor, environment | {"DATABASE_URL": postgres_url(settings_dict)}
    finally:
        with _maintenance(settings_dict) as maintenance:
            maintenance.execute(f'DROP DATABASE IF EXISTS "{settings_dict["NAME"]}" WITH (FORCE)')


def run(environment, *command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *command], cwd=ROOT, env=environment, capture_output=True, text=True, timeout=300
    )


def test_the_last_releases_data_survives_migrate_and_check(upgraded):
    vendor, environment = upgraded
    recorded = RELEASE["databases"][vendor]

    migrate = run(environment, "manage.py", "migrate", "--noinput")
    assert migrate.returncode == 0, migrate.stdout + migrate.stderr
    check = run(environment, "manage.py", "check", "--database", "default", "--fail-level", "WARNING")
    assert check.returncode == 0, check.stdout + check.stderr
    probe = run(environment, str(PROBE), str(FIXTURE / "release.json"), vendor)
    assert probe.returncode == 0, probe.stdout + probe.stderr
    found = json.loads(probe.stdout.strip().splitlines()[-1])

    assert found["vendor"] == vendor
    assert found["unapplied"] == []
    for label in KEY_MODELS:
        assert recorded["counts"][label] > 0, f"the fixture has no {label}: make it again from a fuller demo"
    assert found["counts"] == recorded["counts"]
    assert found["digests_differing"] == []
    assert found["verification"] == "current"
    assert found["missing_files"] == []
    assert recorded["media_files"] > 0
    # The login form takes the demo password (302 to the next page) and the home page then opens.
    assert found["login"] == {"status": 302, "logged_in": True, "home_status": 200}


def test_the_fixture_is_of_a_release_of_this_code():
    """Every migration the release applied is still in the code: history is never rewritten."""
    on_disk = {
        f"{app}.{name}" for app, name in MigrationLoader(None, ignore_no_migrations=True).disk_migrations
    }
    assert set(RELEASE["migrations"]) <= on_disk, sorted(set(RELEASE["migrations"]) - on_disk)
    assert RELEASE["databases"]["sqlite"]["sample"]["number"]
    size = sum(path.stat().st_size for path in FIXTURE.iterdir())
    assert size < 3 * 1024 * 1024, f"the upgrade fixture takes {size} bytes"
