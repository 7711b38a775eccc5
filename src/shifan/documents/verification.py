"""Whether a printed or scanned 申报书 is a submitted version, and which: the check behind its QR code.

Anyone may ask, with the application number and the digest printed on every page of a submitted
book. The answer says whether that is the current version, an older one (which, and what came
after it), or unknown; for a known version also the applicant's name and the book's page count,
and nothing more of the content. Without them a forged paper copy carrying a genuine footer would
pass: the reader compares the name on the cover and counts the pages. An unknown number and a
wrong digest get the same answer, so nobody can learn which numbers exist by trying them.
"""

import logging
import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.core.cache import cache

from shifan.applications.models import ApplicationState, Snapshot

logger = logging.getLogger(__name__)

CURRENT = "current"
OLD = "old"
UNKNOWN = "unknown"

SHORT_DIGEST_LENGTH = 12  # Snapshot.short_digest, as printed in the book's footer
FULL_DIGEST_LENGTH = 64
_HEX = re.compile(r"[0-9a-f]+\Z")
_SPACES = re.compile(r"\s+")


@dataclass(frozen=True)
class Verification:
    """The answer: the outcome and, for a known version, its place among the submissions."""

    outcome: str
    number: str
    sequence: int | None = None
    submitted_at: datetime | None = None
    # The latest submission of the application, when it is not the one asked about.
    later_sequence: int | None = None
    later_submitted_at: datetime | None = None
    withdrawn: bool = False
    unit_name: str = ""
    page_count: int | None = None

    @property
    def is_current(self) -> bool:
        return self.outcome == CURRENT

    @property
    def is_old(self) -> bool:
        return self.outcome == OLD


def normalise(text: str) -> str:
    """Return typed text without spaces, full-width characters made half-width (ＧＤ－ → GD-)."""
    return _SPACES.sub("", unicodedata.normalize("NFKC", text or ""))


def number_pattern() -> re.Pattern[str]:
    """Return the pattern of application numbers, e.g. GD-SMD-2024-E-0001."""
    prefix = re.escape(settings.SHIFAN_NUMBER_PREFIX.upper())
    return re.compile(rf"{prefix}-\d{{4}}-[A-Z]{{1,3}}-\d{{4,6}}\Z")


def example_number() -> str:
    return f"{settings.SHIFAN_NUMBER_PREFIX.upper()}-2024-E-0001"


def is_digest(text: str) -> bool:
    """Return whether the text is a short (12) or full (64) SHA-256 digest in lower-case hex."""
    return len(text) in (SHORT_DIGEST_LENGTH, FULL_DIGEST_LENGTH) and bool(_HEX.match(text))


def verify(number: str, digest: str) -> Verification:
    """Return what the number and digest (12 or 64 hex characters, any case) identify.

    The number must already match `number_pattern()`; any other input is answered as unknown.
    """
    number = normalise(number).upper()
    digest = normalise(digest).lower()
    if not number_pattern().match(number) or not is_digest(digest):
        return Verification(outcome=UNKNOWN, number=number)
    snapshots = Snapshot.objects.filter(number=number).select_related("application")
    if len(digest) == FULL_DIGEST_LENGTH:
        snapshots = snapshots.filter(digest=digest)
    else:
        snapshots = snapshots.filter(digest__startswith=digest)
    snapshot = snapshots.order_by("-sequence").first()
    if snapshot is None:
        return Verification(outcome=UNKNOWN, number=number)
    latest = (
        Snapshot.objects.filter(application_id=snapshot.application_id)
        .order_by("-sequence")
        .only("id", "sequence", "submitted_at")
        .first()
    )
    withdrawn = snapshot.application.state == ApplicationState.WITHDRAWN
    later = latest if latest is not None and latest.pk != snapshot.pk else None
    return Verification(
        outcome=OLD if later is not None or withdrawn else CURRENT,
        number=number,
        sequence=snapshot.sequence,
        submitted_at=snapshot.submitted_at,
        later_sequence=later.sequence if later else None,
        later_submitted_at=later.submitted_at if later else None,
        withdrawn=withdrawn,
        unit_name=snapshot.unit.get("name", "") or snapshot.application.applicant_name,
        page_count=page_count(snapshot),
    )


def page_count(snapshot: Snapshot) -> int | None:
    """Return the number of pages of the snapshot's PDF book (made first if it never was).

    The book's file never changes for a layout, so its count is kept in the cache by the stored
    row. None, logged, when the book cannot be made: the rest of the answer stands without it.
    """
    from pypdf import PdfReader  # imported here: only a verification with a known version needs it

    from shifan.documents import rendered

    try:
        book = rendered.submitted_book_file(snapshot, "pdf")
    except Exception:  # a verification must answer even when the book cannot be made now
        logger.exception("No book to count the pages of snapshot %s", snapshot.pk)
        return None
    key = f"shifan:documents:pages:{book.pk}"
    count = cache.get(key)
    if count is None:
        with book.file.open("rb") as handle:
            count = len(PdfReader(handle).pages)
        cache.set(key, count, None)
    return int(count)
