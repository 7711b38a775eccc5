from django.conf import settings
from django.urls import include, path
from django.views.i18n import set_language

from shifan.core.health import healthz, readyz
from shifan.core.metrics import metrics
from shifan.core.views import (
    FailedWorkRetryView,
    FailedWorkView,
    NoticeListView,
    NoticeOpenView,
    bench_ceiling,
    bench_one_query,
)
from shifan.dashboard.views import HomeView

urlpatterns = [
    path("", HomeView.as_view(), name="home"),
    path("i18n/setlang/", set_language, name="set_language"),
    path("notices/", NoticeListView.as_view(), name="notices"),
    path("notices/<int:pk>/open/", NoticeOpenView.as_view(), name="notice_open"),
    path("system/failed-work/", FailedWorkView.as_view(), name="failed_work"),
    path("system/failed-work/<uuid:pk>/retry/", FailedWorkRetryView.as_view(), name="failed_work_retry"),
    path("", include("shifan.accounts.urls")),
    path("", include("shifan.programs.urls")),
    path("", include("shifan.applications.urls")),
    path("", include("shifan.reviews.urls")),
    path("", include("shifan.expert_review.urls")),
    path("", include("shifan.publicity.urls")),
    path("", include("shifan.tracking.urls")),
    path("", include("shifan.cases.urls")),
    path("", include("shifan.documents.urls")),
    path("", include("shifan.dashboard.urls")),
    path("api/v1/", include("shifan.api.urls")),
    path("", include("shifan.api.page_urls")),
    path("", include("shifan.similarity.urls")),
    path("captcha/", include("captcha.urls")),
    # Answered by core.health.HealthCheckMiddleware before the other middleware; named here.
    path("healthz", healthz, name="healthz"),
    path("readyz", readyz, name="readyz"),
    path("metrics", metrics, name="metrics"),
]

# A body over the upload limits is refused while Django reads it, before any view: a page in Chinese.
handler400 = "shifan.core.views.bad_request"

if settings.SHIFAN_BENCH_CEILING:
    # Only for bench/load.py: absent otherwise, so it has no row in the permission matrix.
    urlpatterns.append(path("bench/ceiling/", bench_ceiling, name="bench_ceiling"))
    urlpatterns.append(path("bench/one-query/", bench_one_query, name="bench_one_query"))
