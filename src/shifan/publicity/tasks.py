"""Background work: notices open and close at their dates without anyone clicking."""

from django_tasks import task


@task()
def advance_notices() -> int:
    """Apply the phase their dates give to every notice that lags behind; return how many changed."""
    from shifan.publicity.selectors import notices_behind_their_dates
    from shifan.publicity.services import sync_notice

    changed = 0
    for notice in notices_behind_their_dates():
        sync_notice(notice=notice)
        changed += 1
    return changed
