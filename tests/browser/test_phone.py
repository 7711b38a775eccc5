"""On a phone: the public's and the applicant's pages at 390 × 844 (issue 27, part 3).

Each page is opened as a phone opens it (a 390 × 844 viewport, touch, a mobile browser's
viewport rules) and must fit the screen's width: the page itself never scrolls sideways
(document.documentElement.scrollWidth and window.innerWidth at most 390); a table wider than the
screen scrolls inside its own container, with its first column fixed (position: sticky, left: 0,
on a background) so that a row's label stays in sight, and the container ends inside the screen.

The primary controls are at least 44 px high (touch targets): buttons, the menu's and the
outline's links, pagination, inputs, selects and text areas, and each check box's or radio's row
with its label. Links in running text (paragraphs, table cells, breadcrumbs) are exempt.

Every page is saved as a screenshot (test-output/screenshots/test_..._on_a_phone/).
"""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from tests.browser.conftest import shot, sign_in
from tests.test_permissions import build_world

pytestmark = pytest.mark.browser

PHONE: dict[str, Any] = {
    "viewport": {"width": 390, "height": 844},
    "is_mobile": True,
    "has_touch": True,
    "device_scale_factor": 2,
}
WIDTH = PHONE["viewport"]["width"]
TOUCH = 44  # px: WCAG 2.5.5's target size, and Apple's and the 适老化 guidance's

# The controls whose height is checked: where they are shown (width and height above 1 px: the
# visually hidden file inputs are reached through their label, a button), each must be TOUCH high.
CONTROLS = ", ".join(
    [
        "main button",
        "main .btn",
        "main input:not([type=hidden]):not([type=checkbox]):not([type=radio])",
        "main select",
        "main textarea",
        "main .form-check",
        "main .nav-link",
        "main .page-link",
        "main .sf-outline-link",
        "main .list-group-item-action",
        "main .list-group-numbered > .list-group-item > a",  # the application's outline
        ".sf-navbar .navbar-brand",
        ".sf-navbar .navbar-toggler",
        ".sf-navbar .nav-link",
        ".sf-navbar .btn",
        ".sf-navbar .dropdown-item",
        ".sf-navbar nav a",  # the public pages' bar: its links always shown, no menu to open
    ]
)

MENU_CONTROLS = ", ".join(selector for selector in CONTROLS.split(", ") if selector.startswith(".sf-navbar"))

MEASURE = """([selector, width]) => {
  const describe = (el) => {
    const text = (el.innerText || el.value || el.getAttribute('aria-label') || el.name || '').trim();
    const classes = String(el.className || '').trim().split(/\\s+/).filter(Boolean);
    return [el.tagName.toLowerCase(), ...classes].join('.') + (text ? ` "${text.slice(0, 30)}"` : '');
  };
  const small = [];
  for (const el of document.querySelectorAll(selector)) {
    const box = el.getBoundingClientRect();
    if (box.width <= 1 || box.height <= 1) continue;  // not shown, or visually hidden
    if (getComputedStyle(el).visibility === 'hidden') continue;
    if (box.height < %(touch)d - 0.5) small.push(`${describe(el)}: ${box.height.toFixed(1)} px`);
  }
  // What sticks out past the screen's right edge, outside any container that scrolls sideways.
  const wide = [];
  for (const el of document.body.querySelectorAll('*')) {
    const box = el.getBoundingClientRect();
    if (box.width === 0 || box.right <= width + 0.5) continue;
    // Clipped by a scrolling ancestor, unless placed (position: absolute) by an ancestor outside it.
    let clipped = false;
    const placed = ['absolute', 'fixed'].includes(getComputedStyle(el).position);
    const holder = placed ? el.offsetParent : el.parentElement;
    for (let up = el.parentElement; up && up !== document.body; up = up.parentElement) {
      if (placed && !up.contains(holder)) continue;
      if (getComputedStyle(up).overflowX !== 'visible') { clipped = true; break; }
    }
    if (!clipped) wide.push(`${describe(el)}: right edge at ${box.right.toFixed(0)} px`);
  }
  return {
    scrollWidth: document.documentElement.scrollWidth,
    innerWidth: window.innerWidth,
    small: small,
    wide: wide.slice(0, 10),
  };
}""".replace("%(touch)d", str(TOUCH))

TABLES = """() => Array.from(document.querySelectorAll('main table')).map((table) => {
  const scroller = table.closest('.table-responsive');
  const first = Array.from(table.rows).map((row) => row.cells[0]).filter(Boolean);
  const styles = first.map((cell) => getComputedStyle(cell));
  return {
    label: (table.querySelector('th') || table).innerText.trim().slice(0, 20),
    inScroller: Boolean(scroller),
    scrolls: scroller ? scroller.scrollWidth > scroller.clientWidth : false,
    right: (scroller || table).getBoundingClientRect().right,
    sticky: styles.every((s) => s.position === 'sticky' && s.left === '0px'),
    opaque: styles.every((s) => !['rgba(0, 0, 0, 0)', 'transparent'].includes(s.backgroundColor)),
  };
})"""

# Scrolled to its end, a wide table's first column stays at its container's left edge.
FIRST_COLUMN_AFTER_SCROLL = """() => Array.from(document.querySelectorAll('main .table-responsive'))
  .filter((scroller) => scroller.scrollWidth > scroller.clientWidth)
  .map((scroller) => {
    scroller.scrollLeft = scroller.scrollWidth;
    const cell = scroller.querySelector('tr > :first-child');
    const offset = cell.getBoundingClientRect().left - scroller.getBoundingClientRect().left;
    scroller.scrollLeft = 0;
    return offset;
  })"""


def phone_page(new_page: Any, base: str, user: Any) -> Any:
    page = new_page(**PHONE)
    sign_in(page.context, base, user)
    return page


def check(page: Any, url: str | None, name: str, problems: list[str]) -> None:
    """Open the page at the phone's size (None: the page as it is), screenshot it, and note what
    does not fit or is too small."""
    if url is not None:
        answer = page.goto(url)
        assert answer is not None, url
        assert answer.status == 200, f"{url}: {answer.status}"
    measured = page.evaluate(MEASURE, [CONTROLS, WIDTH])
    # A phone's browser widens its window to the content (innerWidth above 390, the page zoomed
    # out) when the page is wider than the screen: both are measured against the screen's width.
    widest = max(measured["scrollWidth"], measured["innerWidth"])
    if widest > WIDTH:
        problems.append(
            f"{name}: the page scrolls sideways ({widest} > {WIDTH} px): " + "; ".join(measured["wide"])
        )
    for item in measured["small"]:
        problems.append(f"{name}: a touch target below {TOUCH} px: {item}")
    for table in page.evaluate(TABLES):
        if not table["inScroller"]:
            problems.append(f"{name}: table {table['label']!r} is not in a container that scrolls sideways")
            continue
        if table["right"] > WIDTH + 0.5:
            problems.append(f"{name}: table {table['label']!r} is cut off at {table['right']:.0f} px")
        if table["scrolls"] and not (table["sticky"] and table["opaque"]):
            problems.append(f"{name}: table {table['label']!r} scrolls but its first column is not fixed")
    for offset in page.evaluate(FIRST_COLUMN_AFTER_SCROLL):
        if abs(offset) > 0.5:
            problems.append(f"{name}: a scrolled table's first column moved {offset:.0f} px off its edge")
    shot(page, name)


def check_menu(page: Any, name: str, problems: list[str]) -> None:
    """Open the collapsed menu: its links fit the width and are TOUCH high; screenshot it."""
    toggler = page.locator(".sf-navbar .navbar-toggler")
    expect(toggler).to_be_visible()
    toggler.click()
    expect(page.locator("#sf-nav")).to_have_class("navbar-collapse collapse show")
    measured = page.evaluate(MEASURE, [MENU_CONTROLS, WIDTH])
    if max(measured["scrollWidth"], measured["innerWidth"]) > WIDTH:
        problems.append(f"{name}: the open menu scrolls sideways: " + "; ".join(measured["wide"]))
    for item in measured["small"]:
        problems.append(f"{name}: a touch target below {TOUCH} px: {item}")
    shot(page, name)
    toggler.click()
    expect(page.locator("#sf-nav")).to_have_class("navbar-collapse collapse")


def test_public_pages_on_a_phone(live_server: Any, new_page: Any) -> None:
    world = build_world()
    base = live_server.url
    page = phone_page(new_page, base, None)
    problems: list[str] = []
    pages = [
        ("notices", reverse("publicity:public_notices")),
        ("notice", reverse("publicity:public_notice", kwargs={"pk": world["public_notice"].pk})),
        ("objection-form", reverse("publicity:objection_new", kwargs={"pk": world["public_notice"].pk})),
        ("announcement", reverse("publicity:public_announcement", kwargs={"pk": world["announcement"].pk})),
        ("cases", reverse("cases:public_list")),
        ("case", reverse("cases:public_case", kwargs={"pk": world["published_case"].pk})),
        ("verification", reverse("documents:verify")),
    ]
    for name, path in pages:
        check(page, base + path, name, problems)
    assert problems == [], "\n".join(problems)


def test_applicant_pages_on_a_phone(live_server: Any, new_page: Any) -> None:
    world = build_world()
    base = live_server.url
    page = phone_page(new_page, base, world["users"]["admin"])
    draft = world["draft"].pk
    problems: list[str] = []

    def section(key: str) -> str:
        return reverse("applications:section", kwargs={"pk": draft, "section": key})

    pages = [
        ("outline", reverse("applications:detail", kwargs={"pk": draft})),
        ("section-basic", section("basic")),
        ("section-yearly-table", section("operations")),
        ("section-upload", section("written_intro")),
        ("submission", reverse("applications:submit", kwargs={"pk": draft})),
        ("own-verification", reverse("accounts:own_verification")),
        ("tracking-report", reverse("tracking:report", kwargs={"pk": world["tracking_report"].pk})),
    ]
    for name, path in pages:
        check(page, base + path, name, problems)

    # A table of rows the applicant adds: one row added, it scrolls inside its container.
    page.goto(base + section("content"))
    page.locator("[data-table=awards] [data-add-row]").click()
    expect(page.locator("[data-table=awards] [data-row]")).to_have_count(1)
    check(page, None, "section-rows-table", problems)
    check_menu(page, "menu", problems)
    assert problems == [], "\n".join(problems)
