from django.urls import path

from shifan.tracking import views

app_name = "tracking"

urlpatterns = [
    # Province officers (city officers read)
    path("manage/tracking/", views.RoundListView.as_view(), name="rounds"),
    path("manage/tracking/new/", views.RoundCreateView.as_view(), name="round_new"),
    path("manage/tracking/<int:pk>/", views.RoundView.as_view(), name="round"),
    path("manage/tracking/<int:pk>/close/", views.RoundCloseView.as_view(), name="round_close"),
    path("tracking/reports/<int:pk>/evaluate/", views.ReportEvaluateView.as_view(), name="evaluate"),
    path("tracking/reports/<int:pk>/revoke/", views.RevokeConfirmView.as_view(), name="revoke"),
    # Units (and officers reading)
    path("tracking/", views.OwnReportsView.as_view(), name="own_reports"),
    path("tracking/reports/<int:pk>/", views.ReportView.as_view(), name="report"),
    path("tracking/reports/<int:pk>/attachments/", views.AttachmentAddView.as_view(), name="attachment_add"),
    path(
        "tracking/reports/<int:pk>/attachments/<int:attachment_pk>/",
        views.AttachmentView.as_view(),
        name="attachment",
    ),
    path(
        "tracking/reports/<int:pk>/attachments/<int:attachment_pk>/remove/",
        views.AttachmentRemoveView.as_view(),
        name="attachment_remove",
    ),
    # Public: no login
    path("public/revocations/", views.PublicRevocationsView.as_view(), name="public_revocations"),
]
