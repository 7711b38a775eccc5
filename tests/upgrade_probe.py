"""What tests/test_upgrade.py asks of an upgraded database, run by the current code in its own process.

    python tests/upgrade_probe.py RELEASE_JSON VENDOR

The database and the uploaded files are those the environment names (DATABASE_URL or
SHIFAN_SQLITE_PATH, SHIFAN_VAR_DIR), as for `manage.py`. Prints one line of JSON: the rows of every
model the release counted, the migrations still to apply, whether every submitted version's
digest is still the digest of what it holds and the sample's verification answer, which stored
files are missing, and what logging in as the sample's account answered.
"""

import json
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shifan.settings")

import django  # noqa: E402

django.setup()

from django.apps import apps  # noqa: E402
from django.core.files.storage import default_storage  # noqa: E402
from django.db import connection, models  # noqa: E402
from django.db.migrations.executor import MigrationExecutor  # noqa: E402
from django.test import Client  # noqa: E402
from django.urls import reverse  # noqa: E402

from shifan.applications.models import Snapshot  # noqa: E402
from shifan.applications.services import digest_of  # noqa: E402
from shifan.documents import verification  # noqa: E402


def counts(labels: list[str]) -> dict[str, int | None]:
    """Return the rows of each model (None: the current code has no such model)."""
    found: dict[str, int | None] = {}
    for label in labels:
        try:
            model = apps.get_model(label)
        except LookupError:
            found[label] = None
        else:
            found[label] = model._default_manager.count()
    return found


def unapplied_migrations() -> list[str]:
    executor = MigrationExecutor(connection)
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    return [f"{migration.app_label}.{migration.name}" for migration, _backwards in plan]


def snapshots_whose_digest_differs() -> list[str]:
    """Return the submitted versions whose content no longer gives their digest.

    The digest is worked out as `applications.services.submit_application` made it.
    """
    differing = []
    for snapshot in Snapshot.objects.order_by("id"):
        if digest_of(snapshot) != snapshot.digest:
            differing.append(f"{snapshot.number} #{snapshot.sequence}")
    return differing


def missing_files() -> list[str]:
    """Return the stored files the database names but the storage does not hold."""
    missing = []
    for model in apps.get_models():
        file_fields = [field for field in model._meta.fields if isinstance(field, models.FileField)]
        for field in file_fields:
            names = model._default_manager.exclude(**{field.name: ""}).values_list(field.name, flat=True)
            missing += [
                f"{model._meta.label}.{field.name}: {name}"
                for name in names
                if not default_storage.exists(name)
            ]
    return missing


def login(account: str, password: str) -> dict[str, object]:
    client = Client()
    response = client.post(reverse("accounts:login"), {"username": account, "password": password})
    home = client.get(reverse("home"))
    return {
        "status": response.status_code,
        "logged_in": "_auth_user_id" in client.session,
        "home_status": home.status_code,
    }


def main() -> None:
    release = json.loads(Path(sys.argv[1]).read_text())
    recorded = release["databases"][sys.argv[2]]
    sample = recorded["sample"]
    # Counted before the verification, which stores the sample's book if the release never made it.
    found = counts(list(recorded["counts"]))
    answer = verification.verify(sample["number"], sample["digest"])
    print(
        json.dumps(
            {
                "vendor": connection.vendor,
                "counts": found,
                "unapplied": unapplied_migrations(),
                "digests_differing": snapshots_whose_digest_differs(),
                "verification": answer.outcome,
                "missing_files": missing_files(),
                "login": login(sample["account"], sample["password"]),
            },
            ensure_ascii=False,
        )
    )


if __name__ == "__main__":
    main()
