"""Submitted books made once and kept: the PDF and Word files of a snapshot, in the default storage.

A snapshot never changes (`Snapshot.save` refuses an update), so the bytes of its book change
only when the code or the fonts that lay it out do. The first download of a submitted book makes
it and stores it; later downloads and the bulk export stream the stored file. A draft is made on
every request and never stored: it changes with every save.

What a stored file depends on besides the snapshot is named by `layout_version()`:

- `LAYOUT_REVISION`, bumped by hand when the book changes in a way no file below shows (what
  `applications.answers` prints for a value, a reference name such as a city's);
- a hash of the files that lay the book out (the templates, `book.py`, `book_pdf.py`,
  `book_word.py`, `typography.py`), so an edit to one of them is never hidden by a stored file
  of the old layout, even if nobody bumps the revision;
- the versions of WeasyPrint and python-docx, and the font files fontconfig picks for each face
  (path, size and time), since a new library or font moves lines and pages;
- `SITE_URL`, which the QR code and the footer print.

Once a submission commits, a background task (`tasks.make_submitted_book`, when
`settings.SHIFAN_RENDER_BOOKS_ON_SUBMIT` is on) makes its PDF the same way, so the first download
and the bulk export find it stored; a failed render there is logged and left to the first download
(docs/decisions/0016-books-rendered-on-submission.md). The Word file is made on its first download:
it takes about 0.3 s.

Files are kept under `books/<layout version>/…/<digest>-<snapshot>.<extension>`, from the digest
and never from a name anyone typed; the `RenderedBook` row is written after the file, and only a
file with a row is served. Who may download a book is decided before any of this, by the same
selectors as before (documents.views). Storing a render is not an action of anyone's, so it
writes no audit row.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import subprocess
from collections import Counter
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction

from shifan.core.taskqueue import enqueue_with_transaction
from shifan.documents.models import RenderedBook

if TYPE_CHECKING:
    from collections.abc import Iterable

    from shifan.applications.models import Snapshot

logger = logging.getLogger(__name__)

# Bump when what a book prints changes outside the files hashed below.
LAYOUT_REVISION = 3
HERE = Path(__file__).resolve().parent
LAYOUT_FILES = (
    "book.py",
    "book_pdf.py",
    "book_word.py",
    "typography.py",
    "templates/documents/book_pdf.html",
    "templates/documents/_book_value.html",
    "templates/documents/_book_section_rows.html",
    "templates/documents/_book_page_footer.css",
)
EXTENSIONS = ("pdf", "docx")
# Made in the background once a version is submitted: the PDF, a second or more per book.
MADE_ON_SUBMISSION = ("pdf",)

# Books made in this process, by extension: what the tests and the benchmark count.
renders: Counter[str] = Counter()


def _font_files() -> list[str]:
    """Return the font file fontconfig picks for each PDF family, with its size and time."""
    from shifan.documents import typography as ty

    patterns = sorted(
        {
            family + (":bold" if face.pdf_weight >= 700 else "")
            for face in (ty.FANGSONG, ty.HEITI, ty.KAITI, ty.SONGTI, ty.XIAOBIAOSONG)
            for family in face.pdf_families
        }
        | {"DejaVu Sans"}
    )
    found = []
    for pattern in patterns:
        try:
            path = subprocess.run(
                ["fc-match", "--format=%{file}", pattern],
                capture_output=True,
                text=True,
                check=True,
                timeout=10,
            ).stdout
        except (OSError, subprocess.SubprocessError):
            path = ""
        try:
            stat = Path(path).stat() if path else None
        except OSError:
            stat = None
        found.append(f"{pattern}={path}:{stat.st_size}:{int(stat.st_mtime)}" if stat else f"{pattern}=?")
    return found


@functools.cache
def _layout_digest() -> str:
    """Return a hash of the layout files, the libraries' versions and the fonts (once per process)."""
    digest = hashlib.sha256()
    for name in LAYOUT_FILES:
        digest.update(name.encode() + b"\0" + (HERE / name).read_bytes() + b"\0")
    for package in ("weasyprint", "python-docx"):
        digest.update(f"{package}={metadata.version(package)}\0".encode())
    for line in _font_files():
        digest.update(line.encode() + b"\0")
    return digest.hexdigest()[:16]


def layout_version() -> str:
    """Return the version of the book's layout: the revision, the layout's hash and the site's."""
    site = hashlib.sha256(settings.SITE_URL.encode()).hexdigest()[:6]
    return f"{LAYOUT_REVISION}-{_layout_digest()}-{site}"


def stored_book(snapshot: Snapshot, extension: str) -> RenderedBook | None:
    """Return the stored book of a snapshot in this layout, if it was made before."""
    return RenderedBook.objects.filter(
        snapshot=snapshot, extension=extension, layout=layout_version()
    ).first()


def stored_books(snapshots: Iterable[Snapshot], extension: str) -> dict[int, RenderedBook]:
    """Return the stored books of the snapshots in this layout, by snapshot, in one query."""
    rows = RenderedBook.objects.filter(
        snapshot__in=[snapshot.pk for snapshot in snapshots], extension=extension, layout=layout_version()
    )
    return {row.snapshot_id: row for row in rows}


def store_book(*, snapshot: Snapshot, extension: str, filename: str, content: bytes) -> RenderedBook:
    """Keep a submitted book's file; return its row (another request's, if that one was first).

    Two first downloads at once both make the book; the second row is refused by the unique
    constraint, and its file is removed again.
    """
    if extension not in EXTENSIONS:
        raise ValueError(f"No stored books of type {extension!r}.")
    row = RenderedBook(
        snapshot=snapshot, extension=extension, layout=layout_version(), filename=filename, size=len(content)
    )
    row.file.save(extension, ContentFile(content), save=False)
    try:
        with transaction.atomic():
            row.save()
    except IntegrityError:
        row.file.delete(save=False)
        existing = stored_book(snapshot, extension)
        if existing is None:
            raise
        return existing
    return row


def submitted_book_file(snapshot: Snapshot, extension: str) -> RenderedBook:
    """Return a snapshot's stored book in this layout, making and storing it first if needed."""
    from shifan.documents import book as books

    row = stored_book(snapshot, extension)
    if row is not None:
        return row
    book = books.submitted_book(snapshot)
    renders[extension] += 1
    content = books.book_pdf(book) if extension == "pdf" else books.book_docx(book)
    return store_book(
        snapshot=snapshot, extension=extension, filename=books.book_filename(book, extension), content=content
    )


def queue_submitted_books(snapshot: Snapshot) -> None:
    """Queue the making of a just-submitted snapshot's books, with its transaction.

    The database queue's row commits with the submission. Another queue is asked on commit,
    robustly: one that cannot be reached is logged and leaves the book to its first download; the
    submission is committed by then and stays so.
    """
    if not settings.SHIFAN_RENDER_BOOKS_ON_SUBMIT:
        return
    from shifan.documents.tasks import make_submitted_book

    snapshot_id = snapshot.pk
    enqueue_with_transaction(make_submitted_book, robust=True, snapshot_id=snapshot_id)


def make_submitted_books(snapshot_id: int) -> list[str]:
    """Make and store the books of a submitted snapshot that are not stored yet; return the
    extensions made.

    Idempotent, and safe beside a download or another worker making the same book: the unique
    row keeps one file (`store_book`). The book is the snapshot's, frozen at submission, whatever
    the application holds now. A render that fails is logged and raised again, so the task queue
    records it; the first download makes the book.
    """
    from shifan.applications.models import Snapshot

    snapshot = Snapshot.objects.select_related("application__batch").filter(pk=snapshot_id).first()
    if snapshot is None:  # deleted before its turn
        return []
    made = []
    for extension in MADE_ON_SUBMISSION:
        if stored_book(snapshot, extension) is not None:
            continue
        try:
            submitted_book_file(snapshot, extension)
        except Exception:
            logger.exception(
                "The %s book of snapshot %s was not made at submission; its first download makes it.",
                extension,
                snapshot_id,
            )
            raise
        made.append(extension)
    return made
