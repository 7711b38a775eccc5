"""The benchmarks' scratch Django: settings, a SQLite database and files in a temporary folder.

Nothing else is touched, and the folder is removed at exit. Call `setup` before importing models.
"""

import atexit
import os
import shutil
import sys
import tempfile
from pathlib import Path


def setup(name: str, database_url: str = "") -> str:
    """Point Django at a new scratch folder for the benchmark `name`, set it up and return the folder.

    The database is a SQLite file in the folder, or the (scratch) database at `database_url`."""
    scratch = tempfile.mkdtemp(prefix=f"shifan-bench-{name}-")
    atexit.register(shutil.rmtree, scratch, ignore_errors=True)
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shifan.settings")
    os.environ.setdefault("SHIFAN_HTTPS", "false")
    os.environ["SHIFAN_SQLITE_PATH"] = str(Path(scratch) / "bench.sqlite3")
    os.environ["SHIFAN_VAR_DIR"] = scratch
    if database_url:
        os.environ["DATABASE_URL"] = database_url
    else:
        os.environ.pop("DATABASE_URL", None)

    import django

    django.setup()
    return scratch
