"""A deleted export job takes its ZIP with it, however it is deleted (expiry, or its batch or officer),
and a deleted rendered book its file; a submitted version has its book made once the submission
commits."""

from typing import Any

from django.db.models.signals import post_delete
from django.dispatch import receiver

from shifan.applications.models import Snapshot
from shifan.applications.services import application_submitted
from shifan.documents import rendered
from shifan.documents.models import ExportJob, RenderedBook


@receiver(post_delete, sender=ExportJob, dispatch_uid="documents.export_file")
def delete_export_file(sender: type[ExportJob], instance: ExportJob, **kwargs: Any) -> None:
    if instance.file:
        instance.file.delete(save=False)


@receiver(post_delete, sender=RenderedBook, dispatch_uid="documents.rendered_book_file")
def delete_rendered_book_file(sender: type[RenderedBook], instance: RenderedBook, **kwargs: Any) -> None:
    if instance.file:
        instance.file.delete(save=False)


@receiver(application_submitted, sender=Snapshot, dispatch_uid="documents.queue_submitted_book")
def queue_submitted_book(sender: type[Snapshot], snapshot: Snapshot, **kwargs: Any) -> None:
    rendered.queue_submitted_books(snapshot)
