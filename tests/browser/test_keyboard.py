"""By keyboard alone: the skip link, a focus ring to see, and a form's errors tied to their fields.

The public objection form, sent empty with the Enter key: every field refused is marked invalid
and described by its error message (aria-describedby), which a screen reader reads with it. In
an application's section, the autosave's message on a field marks it invalid, and its correction
clears the mark; the autosave's state is announced politely.
"""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import allow_console_error, shot, sign_in
from tests.test_permissions import build_world

pytestmark = pytest.mark.browser


def focused(page: Any, expression: str) -> Any:
    return page.evaluate(f"() => {{ const el = document.activeElement; return {expression}; }}")


def tab_to(page: Any, selector: str, limit: int = 80) -> None:
    """Press Tab until the element matching `selector` has the focus."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("(s) => document.activeElement.matches(s)", selector):
            return
    raise AssertionError(f"Tab never reached {selector}")


def test_objection_form_by_keyboard(live_server: Any, page: Any) -> None:
    world = build_world()
    page.goto(f"{live_server.url}/public/notices/{world['public_notice'].pk}/objection/")

    # The first Tab shows the skip link over the bar; Enter moves on to the page's content.
    page.keyboard.press("Tab")
    skip = page.locator("[data-testid=skip-link]")
    expect(skip).to_be_focused()
    box = skip.bounding_box()
    assert box is not None
    assert box["width"] > 40
    assert box["height"] > 20
    shot(page, "skip-link")
    page.keyboard.press("Enter")
    assert focused(page, "el.id") == "main"

    # The focus ring is a solid outline, not only Bootstrap's faint glow.
    page.keyboard.press("Tab")
    assert focused(page, "el.tagName") == "A"
    ring = focused(page, "[getComputedStyle(el).outlineStyle, getComputedStyle(el).outlineWidth]")
    assert ring == ["solid", "3px"]

    # Sent empty by keyboard: refused (400), the refused fields invalid and described by their messages.
    allow_console_error(page, r"status of 400 \(Bad Request\) \(.*/objection/")
    tab_to(page, "button[type=submit]")
    page.keyboard.press("Enter")
    expect(page.locator(".invalid-feedback").first).to_be_visible()
    shot(page, "objection-errors")
    described = page.evaluate(
        """() => Array.from(
              document.querySelectorAll('[aria-invalid=true], fieldset[aria-describedby*="-error"]'))
            .filter((el) => el.type !== 'hidden')
            .map((el) => ({
              name: el.name || el.querySelector('legend').textContent,
              messages: (el.getAttribute('aria-describedby') || '').split(' ')
                .map((id) => document.getElementById(id))
                .filter((target) => target && target.classList.contains('invalid-feedback'))
                .map((target) => target.textContent.trim()),
            }))"""
    )
    invalid = {item["name"]: item["messages"] for item in described}
    for name in ("name", "phone", "grounds", "captcha_1"):
        assert invalid.get(name), f"{name} is not described by an error message: {invalid}"
    assert all(invalid.values()), invalid


def test_application_field_is_marked_invalid_by_the_autosave(live_server: Any, page: Any) -> None:
    world = build_world()
    sign_in(page.context, live_server.url, world["users"]["admin"])
    page.goto(f"{live_server.url}/applications/{world['draft'].pk}/sections/basic/")
    expect(page.locator("[data-testid=autosave-status]")).to_have_attribute("aria-live", "polite")

    years = page.locator('[name="operating_years"]')
    expect(years).to_have_attribute("aria-describedby", "help-operating_years feedback-operating_years")
    expect(years).not_to_have_attribute("aria-invalid", "true")
    years.fill("十年")
    page.keyboard.press("Tab")
    feedback = page.locator("#feedback-operating_years .text-danger")
    expect(feedback).to_have_count(1)
    expect(years).to_have_attribute("aria-invalid", "true")
    shot(page, "field-invalid")

    years.fill("10")
    page.keyboard.press("Tab")
    expect(feedback).to_have_count(0)
    expect(years).not_to_have_attribute("aria-invalid", "true")
