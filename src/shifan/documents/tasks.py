"""Background work in the worker (`run_worker`), not in the request: bulk exports, and the books of
submitted versions."""

from typing import Any

from django.conf import settings
from django_tasks import task


@task(takes_context=True)
def build_export(context: Any, job_id: int) -> str:
    """Build and store one export job's ZIP; return the state it ended in.

    Run again after its worker was killed (core.workers), it builds the ZIP anew if that worker is
    gone or the job stopped progressing, and leaves the job to a run that still progresses."""
    from shifan.core.workers import worker_is_gone
    from shifan.documents.exports import run_export

    earlier = context.task_result.worker_ids[:-1]
    return run_export(
        job_id,
        processes=settings.SHIFAN_EXPORT_PROCESSES,
        earlier_run_gone=bool(earlier) and worker_is_gone(earlier[-1]),
        rerun=bool(earlier),
    )


# After mail and exports: a book made later only moves its first download back to rendering.
@task(priority=-10)
def make_submitted_book(snapshot_id: int) -> list[str]:
    """Make and store a submitted snapshot's PDF; return the extensions made (none if stored)."""
    from shifan.documents.rendered import make_submitted_books

    return make_submitted_books(snapshot_id)
