"""Two-factor login: a TOTP authenticator app, with one-time recovery codes as the fallback.

An unconfirmed TOTP device is created on first visit of the setup page; entering a valid code
confirms it and issues ten recovery codes (a django-otp static device), shown once.
"""

import base64
import secrets

import segno
from django.db import transaction
from django_otp import devices_for_user
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from shifan.accounts.models import User
from shifan.core.services import record_event

RECOVERY_CODE_COUNT = 10
RECOVERY_DEVICE_NAME = "恢复码"
TOTP_DEVICE_NAME = "身份验证器"


def has_confirmed_device(user: User) -> bool:
    return any(True for _ in devices_for_user(user, confirmed=True))


def pending_totp_device(user: User) -> TOTPDevice:
    """Return the user's unconfirmed TOTP device, creating one with a fresh secret if needed."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=TOTP_DEVICE_NAME, confirmed=False)
    return device


def secret_base32(device: TOTPDevice) -> str:
    """Return the secret as authenticator apps expect it typed by hand (groups of four)."""
    text = base64.b32encode(device.bin_key).decode().rstrip("=")
    return " ".join(text[i : i + 4] for i in range(0, len(text), 4))


def qr_svg(device: TOTPDevice) -> str:
    """Return the provisioning URI as an inline SVG QR code (no image request, no inline style)."""
    return segno.make(device.config_url, error="m").svg_inline(scale=4, dark="#0b2545", omitsize=False)


@transaction.atomic
def confirm_totp_device(*, actor: User, device: TOTPDevice, token: str) -> list[str] | None:
    """Confirm the device when the token is right; return the new recovery codes, else None."""
    token = token.replace(" ", "")
    if not device.verify_token(token):
        return None
    # One authenticator per person: confirming a new one retires the old ones.
    TOTPDevice.objects.filter(user=actor, confirmed=True).exclude(pk=device.pk).delete()
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    record_event(actor=actor, action="account.two_factor_enabled", target=actor)
    return issue_recovery_codes(actor=actor)


@transaction.atomic
def issue_recovery_codes(*, actor: User) -> list[str]:
    """Replace the user's recovery codes with ten new ones and return them (shown once)."""
    device, _created = StaticDevice.objects.get_or_create(user=actor, name=RECOVERY_DEVICE_NAME)
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    device.token_set.all().delete()
    codes = [f"{secrets.randbelow(10**8):08d}" for _ in range(RECOVERY_CODE_COUNT)]
    StaticToken.objects.bulk_create(StaticToken(device=device, token=code) for code in codes)
    record_event(actor=actor, action="account.recovery_codes_issued", target=actor)
    return codes


def remaining_recovery_codes(user: User) -> int:
    return StaticToken.objects.filter(device__user=user, device__confirmed=True).count()


def seconds_to_wait(device: TOTPDevice) -> int:
    """Return how long django-otp's throttling still refuses codes for this device (0 if not)."""
    allowed, details = device.verify_is_allowed()
    if allowed or not details or "locked_until" not in details:
        return 0
    from django.utils import timezone

    return max(1, int((details["locked_until"] - timezone.now()).total_seconds()) + 1)


def verify_token(user: User, token: str) -> object | None:
    """Return the device that accepts the token (authenticator code or recovery code), else None."""
    token = token.replace(" ", "").replace("-", "")
    # Six digits come from the authenticator, eight are a recovery code: try only the device
    # the code can belong to, so a recovery code never counts as a failed authenticator attempt.
    kind = TOTPDevice if len(token) == 6 else StaticDevice
    for device in devices_for_user(user, confirmed=True):
        if isinstance(device, kind) and device.verify_token(token):
            return device
    return None
