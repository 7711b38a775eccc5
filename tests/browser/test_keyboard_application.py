"""A complete enterprise application by keyboard alone: from the applicant's home page to its number.

The applicant, signed in, opens the user menu and closes it with Escape, goes to 我的申报, starts
an application and walks every section with Tab, typing text, choosing options with the arrow
keys and Space, adding table rows with Enter (and removing one), uploading a file, and submitting.
Only page.keyboard moves and acts, with two exceptions a keyboard cannot avoid: the operating
system's file chooser, which Enter on the upload control opens (`expect_file_chooser` then picks
the file), and the browser's own confirm() dialogs, answered with `page.once("dialog", ...)`. No
click, fill or focus() on elements, and no page.goto after the first page: every page is reached
by a link or button. Along the way the focus must land where the person is working (the new row's
first cell, the neighbouring row after a removal, the upload control after an upload or a removal,
the control that opened a dismissed confirm) and be visible on every kind of control passed.
"""

from __future__ import annotations

import datetime
import re
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests import factories
from tests.browser.conftest import make_organisation, shot, sign_in
from tests.browser.test_application_form import (
    BREAKDOWN,
    CELL_VALUES,
    EVIDENCE_NAME,
    FIGURES,
    NUMBER_DEFAULTS,
    TEXT_VALUES,
    wait_saved,
    write_pdf,
)
from tests.browser.test_keyboard import focused

pytestmark = pytest.mark.browser

CHOICES = {
    "modes": ["industrial_design", "other"],
    "service_types": list(BREAKDOWN),
    "has_service_team": ["yes"],
    "service_team_form": ["department"],
}
TEXTS = {**TEXT_VALUES, "modes__other__other": "远程运维托管服务"}
# The optional standards table gets a row too, so that a table's choice cells are chosen by key.
ROWS = {
    **CELL_VALUES,
    "standards": [
        {"name": "服务型制造服务规范", "number": "T/GD 001-2023", "level": "group", "role": "lead"},
    ],
}
# What every focused control must show: the solid ring of app.css, not only Bootstrap's glow.
RING = ["solid", "3px"]


# Keys --------------------------------------------------------------------------------------


def is_focused(page: Any, selector: str, text: str = "") -> bool:
    return page.evaluate(
        """([selector, text]) => {
             const el = document.activeElement;
             return el.matches(selector) && el.textContent.includes(text);
           }""",
        [selector, text],
    )


def tab_to(page: Any, selector: str, *, text: str = "", back: bool = False, limit: int = 120) -> None:
    """Press Tab (Shift+Tab if `back`) until the element matching `selector` (and containing `text`)
    has the focus."""
    for _ in range(limit):
        page.keyboard.press("Shift+Tab" if back else "Tab")
        if is_focused(page, selector, text):
            return
    raise AssertionError(f"Tab never reached {selector} {text}".strip())


def ring(page: Any, what: str, seen: set[str]) -> None:
    """Assert the focused control shows the focus ring (an upload control shows it on its button)."""
    style = focused(
        page,
        """(() => {
             const shown = el.type === 'file' ? el.closest('label') : el;
             const style = getComputedStyle(shown);
             return [style.outlineStyle, style.outlineWidth];
           })()""",
    )
    assert style == RING, f"no visible focus ring on the {what}: {style}"
    seen.add(what)


def choose_by_arrows(page: Any, option_value: str) -> None:
    """On a focused radio or select, press the arrow key until `option_value` is chosen."""
    for _ in range(30):
        if focused(page, "el.value") == option_value:
            break
        page.keyboard.press("ArrowDown")
    assert focused(page, "el.value") == option_value, f"the arrow keys never chose {option_value}"
    if focused(page, "el.type") == "radio" and not focused(page, "el.checked"):
        page.keyboard.press("Space")  # a group with nothing chosen: the first radio is focused, not ticked


def type_date(page: Any, day: datetime.date) -> None:
    """Type a date into the focused date input, in the order of the browser's own segments.

    Chromium lays out month, day and year by its locale; ArrowUp twice in the first segment and
    once in the others shows which segment comes first, then the date is typed over them.
    """
    page.keyboard.press("ArrowUp")
    page.keyboard.press("ArrowUp")
    page.keyboard.press("Tab")
    page.keyboard.press("ArrowUp")
    page.keyboard.press("Tab")
    page.keyboard.press("ArrowUp")
    probe = focused(page, "el.value")
    this_year = datetime.date.today().year
    order = {
        f"{this_year + 1}-01-01": "ymd",
        f"{this_year}-02-01": "mdy",
        f"{this_year}-01-02": "dmy",
    }[probe]
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Shift+Tab")
    parts = {"y": f"{day.year:04d}", "m": f"{day.month:02d}", "d": f"{day.day:02d}"}
    for segment in order:
        page.keyboard.type(parts[segment])
    assert focused(page, "el.value") == day.isoformat()


def upload_by_keyboard(page: Any, field_key: str, path: Path) -> None:
    """On the focused upload control, open the file chooser with Enter, pick the file, wait for it."""
    assert focused(page, "el.dataset.uploadField") == field_key
    # The title first: its box comes just before the upload control.
    page.keyboard.press("Shift+Tab")
    assert focused(page, "el.hasAttribute('data-upload-title')")
    page.keyboard.type("佐证材料")
    page.keyboard.press("Tab")
    assert focused(page, "el.dataset.uploadField") == field_key
    with page.expect_file_chooser() as chooser:
        page.keyboard.press("Enter")
    chooser.value.set_files(path)
    slot = page.locator(f'[data-attachments-for="{field_key}"]')
    expect(slot.get_by_role("link", name=path.name)).to_be_visible()
    # The slot was replaced by the server's: the focus is back on its upload control.
    assert focused(page, "el.dataset.uploadField") == field_key


# Fields ------------------------------------------------------------------------------------


def type_text(page: Any, field: Any) -> None:
    key, kind = field.key, field.type
    if focused(page, "el.value.trim()") and key not in TEXTS:
        return  # pre-filled from the organisation
    text = TEXTS.get(key) or {
        "longtext": f"{field.label}：本单位围绕服务型制造持续投入，形成了可复制的做法。",
        "url": "https://www.example.com",
        "phone": "020-87654321",
        "email": "info@example.com",
    }.get(kind, f"{field.label}示例")
    page.keyboard.press("Control+A")
    page.keyboard.type(text)


def fill_row(page: Any, field: Any, table: str, index: int, values: dict[str, str]) -> None:
    """Type a new row's cells, Tab from one to the next; the focus starts on its first cell."""
    for position, column in enumerate(field.columns):
        if position:
            page.keyboard.press("Tab")
        assert focused(page, "el.name") == f"{field.key}__{index}__{column.key}"
        assert focused(page, "el.getAttribute('aria-label')") == column.label
        value = values.get(column.key, "")
        if column.type in ("choice", "yesno"):
            choose_by_arrows(page, value)
        else:
            page.keyboard.type(value)


def fill_table(page: Any, field: Any, scope: str, seen: set[str]) -> None:
    rows = ROWS.get(field.key, [])
    for index, values in enumerate(rows):
        tab_to(page, f"{scope} [data-add-row]")
        ring(page, "add-row button", seen)
        page.keyboard.press("Enter")
        fill_row(page, field, field.key, index, values)
        if index == 0:
            ring(page, "table cell", seen)
            shot(page, f"row-{field.key}")
    if field.key != "awards":
        return
    # A row added by mistake is removed: the focus goes to the row before it, the data stays.
    tab_to(page, f"{scope} [data-add-row]")
    page.keyboard.press("Enter")
    assert focused(page, "el.name") == f"awards__{len(rows)}__name"
    page.keyboard.type("多余的一行")
    tab_to(page, f"{scope} [data-rows] > [data-row]:last-child [data-remove-row]")
    ring(page, "remove-row button", seen)
    page.keyboard.press("Enter")
    expect(page.locator(f"{scope} [data-rows] > [data-row]")).to_have_count(len(rows))
    assert focused(page, "el.name") == f"awards__{len(rows) - 1}__name"


def answer(page: Any, field: Any, seen: set[str], uploads: dict[str, Path]) -> None:
    """Reach the field's controls with Tab and answer them by its type in the batch's spec."""
    key, kind = field.key, field.type
    scope = f'#section-form [data-field="{key}"]'
    if kind in ("text", "longtext", "phone", "email", "url", "credit_code"):
        tab_to(page, f'{scope} [name="{key}"]')
        type_text(page, field)
        ring(page, "textarea" if kind == "longtext" else "text input", seen)
    elif kind == "date":
        tab_to(page, f'{scope} [name="{key}"]')
        type_date(page, datetime.date.fromisoformat(TEXTS[key]))
        ring(page, "date input", seen)
    elif kind in NUMBER_DEFAULTS:
        tab_to(page, f'{scope} [name="{key}"]')
        page.keyboard.type(NUMBER_DEFAULTS[kind])
    elif kind in ("choice", "yesno"):
        # A field asked for by the choice just made (是 → 服务团队形式) is the very next Tab stop.
        tab_to(page, f'{scope} [name="{key}"]', limit=1 if field.required_if else 120)
        control = "select" if focused(page, "el.tagName") == "SELECT" else "radio"
        if key in CHOICES:
            wanted = CHOICES[key][0]
        elif control == "select":
            wanted = page.locator(f"{scope} select option").nth(1).get_attribute("value")
        else:
            wanted = focused(page, "el.value")
        choose_by_arrows(page, wanted)
        ring(page, control, seen)
        if control == "radio" and key == "has_service_team":
            shot(page, "radio")
    elif kind == "multichoice":
        for option in CHOICES.get(key, [field.options[0].key]):
            tab_to(page, f'{scope} input[type=checkbox][value="{option}"]')
            page.keyboard.press("Space")
            ring(page, "checkbox", seen)
            if f"{key}__other__{option}" in TEXTS:
                tab_to(page, f'[name="{key}__other__{option}"]')
                page.keyboard.type(TEXTS[f"{key}__other__{option}"])
    elif kind == "confirm":
        tab_to(page, f'{scope} input[type=checkbox][name="{key}"]')
        page.keyboard.press("Space")
    elif kind == "table":
        fill_table(page, field, scope, seen)
    elif kind == "yearly":
        for row in field.rows:
            if row.computed:
                continue
            for year in field.years:
                tab_to(page, f'[name="{key}__{row.key}__{year}"]')
                # Named with its row and its year, not the row's label three times over.
                assert focused(page, "el.getAttribute('aria-label')") == f"{row.label} {year}"
                page.keyboard.type(FIGURES[row.key])
        ring(page, "yearly cell", seen)
    elif kind == "service_revenue_breakdown":
        for option, amount in BREAKDOWN.items():
            tab_to(page, f'[name="{key}__{option}__revenue"]')
            service_type = focused(page, "el.closest('tr').querySelector('th').textContent.trim()")
            assert focused(page, "el.getAttribute('aria-label')").startswith(f"{service_type} ")
            page.keyboard.type(amount)
    else:  # pragma: no cover - a new field type needs a way by keyboard here
        raise AssertionError(f"no keyboard filler for {kind} ({key})")
    if key in uploads:
        tab_to(page, f'{scope} input[type=file][data-upload-field="{key}"]')
        ring(page, "upload button", seen)
        shot(page, "upload-control")
        attach_and_remove_once(page, key, uploads[key])


def attach_and_remove_once(page: Any, key: str, path: Path) -> None:
    """Upload, ask to remove and dismiss (the focus stays on 删除), remove for real, upload again."""
    slot = page.locator(f'[data-attachments-for="{key}"]')
    upload_by_keyboard(page, key, path)
    tab_to(page, f'[data-attachments-for="{key}"] [data-remove-attachment]', back=True)
    page.once("dialog", lambda dialog: dialog.dismiss())
    page.keyboard.press("Enter")
    assert is_focused(page, f'[data-attachments-for="{key}"] [data-remove-attachment]')
    expect(slot.get_by_role("link", name=path.name)).to_be_visible()
    page.once("dialog", lambda dialog: dialog.accept())
    page.keyboard.press("Enter")
    expect(slot.get_by_role("link", name=path.name)).to_have_count(0)
    assert focused(page, "el.dataset.uploadField") == key
    upload_by_keyboard(page, key, path)
    shot(page, "uploaded")


# The journey -------------------------------------------------------------------------------


def walk_user_menu(page: Any, seen: set[str]) -> None:
    """The navbar's user menu opens with Space, is walked with the arrow keys, closes with Escape."""
    toggle = page.locator("[data-testid=user-menu]")
    tab_to(page, "[data-testid=user-menu]")
    ring(page, "user menu", seen)
    page.keyboard.press("Space")
    expect(toggle).to_have_attribute("aria-expanded", "true")
    page.keyboard.press("ArrowDown")
    assert is_focused(page, ".dropdown-item", "修改密码")
    page.keyboard.press("ArrowDown")
    assert is_focused(page, ".dropdown-item", "退出登录")
    ring(page, "menu item", seen)
    shot(page, "user-menu")
    page.keyboard.press("Escape")
    expect(toggle).to_have_attribute("aria-expanded", "false")
    expect(page.locator("[data-testid=user-menu] + .dropdown-menu")).to_be_hidden()
    expect(toggle).to_be_focused()
    ring(page, "user menu", seen)
    shot(page, "user-menu-closed")


def test_complete_enterprise_application_by_keyboard(live_server: Any, page: Any, tmp_path: Path) -> None:
    from shifan.applications.models import Application, ApplicationState, Attachment

    factories.BatchFactory()
    membership = make_organisation()
    base = live_server.url
    seen: set[str] = set()
    sign_in(page.context, base, membership.user)
    # Playwright turns the browser's file chooser interception on when a listener is added, without
    # waiting for the browser's answer: a key pressed at once may open an uncaught chooser. A
    # listener kept for the whole test keeps the interception on.
    page.on("filechooser", lambda chooser: None)
    page.goto(f"{base}/")
    expect(page.locator("[data-testid=applicant-home]")).to_be_visible()

    walk_user_menu(page, seen)

    tab_to(page, 'a[href="/applications/"]')
    page.keyboard.press("Enter")
    expect(page.locator("h1")).to_have_text("我的申报")
    tab_to(page, "button[type=submit]", text="申报示范企业")
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(rf"{re.escape(base)}/applications/\d+/$"))
    pk = int(re.search(r"/applications/(\d+)/$", page.url).group(1))
    form = Application.objects.get(pk=pk).form
    sections = list(form.sections)

    tab_to(page, f'main a[href="/applications/{pk}/sections/{sections[0].key}/"]')
    page.keyboard.press("Enter")
    uploads = {"strategy_planning": write_pdf(tmp_path, EVIDENCE_NAME)}
    for index, section in enumerate(sections):
        expect(page).to_have_url(f"{base}/applications/{pk}/sections/{section.key}/")
        expect(page.locator("h1")).to_have_text(section.title)
        if index == 0:
            tab_to(page, ".sf-outline-link.active")
            ring(page, "outline link", seen)
            shot(page, "outline-link")
        for field in section.fields:
            answer(page, field, seen, uploads)
        wait_saved(page)
        expect(page.locator("#section-form [data-feedback-for] > div")).to_have_count(0)
        expect(page.locator(f'[data-progress-for="{section.key}"]')).to_have_class(
            re.compile(r"text-bg-success")
        )
        if index + 1 < len(sections):
            tab_to(page, f'a.btn[href="/applications/{pk}/sections/{sections[index + 1].key}/"]')
        else:
            tab_to(page, f'a.btn[href="/applications/{pk}/submit/"]')
        ring(page, "next-section link", seen)
        page.keyboard.press("Enter")

    expect(page).to_have_url(f"{base}/applications/{pk}/submit/")
    expect(page.locator("[data-testid=submit-problems]")).to_have_count(0)
    expect(page.locator(".alert-success")).to_contain_text("必填内容已全部完成，没有发现填写错误。")
    tab_to(page, "button[type=submit]", text="提交申报书")
    ring(page, "submit button", seen)
    shot(page, "submit-button")

    # Dismissed, the confirm leaves the application a draft and the focus on the button.
    page.once("dialog", lambda dialog: dialog.dismiss())
    page.keyboard.press("Enter")
    assert is_focused(page, "button[type=submit]", "提交申报书")
    assert Application.objects.get(pk=pk).state == ApplicationState.DRAFT
    page.once("dialog", lambda dialog: dialog.accept())
    page.keyboard.press("Enter")
    expect(page).to_have_url(f"{base}/applications/{pk}/")
    expect(page.locator("[data-testid=application-state]")).to_have_text("已提交")
    expect(page.locator("[data-testid=application-number]")).to_have_text(
        re.compile(r"^GD-SMD-2024-E-\d{4}$")
    )
    shot(page, "submitted")

    application = Application.objects.get(pk=pk)
    assert application.state == ApplicationState.SUBMITTED
    assert application.answers["main_business"] == TEXTS["main_business"]
    assert [row["name"] for row in application.answers["awards"]] == ["广东省制造业单项冠军"]
    assert application.answers["commitment_date"] == TEXTS["commitment_date"]
    files = Attachment.objects.filter(application=application)
    assert [(file.original_name, file.removed_at is None) for file in files] == [
        (EVIDENCE_NAME, False),
        (EVIDENCE_NAME, True),
    ]
    assert seen >= {
        "user menu",
        "menu item",
        "outline link",
        "text input",
        "select",
        "radio",
        "checkbox",
        "date input",
        "add-row button",
        "table cell",
        "remove-row button",
        "yearly cell",
        "textarea",
        "upload button",
        "next-section link",
        "submit button",
    }
