from django.urls import path

from shifan.expert_review import views

app_name = "expert_review"

urlpatterns = [
    # The expert's side.
    path("expert/assignments/", views.MyAssignmentListView.as_view(), name="my_assignments"),
    path("expert/assignments/<int:pk>/", views.AssignmentView.as_view(), name="assignment"),
    path("expert/assignments/<int:pk>/conflict/", views.ConflictCheckView.as_view(), name="conflict_check"),
    path("expert/assignments/<int:pk>/sheet.pdf", views.ScoreSheetPdfView.as_view(), name="sheet_pdf"),
    path(
        "expert/assignments/<int:pk>/attachments/<int:attachment_pk>/",
        views.AssignmentAttachmentView.as_view(),
        name="attachment",
    ),
    # The province's side.
    path("review/experts/", views.CurrentReviewView.as_view(), name="current"),
    path(
        "review/batches/<int:batch_pk>/assignments/", views.AssignmentPlanView.as_view(), name="assignments"
    ),
    path("review/assignments/<int:pk>/replace/", views.ExpertReplaceView.as_view(), name="replace_expert"),
    path("review/assignments/<int:pk>/reopen/", views.ScoresReopenView.as_view(), name="reopen_scores"),
    path("review/batches/<int:batch_pk>/results/", views.ResultsView.as_view(), name="results"),
    path(
        "review/batches/<int:batch_pk>/results.xlsx", views.ResultsExportView.as_view(), name="results_export"
    ),
    path(
        "review/batches/<int:batch_pk>/proposed-list/<str:category>/",
        views.ProposedListMarkView.as_view(),
        name="mark_list",
    ),
    path(
        "review/batches/<int:batch_pk>/proposed-list/", views.ProposedListFixView.as_view(), name="fix_list"
    ),
    path("review/scores/<int:pk>/", views.ApplicationScoresView.as_view(), name="scores"),
]
