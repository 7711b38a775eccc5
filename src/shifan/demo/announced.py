"""An announced batch made directly in the database, for test worlds and benchmarks.

The demo stages walk the publicity workflow through its services; a test of the dashboard or a
benchmark with 10,000 applications only needs the rows an announcement leaves behind: a closed
notice and the announcement that follows it.
"""

from datetime import date

from shifan.accounts.models import User
from shifan.programs.models import Batch
from shifan.publicity.models import Announcement, Notice


def closed_announcement(batch: Batch, *, published_by: User, number: str) -> Announcement:
    """Return the batch's announcement of 1 December 2024, after a notice closed on 11 November."""
    notice = Notice.objects.create(
        batch=batch,
        title="拟认定名单公示",
        starts_on=date(2024, 11, 1),
        working_days=7,
        ends_on=date(2024, 11, 11),
        contact_office="生产服务业处",
        contact_phone="020-83133333",
        state="closed",
        published_by=published_by,
    )
    return Announcement.objects.create(
        batch=batch,
        notice=notice,
        number=number,
        title="认定通告",
        issued_on=date(2024, 12, 1),
        body="特此通告。",
        published_by=published_by,
    )
