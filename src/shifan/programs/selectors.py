from django.db.models import QuerySet
from django.http import Http404
from django.utils import timezone

from shifan.accounts.models import User
from shifan.programs.models import Batch


def open_batches() -> QuerySet[Batch]:
    """Return the batches accepting applications now."""
    now = timezone.now()
    return Batch.objects.filter(opens_at__lte=now, closes_at__gt=now).order_by("closes_at")


def batches_visible_to(user: User) -> QuerySet[Batch]:
    """Every batch is public once opened; province officers also see upcoming ones."""
    if user.is_authenticated and user.is_province_officer:
        return Batch.objects.all()
    return Batch.objects.filter(opens_at__lte=timezone.now())


def batch_for(user: User, pk: int) -> Batch:
    try:
        return batches_visible_to(user).get(pk=pk)
    except Batch.DoesNotExist as error:
        raise Http404 from error
