"""Migrations that would stop the site on a large database are refused before they are released.

Two checks, over every migration of the project's apps that the last release (the upgrade
fixture's release.json, tests/test_upgrade.py) had not applied; the release's own migrations have
run on every installation already and are not rewritten:

1. django-migration-linter: nothing backward incompatible (a column dropped or renamed, a table
   renamed, NOT NULL without a default, a column's type altered, a unique constraint added), by
   the SQL that `sqlmigrate` gives on the database under test.
2. Locks on PostgreSQL, by the operations themselves, on the tables marked large below: an index
   built in the transaction (AddIndex, a field given db_index, unique or a foreign key), a
   constraint checked over every row, a column's type changed (the table rewritten), a default
   computed per row (the table rewritten), NOT NULL set on an existing column, and RunSQL without
   reverse_sql. Each of these holds a lock that stops writes (or reads) for as long as the table
   takes. The way round: `AddIndexConcurrently` (shifan.core.migration_operations, which also
   runs on SQLite) in a migration with `atomic = False`; a nullable column without index first,
   filled and indexed in later migrations; or, once reviewed with the table's size in hand, an
   entry in REVIEWED with the reason.

docs/operations.md (Upgrading) says how a release is upgraded to and how the fixture is renewed.
"""

import io
import json
import re
import shutil
import uuid
from contextlib import redirect_stdout
from pathlib import Path

import pytest
from django.apps import apps
from django.contrib.postgres.operations import AddConstraintNotValid, AddIndexConcurrently
from django.db import connection, migrations, models
from django.db.backends.postgresql.base import DatabaseWrapper as PostgresWrapper
from django.db.migrations.loader import MigrationLoader
from django.db.migrations.state import ProjectState
from django.db.models.functions import Now

from shifan.core import migration_operations

ROOT = Path(__file__).resolve().parent.parent
RELEASE = json.loads((ROOT / "tests" / "fixtures" / "upgrade" / "release.json").read_text())

# The tables that grow with the applications (thousands a batch) and the saves, keyed by model
# (app label, model name): on these a lock taken for a full scan or rewrite stops the site.
LARGE_MODELS = {
    ("applications", "application"): "every application of every batch, read by every queue and list",
    ("applications", "revision"): "the autosave history: a row per save, dozens per application a day",
    ("applications", "snapshot"): "every submitted version, with its answers",
    ("applications", "attachment"): "every uploaded file's record, kept after removal",
    ("core", "auditevent"): "the append-only trail of every change",
    ("core", "notice"): "a notice per person per event",
    ("eligibility", "eligibilitycheck"): "every run of the checks is kept",
    ("expert_review", "assignment"): "five or more experts per application",
}

# Migrations allowed to do one of the refused things anyway, each with the reason it was accepted
# in review: {("app", "0012_name"): "why this lock is acceptable"}.
REVIEWED: dict[tuple[str, str], str] = {}

# Migrations the linter refuses that were accepted in review, each with the reason:
# {("app", "0012_name"): "why it is backward compatible"}.
LINT_REVIEWED: dict[tuple[str, str], str] = {
    ("documents", "0004_export_application_state"): (
        "the partial unique constraint on the active exports gains a column (the state filter): "
        "it allows more rows than before, never fewer, so the release's inserts still pass; "
        "export jobs are few (a row per export asked)"
    ),
}

# The column types of PostgreSQL, whatever the database under test: a type that changes there
# rewrites the table.
POSTGRES = PostgresWrapper(
    {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": "",
        "USER": "",
        "PASSWORD": "",
        "HOST": "",
        "PORT": "",
        "OPTIONS": {},
        "TIME_ZONE": None,
        "CONN_MAX_AGE": 0,
        "CONN_HEALTH_CHECKS": False,
        "AUTOCOMMIT": True,
        "ATOMIC_REQUESTS": False,
        "TEST": {},
    },
    "migration-safety",
)
VARCHAR = re.compile(r"varchar\((\d+)\)\Z")


def project_apps() -> set[str]:
    return {config.label for config in apps.get_app_configs() if config.name.startswith("shifan.")}


def migrations_after_release(loader: MigrationLoader) -> list[migrations.Migration]:
    released = set(RELEASE["migrations"])
    return [
        migration
        for (app_label, name), migration in sorted(loader.disk_migrations.items())
        if app_label in project_apps() and f"{app_label}.{name}" not in released
    ]


def large_tables(state: ProjectState) -> dict[str, str]:
    """Return the large tables' names in `state`, each with its model's label."""
    tables = {}
    for key in LARGE_MODELS:
        if key in state.models:
            model_state = state.models[key]
            tables[model_state.options.get("db_table") or "_".join(key)] = ".".join(key)
    return tables


def postgres_type(state: ProjectState, app_label: str, model_name: str, field_name: str) -> str | None:
    field = state.apps.get_model(app_label, model_name)._meta.get_field(field_name)
    return field.db_parameters(POSTGRES)["type"]


def type_change_rewrites(old: str | None, new: str | None) -> bool:
    """Return whether PostgreSQL rewrites the table for the change (a longer varchar, or text, does not)."""
    if old == new:
        return False
    old_length = VARCHAR.match(old or "")
    if old_length and new == "text":
        return False
    new_length = VARCHAR.match(new or "")
    return not (old_length and new_length and int(new_length[1]) >= int(old_length[1]))


def builds_index(field: models.Field) -> bool:
    """Return whether adding the field builds an index or checks a foreign key over every row."""
    foreign_key = field.is_relation and field.many_to_one and getattr(field, "db_constraint", False)
    return bool(field.db_index or field.unique or foreign_key)


def sql_text(sql: object) -> str:
    if isinstance(sql, str):
        return sql
    if isinstance(sql, list | tuple):
        return " ".join(sql_text(part) for part in sql)
    return ""


def refusal(operation, app_label: str, state: ProjectState, atomic: bool) -> str | None:
    """Return why `operation` would lock a large table on PostgreSQL (state: before it), or None."""
    if isinstance(operation, migrations.RunSQL):
        named = [
            table
            for table in large_tables(state)
            if re.search(rf"\b{table}\b", sql_text(operation.sql), re.I)
        ]
        if named and not operation.reversible:
            tables = ", ".join(named)
            return f"RunSQL on {tables} without reverse_sql (migrations.RunSQL.noop if nothing is to undo)"
        return None
    model_name = getattr(operation, "model_name_lower", None)
    if (app_label, model_name) not in LARGE_MODELS:
        return None
    table = ".".join((app_label, model_name))
    if isinstance(operation, AddIndexConcurrently):
        return f"AddIndexConcurrently on {table} in a migration without atomic = False" if atomic else None
    if isinstance(operation, migrations.AddIndex):
        return f"AddIndex builds the index on {table} while writes wait: AddIndexConcurrently, atomic = False"
    if isinstance(operation, migrations.AddConstraint) and not isinstance(operation, AddConstraintNotValid):
        return f"AddConstraint checks every row of {table} while writes wait (a unique one builds an index)"
    if isinstance(operation, migrations.AddField):
        field = operation.field
        db_default = getattr(field, "db_default", models.NOT_PROVIDED)
        # A constant (a plain value, or Value) is stored once in the catalogue (PostgreSQL 11+).
        computed = hasattr(db_default, "resolve_expression") and not isinstance(db_default, models.Value)
        if db_default is not models.NOT_PROVIDED and computed:
            return f"AddField {operation.name} on {table} with a default computed per row rewrites the table"
        if builds_index(field):
            return (
                f"AddField {operation.name} builds an index on {table} while writes wait: add it with "
                "db_index=False (db_constraint=False), then AddIndexConcurrently"
            )
        return None
    if isinstance(operation, migrations.AlterField):
        old_field = state.models[app_label, model_name].fields[operation.name]
        new_field = operation.field
        old_type = postgres_type(state, app_label, model_name, operation.name)
        after = state.clone()
        operation.state_forwards(app_label, after)
        new_type = postgres_type(after, app_label, model_name, operation.name)
        if type_change_rewrites(old_type, new_type):
            return f"AlterField {operation.name} on {table} changes {old_type} to {new_type}: a rewrite"
        if builds_index(new_field) and not builds_index(old_field):
            return f"AlterField {operation.name} builds an index on {table} while writes wait"
        if old_field.null and not new_field.null:
            return f"AlterField {operation.name} sets NOT NULL on {table}: all rows read, writes waiting"
        return None
    return None


def locking_operations(migration: migrations.Migration, state: ProjectState) -> list[str]:
    """Return what in `migration` would lock a large table on PostgreSQL; `state` is before it."""
    state = state.clone()
    found = []
    for operation in migration.operations:
        inner = (
            operation.database_operations
            if isinstance(operation, migrations.SeparateDatabaseAndState)
            else [operation]
        )
        inner_state = state.clone()
        for database_operation in inner:
            reason = refusal(database_operation, migration.app_label, inner_state, migration.atomic)
            if reason:
                found.append(
                    f"{migration.app_label}.{migration.name}: {database_operation.describe()}: {reason}"
                )
            database_operation.state_forwards(migration.app_label, inner_state)
        operation.state_forwards(migration.app_label, state)
    return found


def lint(migrations_to_lint: list[migrations.Migration]) -> tuple[int, str]:
    """Run django-migration-linter over the migrations; return its errors' count and its report."""
    from django_migration_linter import MigrationLinter

    # SQLite adds a column to an existing table by rebuilding it, and the linter's SQLite check
    # reads every rebuild as a NOT NULL column added without a default (the table's other columns
    # are NOT NULL), nullable or with a database default alike. There the check is made on the
    # operations instead (`not_null_without_default`); PostgreSQL's SQL is linted as it is.
    on_sqlite = connection.vendor == "sqlite"
    report = io.StringIO()
    with redirect_stdout(report):
        linter = MigrationLinter(
            no_cache=True,
            exclude_migration_tests=["NOT_NULL"] if on_sqlite else None,
            ignore_name=[name for (app_label, name) in LINT_REVIEWED],
        )
        for migration in migrations_to_lint:
            linter.lint_migration(migration)
        linter.print_summary()
    errors = linter.nb_erroneous
    if on_sqlite:
        for migration in migrations_to_lint:
            for name in not_null_without_default(migration):
                errors += 1
                label = f"({migration.app_label}, {migration.name})"
                report.write(f"{label}: {name} is NOT NULL without a database default\n")
    return errors, report.getvalue()


def not_null_without_default(migration: migrations.Migration) -> list[str]:
    """Return the columns the migration adds to an existing table as NOT NULL with no database
    default: the release's code, running until the upgrade ends, inserts rows without them."""
    return [
        f"{operation.model_name}.{operation.name}"
        for operation in migration.operations
        if isinstance(operation, migrations.AddField)
        and not operation.field.null
        and operation.field.db_default is models.NOT_PROVIDED
        and not operation.field.many_to_many
    ]


@pytest.fixture(scope="module")
def loader():
    return MigrationLoader(None, ignore_no_migrations=True)


# The migrations of this code.


# sqlmigrate reads the applied migrations, and SQLite's schema editor runs outside a transaction.
@pytest.mark.django_db(transaction=True)
def test_migrations_after_the_release_are_backward_compatible(loader):
    errors, report = lint(migrations_after_release(loader))
    assert errors == 0, report


def test_migrations_after_the_release_take_no_long_lock_on_a_large_table(loader):
    found = []
    for migration in migrations_after_release(loader):
        if (migration.app_label, migration.name) in REVIEWED:
            continue
        state = loader.project_state((migration.app_label, migration.name), at_end=False)
        found += locking_operations(migration, state)
    assert found == [], "\n".join(found)


def test_the_reviewed_list_names_migrations_that_exist_with_a_reason(loader):
    for key, reason in REVIEWED.items():
        assert key in loader.disk_migrations, key
        assert len(reason) >= 20, key


def test_the_large_tables_are_the_projects(loader):
    state = loader.project_state()
    assert set(LARGE_MODELS) <= set(state.models)


# The checks refuse what they should: on constructed operations and on a migration of the past.


def after_current(app_label: str, operations: list, *, atomic: bool = True) -> migrations.Migration:
    """Return a migration of `app_label` holding `operations`, as if made next."""
    attributes = {"operations": operations, "atomic": atomic}
    return type("Migration", (migrations.Migration,), attributes)("9999_under_test", app_label)


@pytest.fixture(scope="module")
def current_state(loader):
    return loader.project_state()


REFUSED = {
    "an index on applications": (
        "applications",
        [migrations.AddIndex("application", models.Index(fields=["number"], name="application_number_only"))],
    ),
    "a concurrent index in a transaction": (
        "applications",
        [AddIndexConcurrently("revision", models.Index(fields=["saved_at"], name="revision_saved_at"))],
    ),
    "a unique constraint on snapshots": (
        "applications",
        [migrations.AddConstraint("snapshot", models.UniqueConstraint(fields=["digest"], name="one_digest"))],
    ),
    "a column type changed": (
        "applications",
        [migrations.AlterField("snapshot", "number", models.IntegerField())],
    ),
    "a varchar made shorter": (
        "applications",
        [migrations.AlterField("snapshot", "number", models.CharField(max_length=20))],
    ),
    "a default computed per row": (
        "core",
        [migrations.AddField("auditevent", "recorded_at", models.DateTimeField(db_default=Now()))],
    ),
    "a foreign key added": (
        "core",
        [
            migrations.AddField(
                "notice",
                "batch",
                models.ForeignKey("programs.Batch", null=True, on_delete=models.CASCADE),
            )
        ],
    ),
    "NOT NULL set": (
        "applications",
        [migrations.AlterField("revision", "restored_from", models.PositiveIntegerField(default=0))],
    ),
    "SQL without reverse": (
        "applications",
        [migrations.RunSQL("UPDATE applications_revision SET client_id = ''")],
    ),
    "the same inside SeparateDatabaseAndState": (
        "applications",
        [
            migrations.SeparateDatabaseAndState(
                database_operations=[
                    migrations.AddIndex(
                        "application", models.Index(fields=["number"], name="application_number")
                    )
                ]
            )
        ],
    ),
}


@pytest.mark.parametrize("case", REFUSED)
def test_a_locking_operation_on_a_large_table_is_refused(case, current_state):
    app_label, operations = REFUSED[case]
    migration = after_current(app_label, operations)
    found = locking_operations(migration, current_state)
    assert len(found) == 1, found


ACCEPTED = {
    "a concurrent index outside a transaction": (
        "applications",
        [
            migration_operations.AddIndexConcurrently(
                "revision", models.Index(fields=["saved_at"], name="revision_saved_at")
            )
        ],
        False,
    ),
    "an index on a small table": (
        "programs",
        [migrations.AddIndex("batch", models.Index(fields=["spec_key"], name="batch_spec_key"))],
        True,
    ),
    "a nullable column without index": (
        "applications",
        [migrations.AddField("snapshot", "checked_at", models.DateTimeField(null=True))],
        True,
    ),
    "a foreign key without index nor constraint": (
        "core",
        [
            migrations.AddField(
                "notice",
                "batch",
                models.ForeignKey(
                    "programs.Batch", null=True, on_delete=models.CASCADE, db_index=False, db_constraint=False
                ),
            )
        ],
        True,
    ),
    "a constant default": (
        "core",
        [migrations.AddField("auditevent", "source", models.CharField(max_length=20, default="web"))],
        True,
    ),
    "a longer varchar": (
        "applications",
        [migrations.AlterField("snapshot", "number", models.CharField(max_length=60))],
        True,
    ),
    "SQL with its reverse": (
        "applications",
        [migrations.RunSQL("UPDATE applications_revision SET client_id = ''", migrations.RunSQL.noop)],
        True,
    ),
}


@pytest.mark.parametrize("case", ACCEPTED)
def test_the_safe_way_of_each_is_accepted(case, current_state):
    app_label, operations, atomic = ACCEPTED[case]
    migration = after_current(app_label, operations, atomic=atomic)
    assert locking_operations(migration, current_state) == []


def test_a_past_migration_that_locked_the_applications_table_would_be_refused_now(loader):
    """applications.0007 built two indexes on the applications in the transaction (accepted then:
    it is in the release, applied everywhere while the tables were small)."""
    key = ("applications", "0007_queue_order")
    assert f"{key[0]}.{key[1]}" in RELEASE["migrations"]
    found = locking_operations(loader.disk_migrations[key], loader.project_state(key, at_end=False))
    assert [line.split(": ", 2)[1] for line in found] == [
        "Create index application_city_queue on field(s) batch, city_code, -submitted_at, id, state"
        " of model application",
        "Create index application_province_queue on field(s) batch, -submitted_at, id of model application",
    ]


def plant(loader, settings, tmp_path, monkeypatch, operation: str) -> migrations.Migration:
    """Return a migration of `operation` (source text), planted in a copy of the applications' migrations."""
    package = f"planted_{uuid.uuid4().hex[:8]}"
    folder = tmp_path / package
    shutil.copytree(ROOT / "src" / "shifan" / "applications" / "migrations", folder)
    latest = max(name for app_label, name in loader.disk_migrations if app_label == "applications")
    (folder / "0999_planted.py").write_text(
        "from django.db import migrations, models\n\n\n"
        "class Migration(migrations.Migration):\n"
        f'    dependencies = [("applications", "{latest}")]\n'
        f"    operations = [{operation}]\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    settings.MIGRATION_MODULES = {"applications": package}
    return MigrationLoader(None, ignore_no_migrations=True).disk_migrations["applications", "0999_planted"]


# sqlmigrate reads the applied migrations, and SQLite's schema editor runs outside a transaction.
@pytest.mark.django_db(transaction=True)
def test_the_linter_refuses_a_backward_incompatible_migration(loader, settings, tmp_path, monkeypatch):
    """A migration renaming a column."""
    planted = plant(
        loader,
        settings,
        tmp_path,
        monkeypatch,
        'migrations.RenameField("snapshot", "number", "application_number")',
    )

    errors, report = lint([planted])

    assert errors == 1, report
    assert "RENAMING columns" in report


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    ("field", "refused"),
    [
        ("models.BooleanField(default=False)", True),  # the default is Python's: old code's inserts fail
        ("models.BooleanField(default=False, db_default=False)", False),
        ("models.CharField(max_length=20, null=True)", False),
    ],
)
def test_a_column_added_to_an_existing_table_needs_null_or_a_database_default(
    loader, settings, tmp_path, monkeypatch, field, refused
):
    """On both databases: on SQLite, where the column is added by rebuilding the table, as on PostgreSQL."""
    planted = plant(
        loader, settings, tmp_path, monkeypatch, f'migrations.AddField("attachment", "planted", {field})'
    )

    errors, report = lint([planted])

    assert (errors == 1) is refused, report
