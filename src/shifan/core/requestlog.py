"""Request ids, and the fields every log line carries (docs/operations.md, "Metrics and logs").

Every request has an id: the incoming `X-Request-ID` header when it is well formed (8 to 100
letters, digits, `.`, `_`, `:` or `-`, as a proxy's or a load balancer's id is), else a new one.
The answer sends it back in the same header. While the request runs it is in `request_id`, a
context variable: log lines written meanwhile carry it, and a task queued meanwhile keeps it and
carries it into the worker's log lines (`core.taskqueue`).

With `SHIFAN_LOG_FORMAT=json` every log line is one JSON object (`JsonFormatter`): time (UTC),
level, logger, message, request_id, user_id (the account's number, never its e-mail), path, and
on the one line each request ends with (logger `shifan.request`) its status and duration in
milliseconds. The plain format is unchanged and writes no per-request line.
"""

import logging
import re
import time
import uuid
from collections.abc import Callable
from contextvars import ContextVar
from typing import Any

from django.http import HttpRequest
from django.http.response import HttpResponseBase
from django.utils.functional import empty
from pythonjsonlogger.core import RESERVED_ATTRS
from pythonjsonlogger.json import JsonFormatter as BaseJsonFormatter

HEADER = "X-Request-ID"
WELL_FORMED = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{7,99}")

request_id: ContextVar[str | None] = ContextVar("shifan_request_id", default=None)
current_request: ContextVar[HttpRequest | None] = ContextVar("shifan_request", default=None)

access_logger = logging.getLogger("shifan.request")


def incoming_or_new(value: str) -> str:
    """Return the incoming id if it is well formed, else a new one."""
    return value if WELL_FORMED.fullmatch(value) else uuid.uuid4().hex


class RequestIdMiddleware:
    """Give the request its id, answer with it, and log the request's end (when INFO is on)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        started = time.perf_counter()
        value = incoming_or_new(request.META.get("HTTP_X_REQUEST_ID", ""))
        id_token = request_id.set(value)
        request_token = current_request.set(request)
        try:
            response = self.get_response(request)
            response.headers[HEADER] = value
            if access_logger.isEnabledFor(logging.INFO):
                access_logger.info(
                    "%s %s %s",
                    request.method,
                    request.path,
                    response.status_code,
                    extra={
                        "status": response.status_code,
                        "duration_ms": round((time.perf_counter() - started) * 1000, 1),
                    },
                )
            return response
        finally:
            current_request.reset(request_token)
            request_id.reset(id_token)


def user_id_of(request: HttpRequest | None) -> int | None:
    """Return the logged-in account's number if the request has already read its user.

    A log line never reads the session itself: a line written before authentication (or on a page
    that never asks who is there) has no user.
    """
    if request is None:
        return None
    user = request.__dict__.get("user")
    if user is None or getattr(user, "_wrapped", None) is empty:
        return None
    if not getattr(user, "is_authenticated", False):
        return None
    return getattr(user, "pk", None)


class RequestContextFilter(logging.Filter):
    """Add request_id, user_id and path to every record (None outside a request)."""

    def filter(self, record: logging.LogRecord) -> bool:
        request = current_request.get()
        record.request_id = request_id.get()
        record.user_id = user_id_of(request)
        record.path = request.path if request is not None else None
        if not hasattr(record, "status"):
            # django.request's warnings about 4xx and 5xx answers say status_code.
            record.status = getattr(record, "status_code", None)
        return True


FIELDS = ["levelname", "name", "message", "request_id", "user_id", "path", "status", "duration_ms"]


class JsonFormatter(BaseJsonFormatter):
    """One JSON object a line, with the fields named in the module's docstring."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("fmt", FIELDS)
        kwargs.setdefault("rename_fields", {"levelname": "level", "name": "logger"})
        kwargs.setdefault("timestamp", "time")
        kwargs.setdefault("json_ensure_ascii", False)
        # Django attaches the request object and its status under other names: not fields.
        kwargs.setdefault("reserved_attrs", [*RESERVED_ATTRS, "request", "status_code", "server_time"])
        super().__init__(*args, **kwargs)
