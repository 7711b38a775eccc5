"""Answers are private unless a page says it is public.

Nearly every page shows what one person may see: an application, an officer's queue, an
attachment, a book, an export. A browser's disk cache or a proxy in between must keep none of
them, so every answer carries `Cache-Control: private, no-store`, except a page marked public by
`core.http.public_page` (the public notices, the announcement, the case library, the empty
verification form) asked for by a visitor who is not logged in and answered without a cookie.

The session is read on every request (the two-factor check asks who is logged in), so every
answer says `Vary: Cookie` and that header cannot tell a private answer from a public one: only
the explicit mark can. A logged-in visitor's copy of a public page is private too, so that a proxy
never keeps an answer that went to someone with a session.
"""

from collections.abc import Callable

from django.http import HttpRequest
from django.http.response import HttpResponseBase
from django.utils.cache import cc_delim_re

PRIVATE = "private, no-store"


def cache_directives(response: HttpResponseBase) -> set[str]:
    """Return the names of the response's Cache-Control directives (`max-age=60` gives `max-age`)."""
    header = response.headers.get("Cache-Control", "")
    return {part.split("=", 1)[0].strip().lower() for part in cc_delim_re.split(header) if part.strip()}


def cacheable_by_anyone(request: HttpRequest, response: HttpResponseBase) -> bool:
    """Return whether a shared cache may keep this answer for every visitor."""
    user = getattr(request, "user", None)
    return (
        "public" in cache_directives(response)
        and not (user is not None and user.is_authenticated)
        and not response.cookies
    )


class PrivateUnlessPublicMiddleware:
    """Mark every answer `private, no-store` unless `cacheable_by_anyone` allows it to be kept."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        response = self.get_response(request)
        if cacheable_by_anyone(request, response):
            return response
        # never_cache's fuller header (no-cache, must-revalidate, max-age=0, private, no-store) stays.
        if not {"private", "no-store"} <= cache_directives(response):
            response.headers["Cache-Control"] = PRIVATE
        return response
