"""Backups of the database and the uploaded files, and their restoration (docs/operations.md).

A backup is a folder: the database (SQLite: a copy made with SQLite's online backup API, one
consistent snapshot while the site keeps writing; PostgreSQL: `pg_dump --format=custom`, which
reads in one transaction), the uploaded files under `media/`, and `manifest.json` with every
file's SHA-256 and size, the database kind, the latest applied migration of each app and the
time. It is written in a hidden temporary folder beside its final place and renamed at the end,
so a folder named `shifan-backup-…` is always complete.

Restoring checks every file against the manifest first, refuses a database whose migrations
differ from the backup's unless it is empty, then replaces the database (SQLite: the backup API
again, into the configured file; PostgreSQL: `pg_restore --clean --if-exists` in one
transaction) and writes the files back.

The database is copied before the files: a file uploaded while the files are copied is at worst
one the copied database does not know. Object-store uploads (`SHIFAN_S3_BUCKET`) are not copied:
the bucket keeps its own versions (docs/operations.md).
"""

import fcntl
import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import tempfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.core.files.storage import FileSystemStorage, storages
from django.utils import timezone

from shifan.core.sqlite.base import lock_path

MANIFEST = "manifest.json"
FORMAT = 1
SQLITE_FILE = "database.sqlite3"
POSTGRES_FILE = "database.dump"
MEDIA_DIR = "media"
CHUNK = 1024 * 1024


class BackupError(Exception):
    """A backup or a restoration that cannot go on; the message, in Chinese, says why."""


@dataclass
class Manifest:
    vendor: str
    database_file: str
    migrations: dict[str, str]
    created_at: str
    files: dict[str, dict[str, Any]] = field(default_factory=dict)  # path → {"sha256", "size"}
    media_included: bool = True

    def as_json(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "created_at": self.created_at,
            "database": {"vendor": self.vendor, "file": self.database_file},
            "migrations": self.migrations,
            "media_included": self.media_included,
            "files": [{"path": path, **entry} for path, entry in sorted(self.files.items())],
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> "Manifest":
        if data.get("format") != FORMAT:
            raise BackupError(f"备份格式 {data.get('format')!r} 无法识别（本系统读取格式 {FORMAT}）。")
        return cls(
            vendor=data["database"]["vendor"],
            database_file=data["database"]["file"],
            migrations=dict(data["migrations"]),
            created_at=data["created_at"],
            media_included=bool(data.get("media_included", True)),
            files={
                entry["path"]: {"sha256": entry["sha256"], "size": entry["size"]} for entry in data["files"]
            },
        )


# --- reading a database's state, outside Django's connections ------------------------------------


def vendor_of(settings_dict: Mapping[str, Any]) -> str:
    engine = str(settings_dict["ENGINE"])
    if "sqlite" in engine:
        return "sqlite"
    if "postgresql" in engine:
        return "postgresql"
    raise BackupError(f"不支持备份此类数据库：{engine}。")


def postgres_environment(settings_dict: Mapping[str, Any]) -> dict[str, str]:
    """Return the environment that points pg_dump, pg_restore and psycopg at the database.

    The password travels in the environment, never on a command line another user could read.
    """
    env = dict(os.environ)
    for key, variable in [
        ("HOST", "PGHOST"),
        ("PORT", "PGPORT"),
        ("USER", "PGUSER"),
        ("PASSWORD", "PGPASSWORD"),
        ("NAME", "PGDATABASE"),
    ]:
        value = settings_dict.get(key)
        if value:
            env[variable] = str(value)
    sslmode = (settings_dict.get("OPTIONS") or {}).get("sslmode")
    if sslmode:
        env["PGSSLMODE"] = str(sslmode)
    return env


def _postgres_connect(settings_dict: Mapping[str, Any]) -> Any:
    import psycopg

    return psycopg.connect(
        dbname=settings_dict["NAME"],
        user=settings_dict.get("USER") or None,
        password=settings_dict.get("PASSWORD") or None,
        host=settings_dict.get("HOST") or None,
        port=settings_dict.get("PORT") or None,
        autocommit=True,
    )


def _latest_by_app(rows: list[tuple[str, str]]) -> dict[str, str]:
    """Return the last migration applied of each app from (app, name) rows in the order applied."""
    latest: dict[str, str] = {}
    for app, name in rows:
        latest[app] = name
    return dict(sorted(latest.items()))


MIGRATIONS_QUERY = "SELECT app, name FROM django_migrations ORDER BY applied, id"


def sqlite_state(path: Path) -> tuple[list[str], dict[str, str]]:
    """Return the tables of a SQLite file and its latest migration per app (a missing file is empty)."""
    if not path.exists():
        return [], {}
    connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=20)
    try:
        tables = [
            row[0]
            for row in connection.execute(
                "SELECT name FROM sqlite_master"
                " WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name"
            )
        ]
        migrations = (
            _latest_by_app(connection.execute(MIGRATIONS_QUERY).fetchall())
            if "django_migrations" in tables
            else {}
        )
    finally:
        connection.close()
    return tables, migrations


def postgres_state(settings_dict: Mapping[str, Any]) -> tuple[list[str], dict[str, str]]:
    """Return the tables of the PostgreSQL database's public schema and its latest migration per app."""
    with _postgres_connect(settings_dict) as connection:
        tables = [
            row[0]
            for row in connection.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename"
            )
        ]
        migrations = (
            _latest_by_app(connection.execute(MIGRATIONS_QUERY).fetchall())
            if "django_migrations" in tables
            else {}
        )
    return tables, migrations


def database_state(settings_dict: Mapping[str, Any]) -> tuple[list[str], dict[str, str]]:
    if vendor_of(settings_dict) == "sqlite":
        return sqlite_state(Path(settings_dict["NAME"]))
    return postgres_state(settings_dict)


# --- files ---------------------------------------------------------------------------------------


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        while chunk := stream.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _copy_file(source: Path, target: Path) -> dict[str, Any]:
    """Copy one file, flushed to disk, and return its SHA-256 and size as copied."""
    target.parent.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256()
    size = 0
    with source.open("rb") as reading, target.open("wb") as writing:
        while chunk := reading.read(CHUNK):
            digest.update(chunk)
            size += len(chunk)
            writing.write(chunk)
        writing.flush()
        os.fsync(writing.fileno())
    shutil.copystat(source, target)
    return {"sha256": digest.hexdigest(), "size": size}


def _files_under(root: Path) -> Iterator[Path]:
    for directory, _dirs, names in os.walk(root):
        for name in sorted(names):
            path = Path(directory) / name
            if path.is_file() and not path.is_symlink():
                yield path


def _fsync_directory(path: Path) -> None:
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def media_root() -> Path | None:
    """Return the folder uploads are stored in, or None when they live in an object store."""
    storage = storages["default"]
    if isinstance(storage, FileSystemStorage):
        return Path(storage.location)
    return None


# --- backup --------------------------------------------------------------------------------------


def _dump_sqlite(settings_dict: Mapping[str, Any], target: Path) -> None:
    source_path = Path(settings_dict["NAME"])
    if not source_path.exists():
        raise BackupError(f"数据库文件不存在：{source_path}")
    source = sqlite3.connect(source_path, timeout=20)
    copy = sqlite3.connect(target)
    try:
        # One step (pages=-1): the whole database is read in one read transaction, a consistent
        # snapshot; in WAL mode writers go on meanwhile.
        source.backup(copy)
        copy.execute("PRAGMA journal_mode=DELETE")  # one self-contained file, no -wal beside it
        result = copy.execute("PRAGMA quick_check").fetchone()[0]
        if result != "ok":
            raise BackupError(f"备份的数据库副本未通过完整性检查：{result}")
    finally:
        copy.close()
        source.close()
    with target.open("rb+") as stream:
        os.fsync(stream.fileno())


def _dump_postgres(settings_dict: Mapping[str, Any], target: Path) -> None:
    pg_dump = shutil.which("pg_dump")
    if pg_dump is None:
        raise BackupError(
            "找不到 pg_dump：请安装与数据库服务器同一主版本的 PostgreSQL 客户端（如 postgresql-client）。"
        )
    completed = subprocess.run(  # noqa: S603  # fixed arguments, no shell
        [pg_dump, "--format=custom", "--no-password", f"--file={target}"],
        env=postgres_environment(settings_dict),
        capture_output=True,
        text=True,
        check=False,
    )
    if completed.returncode != 0:
        raise BackupError(f"pg_dump 失败（退出码 {completed.returncode}）：{completed.stderr.strip()}")
    with target.open("rb+") as stream:
        os.fsync(stream.fileno())


def take_backup(
    settings_dict: Mapping[str, Any], output: Path, *, media: Path | None
) -> tuple[Path, Manifest]:
    """Write a complete backup into a new folder under `output` and return its path and manifest.

    `media` is the uploads folder (None: uploads are not on this machine's disk and are left out).
    """
    vendor = vendor_of(settings_dict)
    output.mkdir(parents=True, exist_ok=True)
    now = timezone.now()
    stamp = now.strftime("%Y%m%dT%H%M%S%fZ")
    # Beside the final folder, on the same file system: the rename at the end is atomic.
    working = Path(tempfile.mkdtemp(prefix=f".shifan-backup-{stamp}-", suffix=".partial", dir=output))
    try:
        _before_tables, before = database_state(settings_dict)
        if vendor == "sqlite":
            database_file = SQLITE_FILE
            _dump_sqlite(settings_dict, working / database_file)
            # Read from the copy itself: the migrations of the very snapshot taken.
            _tables, migrations = sqlite_state(working / database_file)
        else:
            database_file = POSTGRES_FILE
            _dump_postgres(settings_dict, working / database_file)
            _after_tables, migrations = database_state(settings_dict)
            if migrations != before:
                raise BackupError(
                    "备份期间数据库执行了迁移，无法确定备份的迁移状态：请在迁移完成后重新备份。"
                )
        manifest = Manifest(
            vendor=vendor,
            database_file=database_file,
            migrations=migrations,
            created_at=now.isoformat(),
            media_included=media is not None,
        )
        manifest.files[database_file] = {
            "sha256": sha256_of(working / database_file),
            "size": (working / database_file).stat().st_size,
        }
        if media is not None and media.exists():
            for source in _files_under(media):
                relative = source.relative_to(media).as_posix()
                try:
                    entry = _copy_file(source, working / MEDIA_DIR / relative)
                except FileNotFoundError:
                    continue  # deleted while the backup ran (an old export): the database no longer needs it
                manifest.files[f"{MEDIA_DIR}/{relative}"] = entry
        with (working / MANIFEST).open("w", encoding="utf-8") as stream:
            json.dump(manifest.as_json(), stream, ensure_ascii=False, indent=2)
            stream.flush()
            os.fsync(stream.fileno())
        final = output / f"shifan-backup-{stamp}"
        working.rename(final)
        _fsync_directory(output)
    except BaseException:
        shutil.rmtree(working, ignore_errors=True)
        raise
    return final, manifest


# --- restore -------------------------------------------------------------------------------------


def read_manifest(folder: Path) -> Manifest:
    path = folder / MANIFEST
    if not path.is_file():
        raise BackupError(f"{folder} 不是完整的备份：缺少 {MANIFEST}。")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return Manifest.from_json(data)
    except (ValueError, KeyError, TypeError) as error:
        raise BackupError(f"{MANIFEST} 已损坏，无法读取：{error}") from error


def verify_backup(folder: Path) -> Manifest:
    """Return the manifest of a backup whose every file matches it; refuse one that does not."""
    manifest = read_manifest(folder)
    if manifest.database_file not in manifest.files:
        raise BackupError(f"备份清单中没有数据库文件 {manifest.database_file}。")
    for relative, expected in manifest.files.items():
        path = folder / relative
        if ".." in Path(relative).parts or Path(relative).is_absolute():
            raise BackupError(f"备份清单中的路径不安全：{relative}")
        if not path.is_file():
            raise BackupError(f"备份已损坏：缺少文件 {relative}。")
        size = path.stat().st_size
        if size != expected["size"]:
            raise BackupError(
                f"备份已损坏：{relative} 的大小为 {size} 字节，清单记录为 {expected['size']} 字节。"
            )
        if sha256_of(path) != expected["sha256"]:
            raise BackupError(f"备份已损坏：{relative} 的 SHA-256 校验值与清单不符。")
    return manifest


def check_target(manifest: Manifest, settings_dict: Mapping[str, Any]) -> bool:
    """Refuse a target database of another kind, or with other migrations unless it is empty.

    Return whether the target is empty (no table at all).
    """
    vendor = vendor_of(settings_dict)
    if vendor != manifest.vendor:
        raise BackupError(f"备份来自 {manifest.vendor} 数据库，不能恢复到 {vendor} 数据库。")
    tables, migrations = database_state(settings_dict)
    if not tables:
        return True
    if migrations != manifest.migrations:
        differences = sorted(
            app
            for app in set(migrations) | set(manifest.migrations)
            if migrations.get(app) != manifest.migrations.get(app)
        )
        shown = "、".join(
            f"{app}（数据库 {migrations.get(app, '无')}，备份 {manifest.migrations.get(app, '无')}）"
            for app in differences[:5]
        )
        raise BackupError(
            f"目标数据库的迁移状态与备份不同：{shown}{' 等' if len(differences) > 5 else ''}。"
            "请恢复到空数据库，或先把代码切换到备份时的版本。"
        )
    return False


def _restore_sqlite(folder: Path, manifest: Manifest, settings_dict: Mapping[str, Any]) -> None:
    target_path = Path(settings_dict["NAME"])
    target_path.parent.mkdir(parents=True, exist_ok=True)
    # The writers' queue of shifan.core.sqlite: a process still running waits until this is done.
    writers = os.open(lock_path(str(target_path)), os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(writers, fcntl.LOCK_EX)
        source = sqlite3.connect(f"file:{folder / manifest.database_file}?mode=ro", uri=True)
        target = sqlite3.connect(target_path, timeout=20)
        try:
            source.backup(target)
            target.execute("PRAGMA journal_mode=WAL")
            result = target.execute("PRAGMA quick_check").fetchone()[0]
            if result != "ok":
                raise BackupError(f"恢复后的数据库未通过完整性检查：{result}")
        finally:
            target.close()
            source.close()
    finally:
        os.close(writers)  # closing the descriptor releases the lock


def _restore_postgres(folder: Path, manifest: Manifest, settings_dict: Mapping[str, Any]) -> None:
    pg_restore = shutil.which("pg_restore")
    if pg_restore is None:
        raise BackupError(
            "找不到 pg_restore：请安装与数据库服务器同一主版本的 PostgreSQL 客户端（如 postgresql-client）。"
        )
    completed = subprocess.run(  # noqa: S603  # fixed arguments, no shell
        [
            pg_restore,
            "--clean",
            "--if-exists",
            "--no-owner",
            "--no-privileges",
            "--single-transaction",
            "--exit-on-error",
            "--no-password",
            f"--dbname={settings_dict['NAME']}",
            str(folder / manifest.database_file),
        ],
        env=postgres_environment(settings_dict),
        capture_output=True,
        text=True,
        check=False,
    )
    if completed.returncode != 0:
        raise BackupError(
            f"pg_restore 失败（退出码 {completed.returncode}），数据库未改动：{completed.stderr.strip()}"
        )


def restore_backup(
    folder: Path, manifest: Manifest, settings_dict: Mapping[str, Any], *, media: Path | None
) -> int:
    """Restore a verified backup into the database `settings_dict` names and `media`; return files written."""
    if manifest.vendor == "sqlite":
        _restore_sqlite(folder, manifest, settings_dict)
    else:
        _restore_postgres(folder, manifest, settings_dict)
    written = 0
    if media is None or not manifest.media_included:
        return written
    prefix = f"{MEDIA_DIR}/"
    for relative, expected in sorted(manifest.files.items()):
        if not relative.startswith(prefix):
            continue
        target = media / relative[len(prefix) :]
        # Written beside, then renamed over: a file a reader has open is never seen half written.
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_name(f".{target.name}.restoring")
        copied = _copy_file(folder / relative, partial)
        if copied["sha256"] != expected["sha256"]:
            partial.unlink()
            raise BackupError(f"复制 {relative} 时校验值不符，已停止恢复文件。")
        partial.replace(target)
        written += 1
    return written
