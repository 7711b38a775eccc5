"""Small HTTP helpers shared by the views: downloads and the visitor's address."""

import hashlib
import ipaddress
import re
from collections.abc import Callable, Hashable
from typing import Any, TypeVar
from urllib.parse import quote

from django.conf import settings
from django.core.cache import cache
from django.db.models.fields.files import FieldFile
from django.http import FileResponse, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.utils.cache import patch_cache_control
from django.utils.translation import get_language

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


# Characters Windows or macOS refuse in a file name.
UNSAFE_IN_FILENAME = re.compile(r'[\\/:*?"<>|\x00-\x1f]')


def safe_filename(name: str) -> str:
    """Return a file name any desktop will save: characters Windows or macOS refuse become "_"."""
    return UNSAFE_IN_FILENAME.sub("_", name)


def attachment_disposition(filename: str, fallback: str = "download") -> str:
    """Return a Content-Disposition with the Chinese name (RFC 5987) and an ASCII one for old clients."""
    extension = filename.rpartition(".")[2] if "." in filename else ""
    ascii_name = fallback if "." in fallback or not extension else f"{fallback}.{extension}"
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename)}"


def xlsx_response(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=XLSX)
    response["Content-Disposition"] = attachment_disposition(filename)
    return response


def stored_file_response(
    stored: FieldFile, *, filename: str, content_type: str | None = None, inline: bool = False
) -> FileResponse:
    """Serve an uploaded file under its original name, shown in the browser or downloaded.

    Without `content_type` the type follows the name's extension. Browsers never sniff another
    type from the content: every response says nosniff (`SECURE_CONTENT_TYPE_NOSNIFF`).
    """
    return FileResponse(
        stored.open("rb"), as_attachment=not inline, filename=filename, content_type=content_type
    )


def over_rate_limit(request: HttpRequest, scope: str, limit: int, seconds: int) -> bool:
    """Count one request of the visitor in `scope`; return whether it is over `limit` per `seconds`.

    The counter lives in the cache (shared across processes with Redis) and starts with the
    visitor's first request of the window.
    """
    key = f"{scope}:{client_address(request)}"
    cache.add(key, 0, timeout=seconds)
    try:
        return int(cache.incr(key)) > limit
    except ValueError:  # the counter expired between add and incr
        cache.add(key, 1, timeout=seconds)
        return False


def client_address(request: HttpRequest) -> str:
    """Return the visitor's address, as the rate limits count it.

    With `SHIFAN_CLIENT_IP_HEADER` set, the address the front proxy wrote into that header (the
    last one, if the header lists several: the proxy appends the address it saw); otherwise the
    connection's own address.
    """
    header = settings.CLIENT_IP_HEADER
    if header:
        forwarded = str(request.META.get(header, "")).split(",")[-1].strip()
        try:
            return str(ipaddress.ip_address(forwarded))
        except ValueError:
            pass  # missing or not an address: the proxy is not setting it
    return str(request.META.get("REMOTE_ADDR", ""))


# Public pages (notices, typical cases): browsers and proxies may keep them a minute.
PUBLIC_MAX_AGE = 60
AnyResponse = TypeVar("AnyResponse", bound=HttpResponseBase)


def public_page(response: AnyResponse) -> AnyResponse:
    """Mark a page anyone may see as cacheable by browsers and proxies for `PUBLIC_MAX_AGE`.

    Every answer without this mark is `private, no-store` (`core.middleware`), and so is this one
    when it goes to a logged-in visitor or sets a cookie.
    """
    patch_cache_control(response, public=True, max_age=PUBLIC_MAX_AGE)
    return response


def public_copy(name: str, version: Hashable, render: Callable[[], HttpResponse]) -> HttpResponse:
    """Serve a public page from the copy rendered for `version` and the language, or render it.

    `version` sums up, in one query, everything the page shows: a change of any of it gives a new
    version and so a new copy, in every process at its next request; the old copy is forgotten
    after `PUBLIC_MAX_AGE`. The page must not depend on who asks (public pages show no user and
    no form token). Marked as a public page, as `public_page` does.
    """
    digest = hashlib.blake2b(repr(version).encode(), digest_size=16).hexdigest()
    key = f"public_copy:{name}:{get_language()}:{digest}"
    content = cache.get(key)
    if content is None:
        content = render().content
        cache.set(key, content, PUBLIC_MAX_AGE)
    return public_page(HttpResponse(content))


def refused(response: HttpResponse) -> HttpResponse:
    """Mark a page re-rendered with a form's errors as a refused request."""
    response.status_code = 400
    return response


def show_refusal(form: Any, error: Any) -> None:
    """Put a service's refusal beside the fields it names (`errors`, or `field`), or above the form."""
    errors = getattr(error, "errors", None)
    if isinstance(errors, dict):
        for name, message in errors.items():
            form.add_error(name if name in form.fields else None, message)
        return
    form.add_error(error.field if error.field in form.fields else None, error.message)


def posted_text(request: HttpRequest, name: str) -> str:
    """Return a posted text field read without a form, with NUL characters taken out.

    Django's form fields refuse NUL; a value read straight from `request.POST` would reach the
    database with it, which PostgreSQL refuses as an error (a 500 instead of a saved decision).
    """
    return request.POST.get(name, "").replace("\x00", "")
