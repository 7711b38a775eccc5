"""/api/v1/: the versioned API, its OpenAPI schema and its documentation page."""

from csp.constants import UNSAFE_INLINE
from csp.decorators import csp_update
from django.urls import path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from shifan.api import endpoints

app_name = "api"

urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    # Swagger UI's page (its files served from drf-spectacular-sidecar) styles some elements in
    # its own <style> block: allowed on this page only; its script stays a separate file.
    path(
        "docs/",
        csp_update({"style-src": [UNSAFE_INLINE]})(
            SpectacularSwaggerSplitView.as_view(url_name="api:schema")
        ),
        name="docs",
    ),
    path("batches/", endpoints.BatchListView.as_view(), name="batches"),
    path("batches/<int:pk>/", endpoints.BatchDetailView.as_view(), name="batch"),
    path(
        "batches/<int:pk>/national-recommendation/",
        endpoints.NationalRecommendationView.as_view(),
        name="national_recommendation",
    ),
    path("batches/<int:pk>/review-results/", endpoints.ReviewResultsView.as_view(), name="review_results"),
    path("applications/", endpoints.ApplicationListView.as_view(), name="applications"),
    path("applications/<int:pk>/", endpoints.ApplicationDetailView.as_view(), name="application"),
    path(
        "applications/<int:pk>/credit-checks/",
        endpoints.CreditCheckCreateView.as_view(),
        name="credit_checks",
    ),
    path("applications/<int:pk>/decisions/", endpoints.DecisionCreateView.as_view(), name="decisions"),
    path("announcements/", endpoints.AnnouncementListView.as_view(), name="announcements"),
    path("announcements/<int:pk>/", endpoints.AnnouncementDetailView.as_view(), name="announcement"),
    path("dashboard/", endpoints.DashboardView.as_view(), name="dashboard"),
    path("tracking/rounds/", endpoints.RoundListView.as_view(), name="rounds"),
    path("tracking/rounds/<int:pk>/reports/", endpoints.RoundReportListView.as_view(), name="round_reports"),
    path("notices/", endpoints.NoticeListView.as_view(), name="notices"),
    path("notices/<int:pk>/objections/", endpoints.ObjectionListView.as_view(), name="objections"),
    # Anything else under /api/v1/ (a negative id, a mistyped path): a problem, not the HTML 404 page.
    re_path(r"^", endpoints.no_such_endpoint),
]
