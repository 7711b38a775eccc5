"""A submitted version is checked for similarity once the submission commits (the task queue)."""

from typing import Any

from django.dispatch import receiver

from shifan.applications.models import Snapshot
from shifan.applications.services import application_submitted
from shifan.core.taskqueue import enqueue_with_transaction


@receiver(application_submitted, sender=Snapshot, dispatch_uid="similarity.check_submission")
def queue_similarity_check(sender: type[Snapshot], snapshot: Snapshot, **kwargs: Any) -> None:
    from shifan.similarity.tasks import check_submission

    enqueue_with_transaction(check_submission, robust=True, application_id=snapshot.application_id)
