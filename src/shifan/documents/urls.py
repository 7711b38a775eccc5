from django.urls import path

from shifan.documents import views

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
]
