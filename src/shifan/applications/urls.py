from django.urls import path

from shifan.applications import views

app_name = "applications"

urlpatterns = [
    path("applications/", views.ApplicationListView.as_view(), name="list"),
    path("applications/start/", views.ApplicationStartView.as_view(), name="start"),
    path("applications/<int:pk>/", views.ApplicationDetailView.as_view(), name="detail"),
    path("applications/<int:pk>/sections/<str:section>/", views.SectionView.as_view(), name="section"),
    path("applications/<int:pk>/save/", views.AutosaveView.as_view(), name="autosave"),
    path(
        "applications/<int:pk>/attachments/", views.AttachmentUploadView.as_view(), name="attachment_upload"
    ),
    path(
        "applications/<int:pk>/attachments/<int:attachment_pk>/",
        views.AttachmentDownloadView.as_view(),
        name="attachment",
    ),
    path(
        "applications/<int:pk>/attachments/<int:attachment_pk>/remove/",
        views.AttachmentRemoveView.as_view(),
        name="attachment_remove",
    ),
    path(
        "applications/<int:pk>/sealed-scans/", views.SealedScanUploadView.as_view(), name="sealed_scan_upload"
    ),
    path(
        "applications/<int:pk>/sealed-scans/<int:scan_pk>/",
        views.SealedScanDownloadView.as_view(),
        name="sealed_scan",
    ),
    path("applications/<int:pk>/revisions/", views.RevisionListView.as_view(), name="revisions"),
    path(
        "applications/<int:pk>/revisions/<int:version>/restore/",
        views.RevisionRestoreView.as_view(),
        name="revision_restore",
    ),
    path("applications/<int:pk>/submit/", views.SubmitView.as_view(), name="submit"),
    path("applications/<int:pk>/withdraw/", views.WithdrawView.as_view(), name="withdraw"),
    path("applications/<int:pk>/snapshots/<int:sequence>/", views.SnapshotView.as_view(), name="snapshot"),
    path("applications/<int:pk>/credit-check/", views.CreditCheckView.as_view(), name="credit_check"),
    path("applications/<int:pk>/judgments/", views.JudgmentView.as_view(), name="judgment"),
    path("batches/<int:pk>/eligibility/", views.BatchEligibilityView.as_view(), name="batch_eligibility"),
]
