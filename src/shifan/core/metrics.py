"""Prometheus metrics at /metrics (docs/operations.md, "Metrics and logs").

Two kinds of figures:

- Per request, counted by `RequestMetricsMiddleware` in the process that served it:
  `shifan_http_requests_total{view,method,status}` and the histogram
  `shifan_http_request_duration_seconds{view,method}`. `view` is the URL pattern's name
  (`publicity:notice`), never the path, so ids in paths add no series; a request answered before
  its URL was resolved (a redirect to HTTPS) or matching no pattern counts as `<unresolved>`.
- Read from the database when Prometheus asks, with three queries whatever the tables hold
  (`database_figures`): the task queue (tasks due and waiting, the oldest one's wait), failed tasks
  not yet retried by task and the failed mails among them, and notices whose first day has come
  but that are not open.

Several gunicorn workers: with PROMETHEUS_MULTIPROC_DIR set (gunicorn.conf.py sets it when the
metrics are on), each process writes its counts to files in that folder and a scrape, answered by
any one process, adds them up (prometheus_client's multiprocess mode). Without it each process
counts alone and a scrape sees only the one that answered: the demo's single process.

/metrics is answered only when SHIFAN_METRICS_TOKEN or SHIFAN_METRICS_ALLOWED_ADDRESSES is set,
and 404 otherwise; each one set must hold (`Authorization: Bearer <token>`; the connection's
address in one of the networks). Like /readyz it is answered by `core.health.HealthCheckMiddleware`,
before the HTTPS redirect and the host check, so Prometheus can ask the application's port.
"""

import hmac
import ipaddress
import logging
import os
import time
from collections.abc import Callable, Iterator
from datetime import datetime
from datetime import time as day_time
from typing import Any

from django.conf import settings
from django.db.models import Count, Min
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.utils import timezone
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector

logger = logging.getLogger(__name__)

UNRESOLVED = "<unresolved>"
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
# Pages take 5–100 ms; exports and books up to seconds.
BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)

REQUESTS = Counter(
    "shifan_http_requests", "Requests answered, by URL name, method and status.", ["view", "method", "status"]
)
DURATION = Histogram(
    "shifan_http_request_duration_seconds",
    "Time to answer a request, by URL name and method.",
    ["view", "method"],
    buckets=BUCKETS,
)


class RequestMetricsMiddleware:
    """Count each request by URL name, method and status, and time it (see the module's docstring)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response
        # prometheus_client's labels() validates and locks at each call (some microseconds); the
        # children it returns live as long as the process, so each is looked up once.
        self._counts: dict[tuple[str, str, int], Any] = {}
        self._durations: dict[tuple[str, str], Any] = {}

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        started = time.perf_counter()
        response = self.get_response(request)
        elapsed = time.perf_counter() - started
        match = getattr(request, "resolver_match", None)
        view = match.view_name if match is not None else UNRESOLVED
        method = request.method if request.method in METHODS else "other"
        key = (view, method, response.status_code)
        count = self._counts.get(key)
        if count is None:
            count = self._counts[key] = REQUESTS.labels(view, method, str(response.status_code))
        count.inc()
        duration = self._durations.get(key[:2])
        if duration is None:
            duration = self._durations[key[:2]] = DURATION.labels(view, method)
        duration.observe(elapsed)
        return response


# --- the figures read from the database at each scrape ---------------------------------------------


def database_figures(now: datetime | None = None) -> dict[str, Any]:
    """Return the queue's, the failures' and the notices' figures, in three queries."""
    from django_tasks_db.models import DBTaskResult

    from shifan.core.taskqueue import MAIL_TASK, due_since
    from shifan.publicity.models import Notice, NoticePhase

    now = now or timezone.now()
    queue = DBTaskResult.objects.ready().aggregate(waiting=Count("pk"), oldest=Min(due_since()))
    failed = dict(
        DBTaskResult.objects.failed()
        .filter(shifan_retry__isnull=True)
        .values_list("task_path")
        .annotate(count=Count("pk"))
        .order_by()
    )
    today = timezone.localdate(now)
    late = Notice.objects.filter(state=NoticePhase.SCHEDULED, starts_on__lte=today).aggregate(
        count=Count("pk"), first=Min("starts_on")
    )
    first_opening = (
        datetime.combine(late["first"], day_time(0), tzinfo=timezone.get_current_timezone())
        if late["first"] is not None
        else None
    )
    return {
        "tasks_waiting": queue["waiting"],
        "tasks_oldest_waiting_seconds": max(0.0, (now - queue["oldest"]).total_seconds())
        if queue["oldest"] is not None
        else 0.0,
        "tasks_failed": failed,
        "mail_failed": failed.get(MAIL_TASK, 0),
        "notices_opening_late": late["count"],
        "notices_opening_late_seconds": max(0.0, (now - first_opening).total_seconds())
        if first_opening is not None
        else 0.0,
    }


class DatabaseCollector:
    """The figures of `database_figures` as gauges, read when Prometheus asks."""

    def collect(self) -> Iterator[Metric]:
        try:
            figures = database_figures()
        except Exception:  # the request counts are still worth answering with
            logger.warning("metrics: the database figures could not be read", exc_info=True)
            yield GaugeMetricFamily(
                "shifan_metrics_database_ok", "Whether the database figures were read.", 0
            )
            return
        yield GaugeMetricFamily("shifan_metrics_database_ok", "Whether the database figures were read.", 1)
        yield GaugeMetricFamily(
            "shifan_tasks_waiting", "Background tasks due and not started.", figures["tasks_waiting"]
        )
        yield GaugeMetricFamily(
            "shifan_tasks_oldest_waiting_seconds",
            "How long the oldest due task has waited (0 when none waits).",
            figures["tasks_oldest_waiting_seconds"],
        )
        failed = GaugeMetricFamily(
            "shifan_tasks_failed", "Failed background tasks not retried, by task.", labels=["task"]
        )
        for path, count in sorted(figures["tasks_failed"].items()):
            failed.add_metric([path], count)
        yield failed
        yield GaugeMetricFamily(
            "shifan_mail_failed",
            "Mails whose sending failed and that were not sent again.",
            figures["mail_failed"],
        )
        yield GaugeMetricFamily(
            "shifan_notices_opening_late",
            "Public notices whose first day has come but that are not open.",
            figures["notices_opening_late"],
        )
        yield GaugeMetricFamily(
            "shifan_notices_opening_late_seconds",
            "Time since the opening of the earliest notice that should be open and is not (0 when none).",
            figures["notices_opening_late_seconds"],
        )


class _ThisProcess:
    """The counts of this process (prometheus_client's default registry) as one collector."""

    def collect(self) -> Iterator[Metric]:
        yield from REGISTRY.collect()


def scrape() -> bytes:
    """Return the text Prometheus reads: every process's counts (or this one's) and the gauges."""
    registry = CollectorRegistry(auto_describe=False)
    folder = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if folder:
        MultiProcessCollector(registry, path=folder)
    else:
        registry.register(_ThisProcess())  # type: ignore[arg-type]
    registry.register(DatabaseCollector())  # type: ignore[arg-type]
    return generate_latest(registry)


# --- who may read them ----------------------------------------------------------------------------


def parse_networks(values: list[str]) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    """Return the networks of SHIFAN_METRICS_ALLOWED_ADDRESSES (an address alone is its own network)."""
    return [ipaddress.ip_network(value, strict=False) for value in values]


def _address_allowed(request: HttpRequest, networks: list[Any]) -> bool:
    try:
        address = ipaddress.ip_address(request.META.get("REMOTE_ADDR", ""))
    except ValueError:
        return False
    return any(address in network for network in networks)


def metrics(request: HttpRequest) -> HttpResponse:
    """Answer Prometheus: 404 unless configured, 403 from another address, 401 without the token."""
    response = _answer(request)
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


def _answer(request: HttpRequest) -> HttpResponse:
    token: str = settings.SHIFAN_METRICS_TOKEN
    networks = parse_networks(settings.SHIFAN_METRICS_ALLOWED_ADDRESSES)
    if not token and not networks:
        # A bare 404: answered before the session and the layout, and telling nothing.
        return HttpResponse(status=404)
    if request.method not in {"GET", "HEAD"}:
        response = HttpResponse(status=405)
        response.headers["Allow"] = "GET, HEAD"
        return response
    if networks and not _address_allowed(request, networks):
        return HttpResponse(status=403)
    if token:
        sent = request.META.get("HTTP_AUTHORIZATION", "")
        if not hmac.compare_digest(sent.encode(), f"Bearer {token}".encode()):
            response = HttpResponse(status=401)
            response.headers["WWW-Authenticate"] = 'Bearer realm="metrics"'
            return response
    return HttpResponse(scrape(), content_type=CONTENT_TYPE_LATEST)
