"""What stands between a password guesser and an account, without turning it against its owner.

django-axes counts failed logins per account *and* address together (`AXES_LOCKOUT_PARAMETERS`):
a stranger's failures from one address never lock the owner at another, and names made up at
one office lock no real account behind that office's address. Around that lock:

- after `SHIFAN_LOGIN_CAPTCHA_AFTER` recent failures on the account (from any address) or from
  the address (on any account), the login form asks for a CAPTCHA before it checks a password,
  so a machine is slowed while a person with the right password still gets in; the CAPTCHA's
  question in words (`core.captcha`, for whoever cannot see the image) is asked after the same
  failures and checked the same way, and a wrong answer to either is no failed login;
- each address may send `SHIFAN_LOGIN_POSTS_PER_ADDRESS` login forms per
  `SHIFAN_LOGIN_POSTS_WINDOW` seconds (counted in the cache, `core.http.over_rate_limit`);
- at an address the account logged in from before (axes' `AccessLog`, within
  `SHIFAN_LOGIN_KNOWN_ADDRESS_DAYS`) the lock never applies: the owner still logs in from where
  they usually do, with the CAPTCHA.

"Recent" is axes' cool-off time: the failures axes still holds in `AccessAttempt`. Every failure
is also kept in axes' `AccessFailureLog`, which the account's owner reads on the failed-logins page.
"""

import sys
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from axes.models import AccessAttempt, AccessLog
from django.conf import settings
from django.db.models import Q, Sum
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from shifan.accounts import selectors
from shifan.accounts.models import User
from shifan.core.http import client_address, over_rate_limit

# The session key of the notice of failed logins, shown once on the home page.
NOTICE_SESSION_KEY = "shifan.failed_login_notice"
# A lock that never comes: at a known address only the CAPTCHA and the rate limit apply.
NEVER = sys.maxsize


def normalised_username(value: object) -> str:
    """Return a typed login name as accounts store it: e-mail addresses are kept in lower case."""
    return str(value or "").strip().lower()


def username_of(request: HttpRequest | None, credentials: dict[str, Any] | None) -> str:
    """Return the account a login attempt names (axes' `AXES_USERNAME_CALLABLE`).

    Normalised, so "Officer@Example.com " and "officer@example.com" count as one account.
    """
    if credentials and settings.AXES_USERNAME_FORM_FIELD in credentials:
        return normalised_username(credentials[settings.AXES_USERNAME_FORM_FIELD])
    if request is not None:
        return normalised_username(request.POST.get(settings.AXES_USERNAME_FORM_FIELD))
    return ""


def client_ip(request: HttpRequest) -> str | None:
    """Return the address axes records (`AXES_CLIENT_IP_CALLABLE`): the one the rate limits count."""
    return client_address(request) or None


def cooloff() -> timedelta:
    cooloff_time = settings.AXES_COOLOFF_TIME
    assert isinstance(cooloff_time, timedelta)
    return cooloff_time


def is_known_address(username: str, address: str | None) -> bool:
    """Return whether the account logged in successfully from this address lately."""
    if not username or not address:
        return False
    since = timezone.now() - timedelta(days=settings.SHIFAN_LOGIN_KNOWN_ADDRESS_DAYS)
    return AccessLog.objects.filter(username=username, ip_address=address, attempt_time__gte=since).exists()


def failure_limit(request: HttpRequest, credentials: dict[str, Any] | None) -> int:
    """Return how many failures lock this account at this address (axes' `AXES_FAILURE_LIMIT`)."""
    if is_known_address(username_of(request, credentials), client_ip(request)):
        return NEVER
    return int(settings.SHIFAN_LOGIN_FAILURE_LIMIT)


def lockout_response(
    request: HttpRequest, original_response: HttpResponse | None, credentials: dict[str, Any] | None
) -> HttpResponse:
    """Answer a locked login with the reason, what still works, and when to try again."""
    response = render(
        request,
        "accounts/locked.html",
        {"failure_limit": settings.SHIFAN_LOGIN_FAILURE_LIMIT},
        status=429,  # Too Many Requests: the answer says when to come back
    )
    response["Retry-After"] = str(int(cooloff().total_seconds()))
    return response


@dataclass(frozen=True)
class RecentFailures:
    """Failures axes still holds (within the cool-off time) for an account and for an address."""

    account: int
    address: int

    @property
    def need_captcha(self) -> bool:
        limit = settings.SHIFAN_LOGIN_CAPTCHA_AFTER
        return self.account >= limit or self.address >= limit


def recent_failures(*, username: str, address: str | None) -> RecentFailures:
    """Count the recent failures on the account (from any address) and from the address (any account)."""
    on_account = Q(username=username) if username else Q(pk__in=[])
    from_address = Q(ip_address=address) if address else Q(pk__in=[])
    totals = AccessAttempt.objects.filter(
        on_account | from_address, attempt_time__gte=timezone.now() - cooloff()
    ).aggregate(
        account=Sum("failures_since_start", filter=on_account, default=0),
        address=Sum("failures_since_start", filter=from_address, default=0),
    )
    return RecentFailures(account=totals["account"], address=totals["address"])


def captcha_required(request: HttpRequest, username: object = "") -> bool:
    """Return whether a login from this visitor, for this account if named, must answer a CAPTCHA."""
    if not settings.AXES_ENABLED:
        return False
    failures = recent_failures(username=normalised_username(username), address=client_ip(request))
    return failures.need_captcha


def over_login_rate(request: HttpRequest) -> bool:
    """Count one login form sent from the visitor's address; return whether it is over the limit."""
    return over_rate_limit(
        request,
        "accounts.login",
        settings.SHIFAN_LOGIN_POSTS_PER_ADDRESS,
        settings.SHIFAN_LOGIN_POSTS_WINDOW,
    )


def remember_failures_since_last_login(
    request: HttpRequest, user: User, *, last_login: datetime | None
) -> None:
    """Keep in the session, for the home page, the failed logins since the user's previous login.

    Only officers and experts are told: their accounts are the ones worth attacking, and
    their failed-logins page is where the details are.
    """
    if not user.requires_two_factor:
        return
    summary = selectors.failed_logins_since(user, last_login or user.date_joined)
    if summary is not None:
        request.session[NOTICE_SESSION_KEY] = {
            "count": summary.count,
            "last_at": summary.last_at.isoformat(),
            "last_address": summary.last_address,
        }


def take_failed_login_notice(request: HttpRequest) -> selectors.FailedLogins | None:
    """Return the failed logins kept at login, once: showing the notice removes it."""
    kept = request.session.pop(NOTICE_SESSION_KEY, None)
    if not kept:
        return None
    last_at = parse_datetime(kept["last_at"])
    assert last_at is not None
    return selectors.FailedLogins(count=kept["count"], last_at=last_at, last_address=kept["last_address"])
