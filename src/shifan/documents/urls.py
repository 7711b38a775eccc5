from django.urls import path

from shifan.documents import verify_views, views

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
        "applications/<int:pk>/snapshots/<int:sequence>/book.pdf", views.BookPdfView.as_view(), name="book_pdf"
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
]
