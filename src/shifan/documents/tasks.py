"""Background work: bulk exports run in the worker (`db_worker`), not in the request."""

from django.conf import settings
from django_tasks import task


@task()
def build_export(job_id: int) -> str:
    """Build and store one export job's ZIP; return the state it ended in."""
    from shifan.documents.exports import run_export

    return run_export(job_id, processes=settings.SHIFAN_EXPORT_PROCESSES)
