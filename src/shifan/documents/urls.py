from django.urls import path

from shifan.documents import export_views, verify_views, views

app_name = "documents"

# Public: no login, like the notice itself.
urlpatterns = [
    path(
        "public/announcements/<int:pk>/announcement.docx",
        views.AnnouncementDocxView.as_view(),
        name="announcement_docx",
    ),
    path(
        "public/announcements/<int:pk>/announcement.pdf",
        views.AnnouncementPdfView.as_view(),
        name="announcement_pdf",
    ),
    # The 申报书: a submitted version, or the applicant's draft.
    path(
        "applications/<int:pk>/snapshots/<int:sequence>/book.pdf",
        views.BookPdfView.as_view(),
        name="book_pdf",
    ),
    path(
        "applications/<int:pk>/snapshots/<int:sequence>/book.docx",
        views.BookDocxView.as_view(),
        name="book_docx",
    ),
    path("applications/<int:pk>/draft.pdf", views.DraftPdfView.as_view(), name="draft_pdf"),
    path("applications/<int:pk>/draft.docx", views.DraftDocxView.as_view(), name="draft_docx"),
    # Public: whether a printed book is a submitted version (the QR code on every page links here).
    path("verify/", verify_views.VerifyView.as_view(), name="verify"),
    path("verify/<str:number>/<str:digest>/", verify_views.VerifyLinkView.as_view(), name="verify_link"),
    # Issue 8: bulk exports of the books of a selection, for city and province officers.
    path("review/exports/", export_views.ExportListView.as_view(), name="exports"),
    path(
        "review/exports/<int:pk>/progress/",
        export_views.ExportProgressView.as_view(),
        name="export_progress",
    ),
    path(
        "review/exports/<int:pk>/download/",
        export_views.ExportDownloadView.as_view(),
        name="export_download",
    ),
]
