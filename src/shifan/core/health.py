"""/healthz and /readyz: what a load balancer and the monitoring ask (docs/operations.md).

`/healthz` says the process answers, and touches nothing else: no database, no cache, no file.
`/readyz` checks what a request needs: the database answers `SELECT 1`, the cache stores and
returns a value, the upload storage takes a file, and the task queue moves (the worker finished
or started a task lately whenever one is waiting, and no task has waited longer than
`SHIFAN_READY_QUEUE_MINUTES`). Its JSON body lists each check with `ok` and a detail that names
no host, path, version or error text (those go to the log); 200 when every check passes, 503
otherwise.

Both are answered by `HealthCheckMiddleware`, first in the chain: before the HTTPS redirect (a
probe on the application's plain-HTTP port gets its answer, not a redirect), before the host
check (probes use the server's address as the host), with no session, no login and no cookie.
Their URL patterns (`shifan/urls.py`) route to the same views, so that they have names.
"""

import logging
import os
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.core.files.base import ContentFile
from django.core.files.storage import FileSystemStorage, storages
from django.db import connection
from django.db.models import Q
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone

from shifan.core.metrics import metrics

logger = logging.getLogger(__name__)

NO_STORE = "private, no-store"


def _headers(response: HttpResponse) -> HttpResponse:
    response.headers["Cache-Control"] = NO_STORE
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


def _method_allowed(request: HttpRequest) -> HttpResponse | None:
    if request.method in {"GET", "HEAD"}:
        return None
    response = HttpResponse(status=405)
    response.headers["Allow"] = "GET, HEAD"
    return _headers(response)


def healthz(request: HttpRequest) -> HttpResponse:
    """The process is alive: 200 "ok", reading nothing."""
    return _method_allowed(request) or _headers(HttpResponse(b"ok", content_type="text/plain; charset=utf-8"))


# --- the checks of /readyz: each returns (ok, detail) ---------------------------------------------


def check_database() -> tuple[bool, str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        row = cursor.fetchone()
    return (row is not None and row[0] == 1), "SELECT 1"


def check_cache() -> tuple[bool, str]:
    key = f"readyz:{uuid.uuid4().hex}"
    token = uuid.uuid4().hex
    cache.set(key, token, 30)
    try:
        return cache.get(key) == token, "写入并读回一个值"
    finally:
        cache.delete(key)


def check_storage() -> tuple[bool, str]:
    storage = storages["default"]
    if isinstance(storage, FileSystemStorage):
        location = storage.location
        os.makedirs(location, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=location, prefix=".readyz-") as probe:
            probe.write(b"ok")
            probe.flush()
        return True, "上传文件夹可写"
    name = storage.save(f".readyz/{uuid.uuid4().hex}", ContentFile(b"ok"))
    storage.delete(name)
    return True, "对象存储可写"


def _task_queue() -> tuple[Any, Any] | None:
    """Return the database queue's model and the moment a task became due, or None without that queue."""
    from django_tasks import task_backends

    try:
        from django_tasks_db.backend import DatabaseBackend
        from django_tasks_db.models import DBTaskResult
    except ImportError:  # pragma: no cover  # the project installs it
        return None
    if not isinstance(task_backends["default"], DatabaseBackend):
        return None
    from shifan.core.taskqueue import due_since

    return DBTaskResult, due_since()


def _minutes(seconds: float) -> str:
    return f"{seconds / 60:.1f} 分钟"


def check_tasks() -> dict[str, tuple[bool, str]]:
    """The worker's heartbeat and the queue's age, read from the tasks table.

    A waiting task is due (status READY, its run_after passed); the worker is alive if no task has
    waited longer than `SHIFAN_READY_WORKER_MINUTES`, or if some task started or finished within
    that time (a worker that is busy with a long task keeps finishing the others); the queue is
    healthy if its oldest waiting task has waited less than `SHIFAN_READY_QUEUE_MINUTES`.
    """
    queue = _task_queue()
    if queue is None:
        detail = "任务在请求中立即执行，没有队列"
        return {"worker": (True, detail), "queue": (True, detail)}
    model, due_since = queue
    now = timezone.now()
    oldest = (
        model.objects.ready()
        .annotate(since=due_since)
        .order_by("since")
        .values_list("since", flat=True)
        .first()
    )
    waited = max(0.0, (now - oldest).total_seconds()) if oldest is not None else 0.0
    worker_window = timedelta(minutes=settings.SHIFAN_READY_WORKER_MINUTES)
    queue_limit = timedelta(minutes=settings.SHIFAN_READY_QUEUE_MINUTES)
    window, limit = _minutes(worker_window.total_seconds()), _minutes(queue_limit.total_seconds())
    waiting = model.objects.ready().count() if oldest is not None else 0
    queue_check = (
        waited <= queue_limit.total_seconds(),
        f"等待中的任务 {waiting} 个，最早的已等待 {_minutes(waited)}（上限 {limit}）",
    )
    if waited <= worker_window.total_seconds():
        worker_check = (True, f"没有等待超过 {window} 的任务")
    else:
        cutoff = now - worker_window
        active = model.objects.filter(Q(finished_at__gte=cutoff) | Q(started_at__gte=cutoff)).exists()
        worker_check = (
            (True, f"最近 {window} 内有任务开始或完成")
            if active
            else (
                False,
                f"有任务等待 {_minutes(waited)}，最近 {window} 内没有任务开始或完成："
                "后台任务进程（run_worker）可能没有运行",
            )
        )
    return {"worker": worker_check, "queue": queue_check}


def _run(name: str, check: Callable[[], Any]) -> tuple[Any, float]:
    started = time.perf_counter()
    try:
        result = check()
    except Exception as error:  # any failure is a failed check, logged here and named in the body
        logger.warning("readyz: the %s check failed", name, exc_info=True)
        result = (False, f"检查失败（{type(error).__name__}），详见服务器日志")
    return result, (time.perf_counter() - started) * 1000


def readyz(request: HttpRequest) -> HttpResponse:
    """Every dependency answers: 200 with the checks, or 503 naming the failed ones."""
    refused = _method_allowed(request)
    if refused:
        return refused
    checks: dict[str, dict[str, Any]] = {}
    for name, check in [("database", check_database), ("cache", check_cache), ("storage", check_storage)]:
        (ok, detail), elapsed = _run(name, check)
        checks[name] = {"ok": bool(ok), "detail": detail, "ms": round(elapsed, 1)}
    tasks, elapsed = _run("tasks", check_tasks)
    if isinstance(tasks, dict):
        for name, (ok, detail) in tasks.items():
            checks[name] = {"ok": bool(ok), "detail": detail, "ms": round(elapsed, 1)}
    else:
        for name in ("worker", "queue"):
            checks[name] = {"ok": False, "detail": tasks[1], "ms": round(elapsed, 1)}
    ready = all(check["ok"] for check in checks.values())
    body = {"status": "ok" if ready else "fail", "checks": checks}
    response = JsonResponse(body, status=200 if ready else 503, json_dumps_params={"ensure_ascii": False})
    return _headers(response)


# /metrics (core.metrics) is answered here too, for the same reasons: Prometheus asks the
# application's port over plain HTTP, by address, without a session.
HEALTH_VIEWS: dict[str, Callable[[HttpRequest], HttpResponse]] = {
    "/healthz": healthz,
    "/readyz": readyz,
    "/metrics": metrics,
}


class HealthCheckMiddleware:
    """Answer /healthz, /readyz and /metrics before any other middleware (see the module's docstring)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        view = HEALTH_VIEWS.get(request.path_info)
        if view is not None:
            return view(request)
        return self.get_response(request)
