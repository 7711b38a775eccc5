"""Officers and experts reach nothing but the two-factor pages until they have passed them."""

from collections.abc import Callable
from typing import Any

from django.apps import apps
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import urlencode
from django_otp.middleware import OTPMiddleware
from django_otp.models import Device

ALLOWED_URL_NAMES = {
    "accounts:two_factor_setup",
    "accounts:two_factor_verify",
    "accounts:logout",
    "set_language",
}


# Set to the user's number when the identity service asserted a second factor (amr/acr) at login.
SSO_SECOND_FACTOR_SESSION_KEY = "sso_second_factor"


def demo_skip_two_factor(user: object) -> bool:
    """Return whether this user may skip the second factor: demo accounts, with the demo setting on."""
    return bool(settings.SHIFAN_DEMO and getattr(user, "is_demo", False))


def two_factor_pending(user: Any) -> bool:
    """Return whether this user must still pass the second factor before using the site."""
    return bool(
        user.is_authenticated
        and getattr(user, "requires_two_factor", False)
        and not user.is_verified()
        and not demo_skip_two_factor(user)
    )


class SecondFactorMiddleware(OTPMiddleware):
    """django-otp's middleware (the second factor a session has passed), reading the device with one
    plain statement: every officer's and expert's request reads it, and a compiled queryset costs
    some half a millisecond here. django-otp still checks that the device is the user's and
    confirmed (`_finalize_device`)."""

    def _verify_user_sync(self, request: HttpRequest, user: Any) -> Any:
        user = super()._verify_user_sync(request, user)
        if (
            user.is_authenticated
            and user.otp_device is None
            and request.session.get(SSO_SECOND_FACTOR_SESSION_KEY) == user.pk
        ):
            # The second factor was passed at the identity service (shifan.accounts.sso_views.log_in).
            user.is_verified = lambda: True
        return user

    def _device_from_persistent_id(self, persistent_id: str) -> Device | None:
        label, _, device_id = self._normalize_persistent_id(persistent_id).rpartition("/")
        try:
            model = apps.get_model(label)
            pk = int(device_id)
        except (ValueError, LookupError):
            return None
        if not issubclass(model, Device):
            return None
        table = model._meta.db_table
        found = list(model.objects.raw(f"SELECT * FROM {table} WHERE id = %s", [pk]))  # noqa: S608
        return found[0] if found else None


class TwoFactorRequiredMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if two_factor_pending(user) and not request.path.startswith(settings.STATIC_URL):
            match = request.resolver_match or _resolve(request.path_info)
            if match is None or match.view_name not in ALLOWED_URL_NAMES:
                from django_otp import devices_for_user

                has_device = any(True for _ in devices_for_user(user, confirmed=True))
                target = "accounts:two_factor_verify" if has_device else "accounts:two_factor_setup"
                return redirect(f"{reverse(target)}?{urlencode({'next': request.get_full_path()})}")
        return self.get_response(request)


def _resolve(path: str):  # type: ignore[no-untyped-def]
    from django.urls import Resolver404, resolve

    try:
        return resolve(path)
    except Resolver404:
        return None


EMAIL_UNVERIFIED_URL_NAMES = {
    "accounts:email_unverified",
    "accounts:email_verify",
    "accounts:logout",
    "set_language",
}


class EmailVerificationRequiredMiddleware:
    """An account whose address is not yet verified reaches only the page that says so.

    Registration does not log anyone in; this holds the administrator who logs in before opening
    the mailed link, so that an address nobody has proven can do nothing here.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if (
            user.is_authenticated
            and not getattr(user, "email_verified", True)
            and not request.path.startswith(settings.STATIC_URL)
        ):
            match = request.resolver_match or _resolve(request.path_info)
            if match is None or match.view_name not in EMAIL_UNVERIFIED_URL_NAMES:
                return redirect("accounts:email_unverified")
        return self.get_response(request)
