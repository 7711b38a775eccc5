"""Whether a printed or scanned 申报书 is a submitted version, and which: the check behind its QR code.

Anyone may ask, with the application number and the digest printed on every page of a submitted
book. The answer says only whether that is the current version, an older one (which, and what
came after it), or unknown. It shows nothing of the content, and an unknown number and a wrong
digest get the same answer, so nobody can learn which numbers exist by trying them.
"""

import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings

from shifan.applications.models import ApplicationState, Snapshot

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
    )
