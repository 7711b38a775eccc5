"""manage.py backup and restore (shifan.core.backup) against the real database, SQLite or PostgreSQL.

Every test runs outside the test's own transaction (`transaction=True`): the backup reads the
database through another connection (SQLite's backup API, pg_dump), which sees only what is
committed, as it does while the site serves.
"""

import hashlib
import io
import json
import re
import sqlite3
import subprocess
import threading
import uuid
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from shifan.applications import services
from shifan.applications.models import Application
from shifan.core import backup
from tests import factories

pytestmark = pytest.mark.django_db(transaction=True)

FIELD = "main_business"  # a text field of the enterprise form


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return Path(settings.MEDIA_ROOT)


def _maintenance(settings_dict):
    import psycopg

    return psycopg.connect(
        dbname="postgres",
        user=settings_dict.get("USER") or None,
        password=settings_dict.get("PASSWORD") or None,
        host=settings_dict.get("HOST") or None,
        port=settings_dict.get("PORT") or None,
        autocommit=True,
    )


@pytest.fixture
def fresh_database(tmp_path):
    """The settings of a new, empty database of the same kind as the test database."""
    live = dict(connection.settings_dict)
    if connection.vendor == "sqlite":
        yield {**live, "NAME": str(tmp_path / "restored.sqlite3")}
        return
    name = f"restore_{uuid.uuid4().hex[:12]}"
    with _maintenance(live) as maintenance:
        maintenance.execute(f'CREATE DATABASE "{name}"')
    yield {**live, "NAME": name}
    with _maintenance(live) as maintenance:
        maintenance.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def table_rows(settings_dict) -> dict[str, list[str]]:
    """Every row of every table of a database, as text, sorted: two databases compare equal or not."""
    if backup.vendor_of(settings_dict) == "sqlite":
        database = sqlite3.connect(f"file:{settings_dict['NAME']}?mode=ro", uri=True, timeout=20)
        try:
            tables, _migrations = backup.sqlite_state(Path(settings_dict["NAME"]))
            return {
                table: sorted(repr(row) for row in database.execute(f'SELECT * FROM "{table}"'))  # noqa: S608
                for table in tables
            }
        finally:
            database.close()
    tables, _migrations = backup.postgres_state(settings_dict)
    rows = {}
    with backup._postgres_connect(settings_dict) as database, database.cursor() as cursor:
        for table in tables:
            with cursor.copy(f'COPY "{table}" TO STDOUT') as copy:
                text = b"".join(bytes(chunk) for chunk in copy).decode()
            rows[table] = sorted(text.splitlines())
    return rows


COPY_LINE = re.compile(r'^COPY public\.("?)([^" ]+)\1 \(.*\) FROM stdin;$')


def backup_rows(folder: Path, manifest: backup.Manifest) -> dict[str, list[str]]:
    """Every row the backup's own database file holds, read without restoring it."""
    path = folder / manifest.database_file
    if manifest.vendor == "sqlite":
        return table_rows({"ENGINE": "django.db.backends.sqlite3", "NAME": str(path)})
    script = subprocess.run(
        ["pg_restore", "--data-only", "--file=-", str(path)], capture_output=True, text=True, check=True
    ).stdout
    rows: dict[str, list[str]] = {}
    current: list[str] | None = None
    for line in script.splitlines():
        if current is None:
            match = COPY_LINE.match(line)
            if match:
                current = rows.setdefault(match.group(2), [])
        elif line == "\\.":
            current = None
        else:
            current.append(line)
    return {table: sorted(lines) for table, lines in rows.items()}


def query(settings_dict, sql: str) -> list[tuple]:
    if backup.vendor_of(settings_dict) == "sqlite":
        database = sqlite3.connect(f"file:{settings_dict['NAME']}?mode=ro", uri=True)
        try:
            return database.execute(sql).fetchall()
        finally:
            database.close()
    with backup._postgres_connect(settings_dict) as database:
        return database.execute(sql).fetchall()


def as_dict(value) -> dict:
    """A JSON column as read by the driver: a dict from PostgreSQL, text from SQLite."""
    return value if isinstance(value, dict) else json.loads(value)


def files_under(root: Path) -> dict[str, str]:
    return {
        path.relative_to(root).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in root.rglob("*")
        if path.is_file()
    }


@pytest.fixture
def application(media):
    """An application with two attachments stored under MEDIA_ROOT."""
    organisation = factories.OrganisationFactory(city_code="440100")
    admin = factories.MembershipFactory(organisation=organisation, is_admin=True).user
    application = factories.ApplicationFactory(organisation=organisation, created_by=admin)
    factories.attachment(application, data=b"%PDF-1.4\n%first\n")
    factories.attachment(application, field_key="overview", name="概况.pdf", data=b"%PDF-1.4\n%second\n")
    return application


def test_a_backup_taken_during_writes_restores_every_table_and_file(
    application, media, fresh_database, tmp_path
):
    live = dict(connection.settings_dict)
    admin = application.created_by
    saves = threading.Semaphore(0)
    stop = threading.Event()
    failures: list[BaseException] = []

    def keep_saving() -> None:
        try:
            count = 0
            while not stop.is_set():
                current = Application.objects.get(pk=application.pk)
                services.save_answers(
                    actor=admin,
                    application=current,
                    base_version=current.version,
                    values={FIELD: f"第{count}次保存"},
                )
                count += 1
                saves.release()
        except BaseException as error:  # reported by the test below
            failures.append(error)
            saves.release()
        finally:
            connection.close()

    before = table_rows(live)
    writer = threading.Thread(target=keep_saving)
    writer.start()
    try:
        for _ in range(3):  # the writer is well under way before the backup starts
            assert saves.acquire(timeout=30)
        folder, manifest = backup.take_backup(live, tmp_path / "backups", media=media)
        assert saves.acquire(timeout=30)  # and still writing after it
    finally:
        stop.set()
        writer.join(timeout=60)
    assert not failures, failures
    after = table_rows(live)
    assert after["applications_revision"] != before["applications_revision"]

    # Complete, named as complete, nothing else left beside it.
    assert [path.name for path in (tmp_path / "backups").iterdir()] == [folder.name]
    assert folder.name.startswith("shifan-backup-")
    assert backup.verify_backup(folder) == manifest
    _tables, live_migrations = backup.database_state(live)
    assert manifest.migrations == live_migrations
    assert manifest.vendor == connection.vendor

    assert backup.check_target(manifest, fresh_database) is True  # empty: any migration state will do
    restored_media = tmp_path / "restored-media"
    written = backup.restore_backup(folder, manifest, fresh_database, media=restored_media)
    restored = table_rows(fresh_database)

    # Every table, row for row, as the backup's own database file holds it.
    assert restored == backup_rows(folder, manifest)
    # The tables nobody wrote to while the backup ran are exactly the live ones.
    untouched = [table for table in before if before[table] == after[table]]
    assert "applications_revision" not in untouched
    assert len(untouched) > 50
    for table in untouched:
        assert restored[table] == after[table], table
    # The written ones hold a moment between the start and the end, with every save whole: the
    # application's version, its revisions and its answer agree.
    for table in ("applications_application", "applications_revision"):
        assert len(before[table]) <= len(restored[table]) <= len(after[table])
    revisions = query(
        fresh_database,
        f"SELECT COUNT(*), MAX(version) FROM applications_revision WHERE application_id = {application.pk}",  # noqa: S608
    )[0]
    version = query(
        fresh_database, f"SELECT version FROM applications_application WHERE id = {application.pk}"
    )[0][0]  # noqa: S608
    assert revisions[0] >= 3
    assert tuple(revisions) == (version, version)
    latest = query(
        fresh_database,
        'SELECT "values" FROM applications_revision'  # noqa: S608
        f" WHERE application_id = {application.pk} AND version = {version}",
    )[0][0]
    answers = query(
        fresh_database, f"SELECT answers FROM applications_application WHERE id = {application.pk}"
    )[0][0]  # noqa: S608
    assert as_dict(answers)[FIELD] == as_dict(latest)[FIELD]

    # Every uploaded file, byte for byte.
    originals = files_under(media)
    assert len(originals) == 2
    assert files_under(restored_media) == originals
    assert written == 2
    assert {path: entry["sha256"] for path, entry in manifest.files.items() if path.startswith("media/")} == {
        f"media/{path}": digest for path, digest in originals.items()
    }


def test_restore_puts_the_database_and_files_back_as_they_were(application, media, tmp_path):
    call_command("backup", "--output", str(tmp_path / "backups"), stdout=io.StringIO())
    (folder,) = (tmp_path / "backups").iterdir()
    kept = factories.OrganisationFactory(city_code="440300")  # after the backup: gone once restored
    Application.objects.filter(pk=application.pk).update(answers={FIELD: "备份之后的修改"})
    removed = next(path for path in media.rglob("*") if path.is_file())
    removed.unlink()

    call_command("restore", str(folder), "--yes", stdout=io.StringIO())

    assert Application.objects.get(pk=application.pk).answers == {}
    assert not type(kept).objects.filter(pk=kept.pk).exists()
    assert removed.is_file()


def _flip_a_byte(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))


@pytest.mark.parametrize("which", ["media", "database"])
def test_a_damaged_backup_is_refused_naming_the_file(application, media, tmp_path, which):
    folder, manifest = backup.take_backup(dict(connection.settings_dict), tmp_path / "backups", media=media)
    if which == "media":
        damaged = next(path for path in manifest.files if path.startswith("media/"))
    else:
        damaged = manifest.database_file
    _flip_a_byte(folder / damaged)
    Application.objects.filter(pk=application.pk).update(answers={FIELD: "恢复不应改动这一行"})

    with pytest.raises(CommandError) as refused:
        call_command("restore", str(folder), "--yes")

    assert damaged in str(refused.value)
    assert "校验值" in str(refused.value)
    assert Application.objects.get(pk=application.pk).answers == {FIELD: "恢复不应改动这一行"}


def test_a_missing_file_or_manifest_is_refused(application, media, tmp_path):
    folder, manifest = backup.take_backup(dict(connection.settings_dict), tmp_path / "backups", media=media)
    missing = next(path for path in manifest.files if path.startswith("media/"))
    (folder / missing).unlink()
    with pytest.raises(backup.BackupError, match=re.escape(f"缺少文件 {missing}")):
        backup.verify_backup(folder)
    (folder / backup.MANIFEST).unlink()
    with pytest.raises(CommandError, match="缺少 manifest.json"):
        call_command("restore", str(folder), "--yes")


def test_a_database_with_other_migrations_is_refused_unless_empty(
    application, media, fresh_database, tmp_path
):
    folder, manifest = backup.take_backup(dict(connection.settings_dict), tmp_path / "backups", media=media)
    data = json.loads((folder / backup.MANIFEST).read_text())
    data["migrations"]["applications"] = "0099_from_a_later_release"
    (folder / backup.MANIFEST).write_text(json.dumps(data))
    Application.objects.filter(pk=application.pk).update(answers={FIELD: "恢复不应改动这一行"})

    with pytest.raises(CommandError) as refused:
        call_command("restore", str(folder), "--yes")

    assert "迁移状态" in str(refused.value)
    assert "0099_from_a_later_release" in str(refused.value)
    assert Application.objects.get(pk=application.pk).answers == {FIELD: "恢复不应改动这一行"}
    # An empty database takes it.
    assert backup.check_target(backup.read_manifest(folder), fresh_database) is True


def test_restore_asks_first_and_stops_on_no(application, media, tmp_path, monkeypatch):
    folder, _manifest = backup.take_backup(dict(connection.settings_dict), tmp_path / "backups", media=media)
    Application.objects.filter(pk=application.pk).update(answers={FIELD: "保留"})
    asked = []
    monkeypatch.setattr("builtins.input", lambda prompt: asked.append(prompt) or "no")

    with pytest.raises(CommandError, match="已取消"):
        call_command("restore", str(folder), stdout=io.StringIO())

    assert "输入 yes 继续" in asked[0]
    assert Application.objects.get(pk=application.pk).answers == {FIELD: "保留"}


def test_a_failed_backup_leaves_nothing_that_looks_complete(media, tmp_path):
    missing = {**connection.settings_dict}
    if connection.vendor == "sqlite":
        missing["NAME"] = str(tmp_path / "no-such.sqlite3")
    else:
        missing["NAME"] = f"no_such_{uuid.uuid4().hex[:8]}"
    with pytest.raises(Exception):  # noqa: B017, PT011  # BackupError, or the driver's for PostgreSQL
        backup.take_backup(missing, tmp_path / "backups", media=media)
    assert list((tmp_path / "backups").iterdir()) == []
