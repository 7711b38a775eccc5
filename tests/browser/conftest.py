"""Browser tests: Debian's Chromium driven by Playwright against pytest-django's live server.

Every page a test opens is watched: a console error (Content Security Policy violations show up
as console errors), an uncaught script error or a server error (5xx) fails the test at teardown.
Screenshots go to test-output/screenshots/<test name>/<NN>-<name>.png.
"""

from __future__ import annotations

import base64
import os
import re
import shutil
import time
import weakref
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

# Playwright's sync API runs an event loop in the test thread; Django would otherwise refuse
# database access from that thread as "async unsafe".
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENSHOT_ROOT = Path("test-output") / "screenshots"

PASSWORD = "Test-Passw0rd!"
GUANGZHOU = "440100"
VALID_CODE = "91440101MA5CJQ4N59"  # area 440101, Guangzhou
WRONG_CHECK_CODE = "91440101MA5CJQ4N58"  # same code, wrong 18th character


# Browser, pages, screenshots


@dataclass
class ShotBook:
    """Where a test's screenshots go, numbered in the order taken across all its pages."""

    directory: Path
    taken: int = 0


@dataclass
class PageWatch:
    """What a page reported that its test did not expect."""

    book: ShotBook
    errors: list[str] = field(default_factory=list)
    allowed: list[re.Pattern[str]] = field(default_factory=list)


_watches: weakref.WeakKeyDictionary[Any, PageWatch] = weakref.WeakKeyDictionary()


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is missing: install Debian's chromium package (make system-packages)")
    from playwright.sync_api import sync_playwright

    playwright = sync_playwright().start()
    browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
    yield browser
    browser.close()
    playwright.stop()


def _is_favicon_404(message: Any) -> bool:
    url = (message.location or {}).get("url", "")
    return url.endswith("/favicon.ico") and "404" in message.text


def _safe_name(name: str) -> str:
    return re.sub(r"[^\w.\-\[\]]+", "_", name)


def watch_page(page: Any, book: ShotBook) -> PageWatch:
    """Watch a page: a console error (CSP violations among them), an uncaught script error or a
    server error (5xx) is kept, and fails its test at teardown (`close_and_report`)."""
    watch = PageWatch(book=book)
    _watches[page] = watch

    def on_console(message: Any) -> None:
        if message.type == "error" and not _is_favicon_404(message):
            where = (message.location or {}).get("url", "")
            text = f"console error: {message.text} ({where})"
            if not any(pattern.search(text) for pattern in watch.allowed):
                watch.errors.append(text)

    def on_page_error(error: Any) -> None:
        watch.errors.append(f"page error: {error}")

    def on_response(response: Any) -> None:
        if response.status >= 500:
            watch.errors.append(f"server error {response.status}: {response.request.method} {response.url}")

    page.on("console", on_console)
    page.on("pageerror", on_page_error)
    page.on("response", on_response)
    return watch


def close_and_report(contexts: list[Any], watches: list[PageWatch]) -> None:
    """Close a test's browser contexts, then fail it with whatever its pages reported."""
    for context in contexts:
        context.close()
    problems = [error for watch in watches for error in watch.errors]
    if problems:
        pytest.fail("The browser reported errors:\n" + "\n".join(problems), pytrace=False)


@pytest.fixture
def new_page(browser: Any, request: pytest.FixtureRequest) -> Iterator[Callable[[], Any]]:
    """Return a factory of watched pages, each in its own browser context (its own cookies)."""
    book = ShotBook(SCREENSHOT_ROOT / _safe_name(request.node.name))
    shutil.rmtree(book.directory, ignore_errors=True)
    contexts: list[Any] = []
    watches: list[PageWatch] = []

    def make(**options: Any) -> Any:
        """A page in a new context; `options` (a phone's viewport, say) replace the desktop's."""
        defaults = {"viewport": {"width": 1280, "height": 900}, "locale": "zh-CN"}
        context = browser.new_context(**{**defaults, **options})
        contexts.append(context)
        page = context.new_page()
        watches.append(watch_page(page, book))
        return page

    yield make
    close_and_report(contexts, watches)


@pytest.fixture
def page(new_page: Callable[[], Any]) -> Any:
    return new_page()


def allow_console_error(page: Any, pattern: str) -> None:
    """Let this page log console errors matching the regular expression (for an expected error status).

    Chromium logs a document answered with 4xx as a console error; a test that expects such an
    answer (the lockout page is a 429) says so here, as narrowly as it can.
    """
    _watches[page].allowed.append(re.compile(pattern))


def shot(page: Any, name: str) -> Path:
    """Save a full-page screenshot as test-output/screenshots/<test name>/<NN>-<name>.png."""
    book = _watches[page].book
    book.taken += 1
    path = book.directory / f"{book.taken:02d}-{_safe_name(name)}.png"
    path.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(path), full_page=True)
    return path


# People and organisations, made through the project's own services


def make_officer(*, email: str, name: str, role: str, city_code: str = "") -> Any:
    from shifan.accounts.models import ExpertProfile, Role, User

    user = User.objects.create_user(email, PASSWORD, name=name, role=role, city_code=city_code)
    if role == Role.EXPERT:
        ExpertProfile.objects.create(user=user, employer="华南理工大学")
    return user


def make_organisation(
    *,
    admin_email: str = "admin@example.com",
    admin_name: str = "陈管理",
    name: str = "广州示范制造有限公司",
    credit_code: str = VALID_CODE,
    verified: bool = True,
) -> Any:
    """Register an organisation in Guangzhou with its administrator; return the membership.

    The mailed link is opened; unless `verified` is False, the organisation is verified too, as
    every organisation registered before verification existed.
    """
    from django.utils import timezone

    from shifan.accounts import services
    from shifan.accounts.models import Organisation, VerificationState
    from shifan.core import reference

    membership = services.register_organisation(
        name=name,
        credit_code=credit_code,
        nature="enterprise",
        city_code=GUANGZHOU,
        county_code=reference.counties(GUANGZHOU)[0].code,
        address="广州市天河区示例路1号",
        contact_name=admin_name,
        contact_phone="020-12345678",
        contact_email=admin_email,
        admin_name=admin_name,
        admin_email=admin_email,
        admin_phone="13800000000",
        admin_password=PASSWORD,
    )
    services.verify_email(token=services.email_verification_token(membership.user))
    if verified:
        Organisation.objects.filter(pk=membership.organisation_id).update(
            verification_state=VerificationState.VERIFIED, verified_at=timezone.now()
        )
        membership.organisation.refresh_from_db()
    membership.user.refresh_from_db()
    return membership


# Two-factor codes, computed as an authenticator app would


def key_from_secret(secret: str) -> bytes:
    """Decode the secret as the setup page shows it (base32 in groups of four)."""
    text = secret.replace(" ", "").strip().upper()
    return base64.b32decode(text + "=" * (-len(text) % 8))


def totp_code(key: bytes, *, drift: int = 0) -> str:
    from django_otp.oath import totp

    return f"{totp(key, drift=drift):06d}"


def fresh_totp_code(user: Any, key: bytes | None = None) -> str:
    """Return a code the device has not accepted yet.

    django-otp refuses a code of a time step it has already accepted (replay protection), so a
    second login within the same 30 seconds needs the code the app shows next; the device
    tolerates one step of clock difference, so that code is accepted now.
    """
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.get(user=user, confirmed=True)
    key = key if key is not None else device.bin_key
    now_step = int((time.time() - device.t0) // device.step)
    drift = max(0, device.last_t + 1 - now_step)
    assert drift <= device.tolerance, "the device's last accepted code is too far ahead"
    return totp_code(key, drift=drift)


# Page steps shared by the tests


def log_in(page: Any, base_url: str, email: str, password: str = PASSWORD) -> None:
    page.goto(f"{base_url}/login/")
    page.locator("#id_username").fill(email)
    page.locator("#id_password").fill(password)
    page.get_by_role("button", name="登录", exact=True).click()


def log_out(page: Any) -> None:
    from playwright.sync_api import expect

    page.locator("[data-testid=user-menu]").click()
    page.get_by_role("button", name="退出登录").click()
    expect(page.locator("#id_username")).to_be_visible()


def officer_with_device(*, email: str, name: str, role: str, city_code: str = "") -> Any:
    """An officer whose authenticator app is already set up (a confirmed TOTP device)."""
    from shifan.accounts import two_factor

    user = make_officer(email=email, name=name, role=role, city_code=city_code)
    device = two_factor.pending_totp_device(user)
    assert two_factor.confirm_totp_device(actor=user, device=device, token=totp_code(device.bin_key))
    return user


def log_in_officer(page: Any, base: str, user: Any, home: str) -> None:
    """Log in with the password and the authenticator's code, and wait for the home page."""
    from playwright.sync_api import expect

    log_in(page, base, user.email)
    expect(page).to_have_url(re.compile(r"/two-factor/verify/"))
    page.locator("#id_token").fill(fresh_totp_code(user))
    page.get_by_role("button", name="验证", exact=True).click()
    expect(page.locator(home)).to_be_visible()


def sign_in(context: Any, base_url: str, user: Any, language: str = "zh-hans") -> None:
    """Give a browser context the session of a user past the second factor (none for anonymous
    visitors) and the language switch's cookie, without walking through the login pages."""
    from django.conf import settings
    from django.test import Client

    from tests.helpers import login_verified

    cookies = [{"name": settings.LANGUAGE_COOKIE_NAME, "value": language, "url": base_url}]
    if user is not None:
        client = login_verified(Client(), user)
        session = client.cookies[settings.SESSION_COOKIE_NAME].value
        cookies.append({"name": settings.SESSION_COOKIE_NAME, "value": session, "url": base_url})
    context.add_cookies(cookies)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every test in this folder is a browser test (`-m "not browser"` leaves them out), whether or
    not its module says so."""
    folder = Path(__file__).parent
    for item in items:
        if folder in Path(item.path).parents:
            item.add_marker(pytest.mark.browser)
