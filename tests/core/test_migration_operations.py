"""shifan.core.migration_operations on the database under test, outside a transaction as it runs."""

import pytest
from django.db import connection, models
from django.db.migrations.loader import MigrationLoader

from shifan.core.migration_operations import AddIndexConcurrently

pytestmark = pytest.mark.django_db(transaction=True)

NAME = "revision_saved_at_under_test"


def index_names(table: str) -> set[str]:
    with connection.cursor() as cursor:
        return {
            name
            for name, facts in connection.introspection.get_constraints(cursor, table).items()
            if facts["index"]
        }


def test_add_index_concurrently_builds_the_index_and_drops_it_when_reversed():
    operation = AddIndexConcurrently("revision", models.Index(fields=["saved_at"], name=NAME))
    before = MigrationLoader(connection).project_state()
    after = before.clone()
    operation.state_forwards("applications", after)

    with connection.schema_editor(atomic=False) as editor:
        operation.database_forwards("applications", editor, before, after)
    assert NAME in index_names("applications_revision")

    with connection.schema_editor(atomic=False) as editor:
        operation.database_backwards("applications", editor, after, before)
    assert NAME not in index_names("applications_revision")
