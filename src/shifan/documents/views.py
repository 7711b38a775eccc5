"""Downloads of documents: the 通告 (public, as on the department's website) and the 申报书.

A submitted book is read by whoever may read its application (the applicant's members, the
city's and the province's officers); a draft only by the applicant's members, who print it to
check before submitting. A submitted book is made once and then served from storage
(documents.rendered); a draft is made on every request.
"""

from django.core.cache import cache
from django.db.models import Max
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404
from django.views import View

from shifan.accounts.models import Role
from shifan.accounts.views import AuthenticatedRequest, RoleRequiredMixin
from shifan.applications import selectors as application_selectors
from shifan.core.http import attachment_disposition, safe_filename
from shifan.documents import book as books
from shifan.documents import rendered
from shifan.documents.announcement import announcement_docx, announcement_pdf
from shifan.documents.appended import book_with_attachments
from shifan.publicity.models import Announcement

DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
PDF_TYPE = "application/pdf"
# Bump when the announcement's layout changes, so cached files of the old layout are not served.
LAYOUT_VERSION = 2
CACHE_SECONDS = 24 * 60 * 60


def announcement_filename(announcement: Announcement, extension: str) -> str:
    """Return "{文号} {标题}.{extension}", safe to save on any desktop."""
    return safe_filename(f"{announcement.number} {announcement.title}") + f".{extension}"


class AnnouncementDocumentView(View):
    """One announcement as a file, for anyone.

    A PDF takes up to a second to make, so the bytes are cached: an announcement is never edited,
    and the key changes if it or one of its units is saved again.
    """

    extension: str
    content_type: str

    def render(self, announcement: Announcement) -> bytes:
        raise NotImplementedError

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        announcement = get_object_or_404(Announcement, pk=pk)
        units_saved = announcement.units.aggregate(latest=Max("updated_at"))["latest"]
        key = ":".join(
            str(part)
            for part in (
                "documents:announcement",
                self.extension,
                LAYOUT_VERSION,
                announcement.pk,
                announcement.updated_at.timestamp(),
                units_saved.timestamp() if units_saved else "",
            )
        )
        content = cache.get(key)
        if content is None:
            content = self.render(announcement)
            cache.set(key, content, CACHE_SECONDS)
        response = HttpResponse(content, content_type=self.content_type)
        response["Content-Disposition"] = attachment_disposition(
            announcement_filename(announcement, self.extension),
            f"announcement-{announcement.pk}.{self.extension}",
        )
        return response


class AnnouncementDocxView(AnnouncementDocumentView):
    extension = "docx"
    content_type = DOCX_TYPE

    def render(self, announcement: Announcement) -> bytes:
        return announcement_docx(announcement)


class AnnouncementPdfView(AnnouncementDocumentView):
    extension = "pdf"
    content_type = PDF_TYPE

    def render(self, announcement: Announcement) -> bytes:
        return announcement_pdf(announcement)


class BookView(RoleRequiredMixin, View):
    """One application's book as PDF or Word: a submitted version, or the draft saved now.

    A PDF with ?attachments=1 has the attachments appended after the book (documents.appended),
    made on request.
    """

    allowed_roles = (Role.APPLICANT, Role.CITY_OFFICER, Role.PROVINCE_OFFICER)
    extension: str
    content_type: str
    draft = False

    def made(self, book: books.Book) -> tuple[str, bytes]:
        """Return the book's file name and its file."""
        content = books.book_pdf(book) if self.extension == "pdf" else books.book_docx(book)
        return books.book_filename(book, self.extension), content

    def get(self, request: AuthenticatedRequest, pk: int, sequence: int | None = None) -> HttpResponseBase:
        application = application_selectors.application_for(request.user, pk)
        response: HttpResponseBase
        appended = self.extension == "pdf" and request.GET.get("attachments") == "1"
        if self.draft and not request.user.is_applicant:
            raise Http404
        if appended:
            if self.draft:
                book = books.draft_book(application)
                filename, content = self.made(book)
            else:
                snapshot = application_selectors.snapshot_for(application, sequence or 0)
                book = books.submitted_book(snapshot)
                stored = rendered.submitted_book_file(snapshot, self.extension)
                with stored.file.open("rb") as file:
                    content = file.read()
                filename = stored.filename
            content = book_with_attachments(book, content, application)
            filename = filename.removesuffix(".pdf") + "（含附件）.pdf"
            response = HttpResponse(content, content_type=self.content_type)
        elif self.draft:
            filename, content = self.made(books.draft_book(application))
            response = HttpResponse(content, content_type=self.content_type)
        else:
            snapshot = application_selectors.snapshot_for(application, sequence or 0)
            # A submitted version never changes: its file is made once per layout and stored, and
            # the stored file is streamed without working out the book again (documents.rendered).
            stored = rendered.submitted_book_file(snapshot, self.extension)
            filename = stored.filename
            response = FileResponse(stored.file.open("rb"), content_type=self.content_type)
        response["Content-Disposition"] = attachment_disposition(
            filename, f"application-{application.pk}.{self.extension}"
        )
        return response


class BookPdfView(BookView):
    extension = "pdf"
    content_type = PDF_TYPE


class BookDocxView(BookView):
    extension = "docx"
    content_type = DOCX_TYPE


class DraftPdfView(BookPdfView):
    draft = True


class DraftDocxView(BookDocxView):
    draft = True
