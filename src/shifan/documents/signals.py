"""A deleted export job takes its ZIP with it, however it is deleted (expiry, or its batch or officer),
and a deleted rendered book its file."""

from typing import Any

from django.db.models.signals import post_delete
from django.dispatch import receiver

from shifan.documents.models import ExportJob, RenderedBook


@receiver(post_delete, sender=ExportJob, dispatch_uid="documents.export_file")
def delete_export_file(sender: type[ExportJob], instance: ExportJob, **kwargs: Any) -> None:
    if instance.file:
        instance.file.delete(save=False)


@receiver(post_delete, sender=RenderedBook, dispatch_uid="documents.rendered_book_file")
def delete_rendered_book_file(sender: type[RenderedBook], instance: RenderedBook, **kwargs: Any) -> None:
    if instance.file:
        instance.file.delete(save=False)
