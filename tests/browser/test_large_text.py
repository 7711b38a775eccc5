"""Larger text: 200 % zoom, a 20 px minimum font size, and the public pages' 大字版 (issue 27, part 4).

- **200 % zoom**: a browser zoomed to 200 % lays a page out in half as many CSS pixels, each drawn
  with twice the device pixels: a 1280 × 900 window at 200 % is a 640 × 900 viewport at device
  scale 2, which is how the pages are opened here (not `body.style.zoom`, which lays out
  differently).
- **Minimum font size 20 px**: Chromium's own setting (Settings › Appearance › Customise fonts ›
  Minimum font size), the preference `webkit.webprefs.minimum_font_size` written into the
  profile of a persistent browser context before it starts. The test first checks the setting is in
  force (a `.small` text is computed at 20 px), so that it cannot pass on a browser that ignores it.

On each page: the page never scrolls sideways; no element whose overflow is hidden or clipped, or
that cuts its text short with an ellipsis, has more content than its box (scrollWidth or
scrollHeight above clientWidth or clientHeight + 1), nor does a button, badge, label, table cell or
a bar's link; and no two controls (buttons, links of the bars, badges, labels) overlap. Every page
is saved as a screenshot (test-output/screenshots/test_.../).

The 大字版 switch (two toggle buttons in the public header, “标准版” and “大字版”, aria-pressed) puts a
class on <html>, kept in localStorage: the public pages are copies shared by everyone, so it never
changes the server's HTML. It is checked by keyboard alone, across a page load, in both languages,
and the large version passes axe with the enhanced (7:1) contrast rule too.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from tests.browser.conftest import (
    CHROMIUM,
    CHROMIUM_ARGS,
    PageWatch,
    ShotBook,
    _safe_name,
    close_and_report,
    shot,
    sign_in,
    watch_page,
)
from tests.browser.test_accessibility import AXE, BLOCKING, RUN_AXE, TAGS
from tests.test_permissions import build_world

pytestmark = pytest.mark.browser

ZOOMED: dict[str, Any] = {"viewport": {"width": 640, "height": 900}, "device_scale_factor": 2}
MINIMUM_FONT = 20  # px
LARGE = "sf-large-text"
LARGE_CLASS = re.compile(r"\bsf-large-text\b")

# What must show its whole text, whatever its overflow: controls and the bars' links, badges, labels,
# table cells and headings.
TEXT_BOXES = ", ".join(
    [
        "button",
        ".btn",
        ".badge",
        ".nav-link",
        "nav a",
        ".navbar-brand",
        ".page-link",
        "label",
        "legend",
        "th",
        "td",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
    ]
)
# Controls that must not overlap one another.
CONTROLS = "button, .btn, .badge, .nav-link, nav a, .navbar-brand, .page-link, .form-check-label, main label"

MEASURE = """([textBoxes, controls]) => {
  const describe = (el) => {
    const text = (el.innerText || el.value || el.getAttribute('aria-label') || '').trim();
    const classes = String(el.className || '').trim().split(/\\s+/).filter(Boolean);
    return [el.tagName.toLowerCase(), ...classes].join('.') + (text ? ` "${text.slice(0, 30)}"` : '');
  };
  const shown = (el) => {
    const box = el.getBoundingClientRect();
    // Not shown, or visually hidden (1 px and clipped, as .visually-hidden is).
    return box.width > 1 && box.height > 1 && getComputedStyle(el).visibility !== 'hidden';
  };
  const clipping = ['hidden', 'clip'];
  const cut = [];
  for (const el of document.body.querySelectorAll('*')) {
    if (el.matches('input, select, textarea, option, img, svg, svg *, canvas') || !shown(el)) continue;
    const style = getComputedStyle(el);
    if (style.display === 'inline' || style.display === 'contents') continue;  // no box of its own
    const clipsX = clipping.includes(style.overflowX) || style.textOverflow === 'ellipsis';
    const clipsY = clipping.includes(style.overflowY);
    const textBox = el.matches(textBoxes);
    if (!clipsX && !clipsY && !textBox) continue;
    const overX = el.scrollWidth - el.clientWidth;
    const overY = el.scrollHeight - el.clientHeight;
    if ((clipsX || textBox) && overX > 1) cut.push(`${describe(el)}: ${overX} px too wide`);
    else if ((clipsY || textBox) && overY > 1 && style.overflowY !== 'auto' && style.overflowY !== 'scroll') {
      cut.push(`${describe(el)}: ${overY} px too tall`);
    }
  }
  // What sticks out past the right edge (the cause of a sideways scroll), outside any container
  // that scrolls sideways.
  const width = window.innerWidth;
  const wide = [];
  for (const el of document.body.querySelectorAll('*')) {
    const box = el.getBoundingClientRect();
    if (box.width === 0 || box.right <= width + 0.5) continue;
    let clipped = false;
    for (let up = el.parentElement; up && up !== document.body; up = up.parentElement) {
      if (getComputedStyle(up).overflowX !== 'visible') { clipped = true; break; }
    }
    if (!clipped) wide.push(`${describe(el)}: right edge at ${box.right.toFixed(0)} px`);
  }
  // Controls on top of one another (an overlap of two pixels or less is a shared border).
  const boxes = Array.from(document.querySelectorAll(controls)).filter(shown)
    .map((el) => [el, el.getBoundingClientRect()]);
  const overlaps = [];
  for (let i = 0; i < boxes.length; i++) {
    for (let j = i + 1; j < boxes.length; j++) {
      const [a, ra] = boxes[i];
      const [b, rb] = boxes[j];
      if (a.contains(b) || b.contains(a)) continue;
      const x = Math.min(ra.right, rb.right) - Math.max(ra.left, rb.left);
      const y = Math.min(ra.bottom, rb.bottom) - Math.max(ra.top, rb.top);
      if (x > 2 && y > 2) overlaps.push(`${describe(a)} and ${describe(b)}: ${x.toFixed(0)}×${y.toFixed(0)}`);
    }
  }
  return {
    scrollWidth: document.documentElement.scrollWidth,
    innerWidth: width,
    cut: cut.slice(0, 15),
    wide: wide.slice(0, 10),
    overlaps: overlaps.slice(0, 10),
  };
}"""


def check(page: Any, url: str | None, name: str, problems: list[str]) -> None:
    """Open the page (None: as it is), screenshot it, and note what scrolls sideways, is cut off or
    overlaps."""
    if url is not None:
        answer = page.goto(url)
        assert answer is not None, url
        assert answer.status == 200, f"{url}: {answer.status}"
    measured = page.evaluate(MEASURE, [TEXT_BOXES, CONTROLS])
    if measured["scrollWidth"] > measured["innerWidth"]:
        problems.append(
            f"{name}: the page scrolls sideways ({measured['scrollWidth']} > {measured['innerWidth']} px): "
            + "; ".join(measured["wide"])
        )
    problems.extend(f"{name}: cut off: {item}" for item in measured["cut"])
    problems.extend(f"{name}: overlapping: {item}" for item in measured["overlaps"])
    shot(page, name)


def public_pages(world: dict[str, Any]) -> list[tuple[str, str]]:
    notice = world["public_notice"].pk
    return [
        ("notices", reverse("publicity:public_notices")),
        ("notice", reverse("publicity:public_notice", kwargs={"pk": notice})),
        ("objection-form", reverse("publicity:objection_new", kwargs={"pk": notice})),
        ("objection-status", reverse("publicity:objection_status")),
        ("announcement", reverse("publicity:public_announcement", kwargs={"pk": world["announcement"].pk})),
        ("cases", reverse("cases:public_list")),
        ("case", reverse("cases:public_case", kwargs={"pk": world["published_case"].pk})),
        ("verification", reverse("documents:verify")),
    ]


def applicant_pages(world: dict[str, Any]) -> list[tuple[str, str]]:
    draft = world["draft"].pk

    def section(key: str) -> str:
        return reverse("applications:section", kwargs={"pk": draft, "section": key})

    return [
        ("outline", reverse("applications:detail", kwargs={"pk": draft})),
        ("section-basic", section("basic")),
        ("section-yearly-table", section("operations")),
        ("own-verification", reverse("accounts:own_verification")),
    ]


def choose_large_text(page: Any) -> None:
    page.locator("[data-text-size-choice=large]").click()
    expect(page.locator("html")).to_have_class(LARGE_CLASS)


# 200 % zoom


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_pages_fit_at_200_percent_zoom(live_server: Any, new_page: Any, language: str) -> None:
    world = build_world()
    base = live_server.url
    problems: list[str] = []

    public = new_page(**ZOOMED)
    sign_in(public.context, base, None, language)
    for name, path in public_pages(world):
        check(public, base + path, name, problems)
    # The same pages in the 大字版: 20 px type at 200 %.
    choose_large_text(public)
    for name, path in public_pages(world):
        check(public, base + path, f"large-{name}", problems)

    applicant = new_page(**ZOOMED)
    sign_in(applicant.context, base, world["users"]["admin"], language)
    for name, path in applicant_pages(world):
        check(applicant, base + path, name, problems)
    applicant.locator(".sf-navbar .navbar-toggler").click()
    expect(applicant.locator("#sf-nav")).to_have_class("navbar-collapse collapse show")
    check(applicant, None, "menu", problems)
    assert problems == [], "\n".join(problems)


# A 20 px minimum font size


@pytest.fixture
def min_font_page(
    browser: Any, request: pytest.FixtureRequest, tmp_path: Path
) -> Iterator[Callable[[], Any]]:
    """Return a factory of watched pages in a browser whose minimum font size is 20 px.

    Chromium takes the minimum from its profile's preferences, not from a command-line switch or
    the DevTools protocol (Page.setFontSizes sets the standard and fixed sizes only): each page
    gets a persistent context whose profile starts with the preference written in. The pages are
    watched as tests/browser/conftest.py's are: a console error, a script error or a 5xx fails.
    """
    book = ShotBook(Path("test-output") / "screenshots" / _safe_name(request.node.name))
    contexts: list[Any] = []
    watches: list[PageWatch] = []

    def make() -> Any:
        profile = tmp_path / f"profile-{len(contexts)}"
        (profile / "Default").mkdir(parents=True)
        preferences = {"webkit": {"webprefs": {"minimum_font_size": MINIMUM_FONT}}}
        (profile / "Default" / "Preferences").write_text(json.dumps(preferences))
        context = browser.browser_type.launch_persistent_context(
            str(profile),
            executable_path=str(CHROMIUM),
            args=CHROMIUM_ARGS,
            headless=True,
            viewport={"width": 1280, "height": 900},
            locale="zh-CN",
        )
        contexts.append(context)
        page = context.pages[0] if context.pages else context.new_page()
        watches.append(watch_page(page, book))
        return page

    yield make
    close_and_report(contexts, watches)


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_pages_fit_with_a_20px_minimum_font_size(live_server: Any, min_font_page: Any, language: str) -> None:
    world = build_world()
    base = live_server.url
    problems: list[str] = []

    public = min_font_page()
    sign_in(public.context, base, None, language)
    public.goto(base + reverse("publicity:public_notices"))
    # The setting is in force: the footer's small print (14 px) is drawn at 20 px.
    size = public.evaluate(
        "() => getComputedStyle(document.querySelector('.sf-footer .small, .sf-footer span')).fontSize"
    )
    assert size == f"{MINIMUM_FONT}px", f"the minimum font size is not in force: the footer's text is {size}"
    for name, path in public_pages(world):
        check(public, base + path, name, problems)

    applicant = min_font_page()
    sign_in(applicant.context, base, world["users"]["admin"], language)
    for name, path in applicant_pages(world):
        check(applicant, base + path, name, problems)
    assert problems == [], "\n".join(problems)


# The 大字版 switch

# Records, before the page's own scripts, whether <html> had the class when <body> was inserted:
# the remembered choice is applied before the first paint (no flash of the standard version).
BEFORE_BODY = """(() => {
  const observer = new MutationObserver(() => {
    if (document.body) {
      window.__largeBeforeBody = document.documentElement.classList.contains('sf-large-text');
      observer.disconnect();
    }
  });
  observer.observe(document, {childList: true, subtree: true});
})();"""


def tab_to(page: Any, selector: str, limit: int = 30) -> None:
    """Press Tab until the element is focused (the keyboard alone)."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("(s) => document.activeElement && document.activeElement.matches(s)", selector):
            return
    raise AssertionError(f"{selector} not reached by Tab in {limit} presses")


def audit(page: Any) -> list[str]:
    """axe's WCAG A and AA rules and the enhanced contrast (7:1, wcag2aaa): what is serious or worse."""
    found = page.evaluate(RUN_AXE, [*TAGS, "wcag2aaa"])
    return [
        f"{v['impact']} {v['id']} ({v['help']}): {', '.join(v['targets'][:5])}"
        for v in found
        if v["impact"] in BLOCKING
    ]


@pytest.mark.parametrize(
    ("language", "standard", "large"), [("zh-hans", "标准版", "大字版"), ("en", "Standard", "Large text")]
)
def test_the_large_text_switch(
    live_server: Any, new_page: Any, language: str, standard: str, large: str
) -> None:
    assert AXE.is_file(), f"{AXE} is missing: run `make install` (npm ci)"
    world = build_world()
    base = live_server.url
    page = new_page()
    sign_in(page.context, base, None, language)
    page.context.add_init_script(path=str(AXE))
    page.context.add_init_script(BEFORE_BODY)
    notices = base + reverse("publicity:public_notices")
    notice = base + reverse("publicity:public_notice", kwargs={"pk": world["public_notice"].pk})

    page.goto(notices)
    html = page.locator("html")
    switch = page.get_by_role("group", name="字号" if language == "zh-hans" else "Text size")
    standard_button = switch.get_by_role("button", name=standard, exact=True)
    large_button = switch.get_by_role("button", name=large, exact=True)
    expect(standard_button).to_have_attribute("aria-pressed", "true")
    expect(large_button).to_have_attribute("aria-pressed", "false")
    assert "sf-large-text" not in (html.get_attribute("class") or "")
    assert page.evaluate("getComputedStyle(document.documentElement).fontSize") == "16px"
    shot(page, "standard")

    # By keyboard: Tab to 大字版 (its focus ring shown), Enter.
    tab_to(page, "[data-text-size-choice=large]")
    ring = page.evaluate("(s => [s.outlineStyle, s.outlineWidth])(getComputedStyle(document.activeElement))")
    assert ring == ["solid", "3px"], ring
    page.keyboard.press("Enter")
    expect(html).to_have_class(LARGE_CLASS)
    expect(large_button).to_have_attribute("aria-pressed", "true")
    expect(standard_button).to_have_attribute("aria-pressed", "false")
    assert page.evaluate("getComputedStyle(document.documentElement).fontSize") == "20px"
    assert page.evaluate("getComputedStyle(document.body).lineHeight") == "36px"  # 1.8 × 20 px
    shot(page, "large")

    # Kept across a page load and on the next page, applied before the body is parsed.
    page.reload()
    expect(html).to_have_class(LARGE_CLASS)
    expect(large_button).to_have_attribute("aria-pressed", "true")
    assert page.evaluate("window.__largeBeforeBody") is True
    blocking = [f"{notices} {v}" for v in audit(page)]
    page.goto(notice)
    expect(html).to_have_class(LARGE_CLASS)
    assert page.evaluate("window.__largeBeforeBody") is True
    blocking += [f"{notice} {v}" for v in audit(page)]
    shot(page, "large-notice")
    assert blocking == [], "the large version's accessibility violations:\n" + "\n".join(blocking)

    # The server's copy stays the same for everyone: nothing of the choice reaches it.
    served = page.request.get(notice).text()
    assert LARGE not in served
    assert 'data-text-size-choice="large" aria-pressed="false"' in served

    # Back to the standard version, by keyboard, and it stays so.
    tab_to(page, "[data-text-size-choice=standard]")
    page.keyboard.press("Enter")
    expect(html).not_to_have_class(LARGE_CLASS)
    expect(standard_button).to_have_attribute("aria-pressed", "true")
    page.reload()
    expect(html).not_to_have_class(LARGE_CLASS)
    assert page.evaluate("window.__largeBeforeBody") is False
    assert page.evaluate("getComputedStyle(document.documentElement).fontSize") == "16px"
