"""Migration operations for large tables that run on both databases of the project.

tests/test_migration_safety.py refuses a migration that builds an index on a large table inside
its transaction; this is the way it accepts.
"""

from typing import Any

from django.contrib.postgres.operations import AddIndexConcurrently as PostgresAddIndexConcurrently
from django.db import migrations


class AddIndexConcurrently(PostgresAddIndexConcurrently):
    """Build an index without stopping writes: CREATE INDEX CONCURRENTLY on PostgreSQL.

    On SQLite, where Django's own operation fails, a plain CREATE INDEX (a migration holds SQLite's
    one writer lock whatever it does). Use it in a migration with `atomic = False`: PostgreSQL
    builds an index concurrently only outside a transaction.
    """

    def database_forwards(self, app_label: str, schema_editor: Any, from_state: Any, to_state: Any) -> None:
        if schema_editor.connection.vendor == "postgresql":
            super().database_forwards(app_label, schema_editor, from_state, to_state)
        else:
            migrations.AddIndex.database_forwards(self, app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label: str, schema_editor: Any, from_state: Any, to_state: Any) -> None:
        if schema_editor.connection.vendor == "postgresql":
            super().database_backwards(app_label, schema_editor, from_state, to_state)
        else:
            migrations.AddIndex.database_backwards(self, app_label, schema_editor, from_state, to_state)
