"""Make the upgrade fixture: a release's demo database, as that release left it, on SQLite and PostgreSQL.

    python tools/upgrade_fixture.py REV [--postgres URL] [--output tests/fixtures/upgrade]
    make upgrade-fixture REV=<commit of the release>

The code of REV is exported from git into a temporary folder (`git archive`: the repository and
its work trees are left alone) and run there with this checkout's virtual environment, as `make
demo` runs it (DJANGO_DEBUG=false SHIFAN_DEMO=true SHIFAN_HTTPS=false): `manage.py migrate`, then
`manage.py load_demo`, once on a new SQLite file and once on a new PostgreSQL database. What they
leave is written to the output folder, replacing what was there:

- `sqlite.sqlite3.xz`: the SQLite database (compacted with VACUUM INTO), xz-compressed;
- `postgresql.sql.xz`: `pg_dump --format=plain --no-owner --no-privileges` of the PostgreSQL one;
- `sqlite-media.tar.xz`, `postgresql-media.tar.xz`: the uploaded files each run stored (their
  names carry random suffixes, so each database has its own);
- `release.json`: REV, its date and subject, when the fixture was made, every migration REV
  applied, the rows of every model of the project on each database, and a submitted version with
  its account, for the upgrade test.

tests/test_upgrade.py restores these into a scratch database, migrates it with the current code
and checks that the data survived; tests/test_migration_safety.py lints only the migrations that
are not in `release.json` (those REV applied run everywhere already and are not rewritten).

The PostgreSQL database is created from `--postgres` (default: the server at 127.0.0.1:5432 as
user postgres, trust, as `.ci/run` sets up); its name must not exist yet, and it is dropped at the
end. The plain SQL dump restores with the psql of any PostgreSQL version since the server's.

The release runs in this checkout's virtual environment: when a release needs other package
versions than the current code, make its fixture from a checkout of that release instead (run this
script from there, with `--output` pointing here).
"""

import argparse
import io
import json
import lzma
import os
import sqlite3
import subprocess
import sys
import tarfile
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

PROJECT_DIR = Path(__file__).resolve().parent.parent
DEFAULT_OUTPUT = PROJECT_DIR / "tests" / "fixtures" / "upgrade"
DEFAULT_POSTGRES = "postgres://postgres@127.0.0.1:5432/shifan_upgrade_fixture"
# As the Makefile's DEMO_ENV, without the collected static files (nothing is served).
DEMO_ENV = {"DJANGO_DEBUG": "false", "SHIFAN_DEMO": "true", "SHIFAN_HTTPS": "false"}
# Variables of this shell that would point the release elsewhere than its scratch database.
CLEARED = (
    "DATABASE_URL",
    "SHIFAN_SQLITE_PATH",
    "SHIFAN_VAR_DIR",
    "SHIFAN_S3_BUCKET",
    "REDIS_URL",
    "SHIFAN_TASKS_BACKEND",
    "SHIFAN_COLLECTED_STATIC",
)

# Run inside the release's code (`manage.py shell -c`): only Django's own API and names every
# release has had since the fixture began. Prints one line of JSON.
DESCRIBE = """
import json
from django.apps import apps
from django.db.migrations.recorder import MigrationRecorder
from shifan.demo.loader import DEMO_PASSWORD

counts = {
    model._meta.label: model._default_manager.count()
    for model in apps.get_models()
    if model.__module__.startswith("shifan.")
}
migrations = sorted(
    f"{app}.{name}" for app, name in MigrationRecorder.Migration.objects.values_list("app", "name")
)
Snapshot = apps.get_model("applications", "Snapshot")
sample = (
    Snapshot.objects.filter(application__state="submitted")
    .select_related("submitted_by")
    .order_by("number", "-sequence")
    .first()
)
print(json.dumps({
    "counts": dict(sorted(counts.items())),
    "migrations": migrations,
    "sample": {
        "number": sample.number,
        "digest": sample.digest,
        "account": sample.submitted_by.email,
        "password": DEMO_PASSWORD,
    },
}, ensure_ascii=False))
"""


def git(*args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=PROJECT_DIR, capture_output=True, text=True, check=True
    ).stdout.strip()


def export_release(revision: str, target: Path) -> None:
    """Write the files of `revision` into `target`, with this checkout's environment linked in."""
    archive = subprocess.run(
        ["git", "archive", "--format=tar", revision], cwd=PROJECT_DIR, capture_output=True, check=True
    ).stdout
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(target, filter="data")
    for name in (".venv", "node_modules"):
        if (PROJECT_DIR / name).exists():
            (target / name).symlink_to(PROJECT_DIR / name)


def run_release(code: Path, environment: dict[str, str], *args: str) -> str:
    started = time.monotonic()
    completed = subprocess.run(
        [str(code / ".venv" / "bin" / "python"), "manage.py", *args],
        cwd=code,
        env=environment,
        capture_output=True,
        text=True,
    )
    if completed.returncode != 0:
        sys.exit(f"manage.py {' '.join(args)} failed:\n{completed.stdout}\n{completed.stderr}")
    print(f"  manage.py {args[0]}: {time.monotonic() - started:.0f} s", flush=True)
    return completed.stdout


def demo_database(code: Path, var_dir: Path, database_url: str | None) -> dict:
    """Migrate and load the demo with the release's code; return what DESCRIBE says of it."""
    environment = {key: value for key, value in os.environ.items() if key not in CLEARED}
    environment |= DEMO_ENV | {"SHIFAN_VAR_DIR": str(var_dir)}
    if database_url:
        environment["DATABASE_URL"] = database_url
    var_dir.mkdir(parents=True)
    run_release(code, environment, "migrate", "--noinput", "-v0")
    run_release(code, environment, "load_demo")
    output = run_release(code, environment, "shell", "-c", DESCRIBE)
    return json.loads(output.strip().splitlines()[-1])


def xz(data: bytes, target: Path) -> None:
    target.write_bytes(lzma.compress(data, preset=9))


def media_archive(media: Path, target: Path, mtime: int) -> int:
    """Archive the uploaded files in name order with fixed owners and times; return their count."""
    buffer = io.BytesIO()
    files = sorted(path for path in media.rglob("*") if path.is_file()) if media.exists() else []
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        for path in files:
            info = tarfile.TarInfo(path.relative_to(media).as_posix())
            info.size = path.stat().st_size
            info.mtime = mtime
            info.mode = 0o644
            tar.addfile(info, io.BytesIO(path.read_bytes()))
    xz(buffer.getvalue(), target)
    return len(files)


def postgres_environment(url: str) -> dict[str, str]:
    parts = urlsplit(url)
    environment = dict(os.environ)
    for variable, value in [
        ("PGHOST", parts.hostname),
        ("PGPORT", parts.port),
        ("PGUSER", parts.username),
        ("PGPASSWORD", parts.password),
    ]:
        if value:
            environment[variable] = str(value)
    return environment


def admin_sql(url: str, sql: str) -> None:
    """Run one statement in the server's maintenance database (CREATE and DROP DATABASE)."""
    subprocess.run(
        ["psql", "--no-psqlrc", "-v", "ON_ERROR_STOP=1", "-q", "-d", "postgres", "-c", sql],
        env=postgres_environment(url),
        check=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("revision", help="the release's commit (or tag)")
    parser.add_argument(
        "--postgres", default=DEFAULT_POSTGRES, help="URL of a database that does not exist yet"
    )
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT)
    arguments = parser.parse_args()

    revision = git("rev-parse", "--verify", f"{arguments.revision}^{{commit}}")
    committed = int(git("show", "-s", "--format=%ct", revision))
    database = urlsplit(arguments.postgres).path.lstrip("/")
    if not database or database == "postgres":
        sys.exit("--postgres must name a scratch database (it is created and dropped)")
    output: Path = arguments.output
    output.mkdir(parents=True, exist_ok=True)

    with tempfile.TemporaryDirectory(prefix="shifan-upgrade-fixture-") as temporary:
        scratch = Path(temporary)
        code = scratch / "code"
        code.mkdir()
        export_release(revision, code)
        print(f"{revision[:10]} exported to {code}", flush=True)

        print("SQLite:", flush=True)
        sqlite_var = scratch / "sqlite"
        on_sqlite = demo_database(code, sqlite_var, None)
        compact = scratch / "compact.sqlite3"
        source = sqlite3.connect(sqlite_var / "shifan.sqlite3")
        try:
            source.execute("VACUUM INTO ?", (str(compact),))
        finally:
            source.close()
        xz(compact.read_bytes(), output / "sqlite.sqlite3.xz")
        sqlite_files = media_archive(sqlite_var / "media", output / "sqlite-media.tar.xz", committed)

        print("PostgreSQL:", flush=True)
        admin_sql(arguments.postgres, f'CREATE DATABASE "{database}"')
        try:
            postgres_var = scratch / "postgresql"
            on_postgres = demo_database(code, postgres_var, arguments.postgres)
            dump = subprocess.run(
                ["pg_dump", "--format=plain", "--no-owner", "--no-privileges", "--dbname", database],
                env=postgres_environment(arguments.postgres),
                capture_output=True,
                check=True,
            ).stdout
        finally:
            admin_sql(arguments.postgres, f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        xz(dump, output / "postgresql.sql.xz")
        postgres_files = media_archive(postgres_var / "media", output / "postgresql-media.tar.xz", committed)

    if on_sqlite["migrations"] != on_postgres["migrations"]:
        sys.exit("The release applied different migrations on SQLite and PostgreSQL.")
    release = {
        "revision": revision,
        "subject": git("show", "-s", "--format=%s", revision)[:200],
        "committed_at": datetime.fromtimestamp(committed, UTC).isoformat(),
        "made_at": datetime.now(UTC).replace(microsecond=0).isoformat(),
        "migrations": on_sqlite["migrations"],
        "databases": {
            "sqlite": {
                "counts": on_sqlite["counts"],
                "media_files": sqlite_files,
                "sample": on_sqlite["sample"],
            },
            "postgresql": {
                "counts": on_postgres["counts"],
                "media_files": postgres_files,
                "sample": on_postgres["sample"],
            },
        },
    }
    (output / "release.json").write_text(json.dumps(release, ensure_ascii=False, indent=2) + "\n")
    for path in sorted(output.iterdir()):
        print(f"{path.relative_to(PROJECT_DIR)}: {path.stat().st_size / 1024:.0f} KiB")


if __name__ == "__main__":
    main()
