from django.urls import path

from shifan.reviews import views

app_name = "reviews"

urlpatterns = [
    path("review/", views.QueueView.as_view(), name="queue"),
    path("review/applications/<int:pk>/", views.ApplicationReviewView.as_view(), name="application"),
    path("applications/<int:pk>/receipt/", views.ReceiptView.as_view(), name="receipt"),
    path("review/applications/<int:pk>/<str:action>/", views.DecisionView.as_view(), name="decide"),
    path(
        "review/batches/<int:batch_pk>/city/",
        views.CityRecommendationsView.as_view(),
        name="city_recommendations",
    ),
    path(
        "review/batches/<int:batch_pk>/summary.xlsx", views.SummaryExportView.as_view(), name="summary_export"
    ),
    path("review/batches/<int:batch_pk>/letters/<str:city_code>/", views.LetterView.as_view(), name="letter"),
    path("review/batches/<int:batch_pk>/progress/", views.ProgressView.as_view(), name="progress"),
]
