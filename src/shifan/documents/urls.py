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
    # Public: whether a printed book is a submitted version (the QR code on every page links here).
    path("verify/", verify_views.VerifyView.as_view(), name="verify"),
    path("verify/<str:number>/<str:digest>/", verify_views.VerifyLinkView.as_view(), name="verify_link"),
]
