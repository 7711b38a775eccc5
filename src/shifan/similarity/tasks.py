"""Similarity checks in the background worker: after a submission, and a whole batch on demand."""

from django_tasks import task


# After mail and books: a flag a minute later harms no one.
@task(priority=-20)
def check_submission(application_id: int) -> int:
    """Index a just-submitted application and record its similar pairs; return how many."""
    from shifan.similarity.services import check_application

    return check_application(application_id)


@task(priority=-20)
def check_batch(batch_id: int) -> int:
    """Check every submitted application of a batch again; return the batch's pairs."""
    from django.conf import settings

    from shifan.similarity.services import check_batch as run

    return run(batch_id, processes=settings.SHIFAN_SIMILARITY_PROCESSES)
