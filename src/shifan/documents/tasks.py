"""Background work in the worker (`db_worker`), not in the request: bulk exports, and the books of
submitted versions."""

from django.conf import settings
from django_tasks import task


@task()
def build_export(job_id: int) -> str:
    """Build and store one export job's ZIP; return the state it ended in."""
    from shifan.documents.exports import run_export

    return run_export(job_id, processes=settings.SHIFAN_EXPORT_PROCESSES)


# After mail and exports: a book made later only moves its first download back to rendering.
@task(priority=-10)
def make_submitted_book(snapshot_id: int) -> list[str]:
    """Make and store a submitted snapshot's PDF; return the extensions made (none if stored)."""
    from shifan.documents.rendered import make_submitted_books

    return make_submitted_books(snapshot_id)
