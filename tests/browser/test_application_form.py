"""Filling in an application in the browser: every section, autosave, conflicts, attachments, submission.

The form is walked as the page shows it: each `[data-field]` wrapper of a section is filled by the
type its field has in the batch's spec (text typed, radios and boxes ticked, table rows added, yearly
figures typed, files uploaded), then the page must report "已保存" before going on.
"""

from __future__ import annotations

import datetime
import re
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests import factories
from tests.browser.conftest import allow_console_error, log_in, make_organisation, shot

pytestmark = pytest.mark.browser

PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
EVIDENCE_NAME = "战略文件.pdf"
SAVE_TIMEOUT = 15_000

# Consistent figures (万元, %): net assets = total assets × (1 − debt ratio), service share 30%,
# the breakdown adds up to the 2023 service revenue: no consistency warning anywhere.
FIGURES = {
    "total_assets": "20000",
    "debt_ratio": "40",
    "net_assets": "12000",
    "operating_revenue": "10000",
    "service_revenue": "3000",
    "net_profit": "800",
    "energy_intensity": "0.12",
    "rd_intensity": "5",
    "main_business_revenue": "9000",
}
BREAKDOWN = {"design_development": "1000", "training": "2000"}

TEXT_VALUES = {
    "main_business": "工业装备制造及远程运维服务",
    "legal_representative": "王法人",
    "contact_title": "总经理助理",
    "platform_name": "广州协同制造云平台",
    "responsible_person": "王法人",
    "commitment_date": datetime.date.today().isoformat(),
}
NUMBER_DEFAULTS = {"integer": "12", "money": "5000", "percent": "18", "decimal": "6.5"}
CELL_VALUES = {
    "awards": [
        {
            "name": "广东省制造业单项冠军",
            "level": "provincial",
            "year": "2022",
            "issuer": "广东省工业和信息化厅",
        }
    ],
    "investors": [
        {"name": "广州示范控股集团有限公司", "nature": "民营企业", "share": "60"},
        {"name": "广州市产业投资基金", "nature": "国有企业", "share": "40"},
    ],
}


# Steps --------------------------------------------------------------------------------------


def write_pdf(tmp_path: Path, name: str) -> Path:
    path = tmp_path / name
    path.write_bytes(PDF)
    return path


def start_application(page: Any, base_url: str, button: str) -> int:
    """From 我的申报, start an application of a category; return its id from the detail page."""
    page.get_by_role("link", name="我的申报", exact=True).click()
    expect(page.locator("h1")).to_have_text("我的申报")
    page.get_by_role("button", name=button).click()
    expect(page).to_have_url(re.compile(rf"{re.escape(base_url)}/applications/\d+/$"))
    expect(page.locator(".alert-success")).to_contain_text("填写内容会自动保存")
    return int(re.search(r"/applications/(\d+)/$", page.url).group(1))


def wait_saved(page: Any) -> None:
    status = page.locator("[data-testid=autosave-status]")
    expect(status).to_have_attribute("data-state", "saved", timeout=SAVE_TIMEOUT)
    expect(status).to_contain_text(re.compile(r"已保存 \d{2}:\d{2}:\d{2}"))
    assert page.evaluate("window.shifanAutosave.pending()") == 0


def upload(page: Any, field_key: str, path: Path) -> None:
    slot = page.locator(f'[data-attachments-for="{field_key}"]')
    slot.get_by_label("附件标题").fill(f"{path.stem}（标题）")
    slot.locator(f'input[type=file][data-upload-field="{field_key}"]').set_input_files(path)
    expect(
        page.locator(f'[data-attachments-for="{field_key}"]').get_by_role("link", name=path.name)
    ).to_be_visible()
    expect(page.locator(f'[data-attachments-for="{field_key}"] li')).to_contain_text(f"{path.stem}（标题）")
    expect(page.locator(f'[data-attachments-for="{field_key}"] [data-testid=upload-error]')).to_have_count(0)


def fill_cells(row: Any, values: dict[str, str], columns: Any) -> None:
    for column in columns:
        cell = row.locator(f'[name$="__{column.key}"]')
        value = values.get(column.key)
        if value is None:
            continue
        if column.type in ("choice", "yesno"):
            cell.select_option(value)
        else:
            cell.fill(value)


def fill_field(
    page: Any, wrapper: Any, field: Any, *, choices: dict[str, list[str]], texts: dict[str, str]
) -> None:
    """Fill one field of the page by its type; prefilled texts are kept."""
    key, kind = field.key, field.type
    if kind in ("text", "longtext", "phone", "email", "url", "credit_code", "date"):
        box = wrapper.locator(f'[name="{key}"]')
        if key == "main_business":
            box.fill("")
            box.press_sequentially(texts[key])  # one field really typed key by key
        elif key in texts:
            box.fill(texts[key])
        elif box.input_value().strip():
            return  # pre-filled from the organisation
        else:
            box.fill(
                {
                    "longtext": f"{field.label}：本单位围绕服务型制造持续投入，形成了可复制的做法。\n"
                    "第二段：成效明显。",
                    "url": "https://www.example.com",
                    "date": "2020-03-01",
                    "phone": "020-87654321",
                    "email": "info@example.com",
                }.get(kind, f"{field.label}示例")
            )
    elif kind in NUMBER_DEFAULTS:
        wrapper.locator(f'[name="{key}"]').fill(texts.get(key, NUMBER_DEFAULTS[kind]))
    elif kind == "choice":
        if key in choices:
            wrapper.locator(f'input[type=radio][value="{choices[key][0]}"]').check()
        elif wrapper.locator("select").count():
            wrapper.locator("select").select_option(index=1)
        elif not wrapper.locator("input[type=radio]:checked").count():
            wrapper.locator("input[type=radio]").first.check()
    elif kind == "multichoice":
        for option in choices.get(key, [field.options[0].key]):
            wrapper.locator(f'input[type=checkbox][value="{option}"]').check()
    elif kind == "yesno":
        wrapper.locator('input[type=radio][value="yes"]').check()
    elif kind == "confirm":
        wrapper.locator(f'input[type=checkbox][name="{key}"]').check()
    elif kind == "table":
        values = CELL_VALUES.get(key)
        if values is None:
            return  # optional table left empty
        for row_values in values:
            wrapper.locator("[data-add-row]").click()
            fill_cells(wrapper.locator("[data-rows] > [data-row]").last, row_values, field.columns)
    elif kind == "yearly":
        for row in field.rows:
            for year in field.years:
                cell = wrapper.locator(f'[name="{key}__{row.key}__{year}"]')
                if row.computed:
                    expect(cell).to_have_attribute("readonly", "")
                else:
                    cell.fill(FIGURES[row.key])
    elif kind == "service_revenue_breakdown":
        for option, amount in BREAKDOWN.items():
            cell = wrapper.locator(f'[name="{key}__{option}__revenue"]')
            expect(cell).to_be_visible()
            cell.fill(amount)
        # Only the ticked service types get a row.
        expect(wrapper.locator("[data-breakdown-option]:visible")).to_have_count(len(BREAKDOWN))
    elif kind == "attachments":
        return  # uploaded after the typed answers are saved
    else:  # pragma: no cover - a new field type needs a filler here
        raise AssertionError(f"no filler for {kind} ({key})")
    if kind in ("choice", "multichoice"):
        # "其他（请注明）": the text beside the ticked option.
        for name, text in texts.items():
            if name.startswith(f"{key}__other__"):
                wrapper.locator(f'[name="{name}"]').fill(text)


def fill_section(
    page: Any,
    form: Any,
    section_key: str,
    *,
    choices: dict[str, list[str]],
    texts: dict[str, str],
    skip: set[str] | frozenset[str] = frozenset(),
    uploads: dict[str, Path] | None = None,
) -> None:
    """Fill every field of the section on the page, wait for the save, upload files, check no feedback."""
    section = form.section(section_key)
    expect(page.locator("h1")).to_have_text(section.title)
    wrappers = page.locator("#section-form [data-field]")
    on_page = wrappers.evaluate_all("elements => elements.map(e => e.dataset.field)")
    assert on_page == [f.key for f in section.fields]
    for field in section.fields:
        if field.key in skip:
            continue
        fill_field(
            page,
            page.locator(f'#section-form [data-field="{field.key}"]'),
            field,
            choices=choices,
            texts=texts,
        )
    wait_saved(page)
    for key, path in (uploads or {}).items():
        upload(page, key, path)
    # Neither errors nor consistency warnings beside any field; the section counts as complete.
    expect(page.locator("#section-form [data-feedback-for] > div")).to_have_count(0)
    expect(page.locator(f'[data-progress-for="{section_key}"]')).to_have_class(re.compile(r"text-bg-success"))


def walk_sections(
    page: Any,
    form: Any,
    base_url: str,
    pk: int,
    *,
    choices: dict[str, list[str]],
    texts: dict[str, str],
    skip: set[str],
    uploads: dict[str, dict[str, Path]],
) -> None:
    sections = list(form.sections)
    page.get_by_role("link", name=sections[0].title, exact=True).click()
    for index, section in enumerate(sections):
        expect(page).to_have_url(f"{base_url}/applications/{pk}/sections/{section.key}/")
        fill_section(
            page, form, section.key, choices=choices, texts=texts, skip=skip, uploads=uploads.get(section.key)
        )
        if section.key == "operations":
            # The share is computed by the server and shown in the read-only row.
            for year in (2021, 2022, 2023):
                expect(page.locator(f'[name="operating__service_share__{year}"]')).to_have_value("30.00")
        shot(page, f"section-{section.key}")
        if index + 1 < len(sections):
            page.get_by_role("link", name=sections[index + 1].title, exact=True).click()
        else:
            # The button after the last section (the header has a small link to the same page).
            page.locator("a.btn", has_text="检查并提交").click()
    expect(page).to_have_url(f"{base_url}/applications/{pk}/submit/")


def submit_and_check(page: Any, base_url: str, pk: int, number_pattern: str) -> None:
    expect(page.locator("h1")).to_have_text("检查并提交")
    expect(page.locator("[data-testid=submit-problems]")).to_have_count(0)
    expect(page.locator(".alert-success")).to_contain_text("必填内容已全部完成，没有发现填写错误。")
    shot(page, "submit-page")
    page.on("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="提交申报书").click()
    expect(page).to_have_url(f"{base_url}/applications/{pk}/")
    expect(page.locator("[data-testid=application-state]")).to_have_text("已提交")
    expect(page.locator("[data-testid=application-number]")).to_have_text(re.compile(rf"^{number_pattern}$"))
    expect(page.locator(".alert-success")).to_contain_text("申报书已提交，申报编号")
    shot(page, "submitted")


def log_in_applicant(page: Any, base_url: str, email: str = "admin@example.com") -> None:
    log_in(page, base_url, email)
    expect(page.locator("[data-testid=applicant-home]")).to_be_visible()


# Tests --------------------------------------------------------------------------------------


def test_fill_the_complete_enterprise_form_and_submit(live_server: Any, page: Any, tmp_path: Path) -> None:
    from shifan.applications.models import Application

    factories.BatchFactory()
    make_organisation()
    base = live_server.url
    log_in_applicant(page, base)
    pk = start_application(page, base, "申报示范企业")
    form = Application.objects.get(pk=pk).form

    walk_sections(
        page,
        form,
        base,
        pk,
        choices={
            "modes": ["industrial_design", "other"],
            "service_types": list(BREAKDOWN),
            "service_team_form": ["department"],
        },
        texts={**TEXT_VALUES, "modes__other__other": "远程运维托管服务"},
        skip=set(),
        uploads={"written_status": {"strategy_planning": write_pdf(tmp_path, EVIDENCE_NAME)}},
    )

    # Autosave proof: a fresh load of the pages shows what was typed.
    page.goto(f"{base}/applications/{pk}/sections/operations/")
    page.reload()
    expect(page.locator('[name="operating__operating_revenue__2023"]')).to_have_value("10000")
    expect(page.locator('[name="operating__service_share__2023"]')).to_have_value("30.00")
    page.goto(f"{base}/applications/{pk}/sections/content/")
    page.reload()
    expect(page.locator('[name="modes__other__other"]')).to_have_value("远程运维托管服务")
    expect(page.locator('[name="service_revenue_breakdown__training__revenue"]')).to_have_value("2000")
    expect(page.locator('[name="awards__0__name"]')).to_have_value("广东省制造业单项冠军")
    expect(page.locator('[name="commitment"]')).to_be_checked()
    page.goto(f"{base}/applications/{pk}/sections/written_status/")
    expect(
        page.locator('[data-attachments-for="strategy_planning"]').get_by_role("link", name=EVIDENCE_NAME)
    ).to_be_visible()
    page.goto(f"{base}/applications/{pk}/sections/basic/")
    page.reload()
    expect(page.locator('[name="main_business"]')).to_have_value(TEXT_VALUES["main_business"])
    shot(page, "basic-after-reload")

    page.goto(f"{base}/applications/{pk}/")
    expect(page.locator(".list-group-item .text-bg-success")).to_have_count(len(form.sections))
    page.get_by_role("link", name="检查并提交").click()
    submit_and_check(page, base, pk, r"GD-SMD-2024-E-\d{4}")

    page.get_by_role("link", name="第 1 次提交").click()
    expect(page).to_have_url(f"{base}/applications/{pk}/snapshots/1/")
    main = page.locator("main")
    expect(main).to_contain_text(TEXT_VALUES["main_business"])
    expect(main).to_contain_text("30.00")
    expect(main).to_contain_text("远程运维托管服务")
    expect(main).to_contain_text("广东省制造业单项冠军")
    expect(main.get_by_role("link", name=EVIDENCE_NAME)).to_be_visible()
    shot(page, "snapshot")


def test_fill_the_complete_platform_form_and_submit(live_server: Any, page: Any, tmp_path: Path) -> None:
    from shifan.applications.models import Application

    factories.BatchFactory()
    make_organisation()
    base = live_server.url
    log_in_applicant(page, base)
    pk = start_application(page, base, "申报示范平台")
    form = Application.objects.get(pk=pk).form

    walk_sections(
        page,
        form,
        base,
        pk,
        choices={
            "main_mode": ["shared_manufacturing"],
            "shared_capabilities": [option.key for option in form.field("shared_capabilities").options],
        },
        texts=TEXT_VALUES,
        # 其他模式 is asked only when it is the main mode (required_if main_mode = other_modes).
        skip={"other_modes"},
        uploads={"written_construction": {"strategy": write_pdf(tmp_path, EVIDENCE_NAME)}},
    )

    page.goto(f"{base}/applications/{pk}/sections/basic/")
    page.reload()
    expect(page.locator('[name="platform_name"]')).to_have_value(TEXT_VALUES["platform_name"])
    expect(page.locator('[name="investors__1__name"]')).to_have_value("广州市产业投资基金")
    expect(page.locator('[name="investors__0__share"]')).to_have_value("60")
    page.goto(f"{base}/applications/{pk}/sections/application_type/")
    page.reload()
    expect(page.locator('input[name="main_mode"][value="shared_manufacturing"]')).to_be_checked()
    expect(page.locator('input[name="other_modes"]:checked')).to_have_count(0)
    expect(page.locator('input[name="shared_capabilities"]:checked')).to_have_count(6)
    page.goto(f"{base}/applications/{pk}/sections/operations/")
    page.reload()
    expect(page.locator('[name="operating__service_share__2021"]')).to_have_value("30.00")
    shot(page, "operations-after-reload")

    page.goto(f"{base}/applications/{pk}/submit/")
    submit_and_check(page, base, pk, r"GD-SMD-2024-P-\d{4}")

    page.get_by_role("link", name="第 1 次提交").click()
    main = page.locator("main")
    expect(main).to_contain_text(TEXT_VALUES["platform_name"])
    expect(main).to_contain_text("广州示范控股集团有限公司")
    expect(main).to_contain_text("共享制造")
    expect(main.get_by_role("link", name=EVIDENCE_NAME)).to_be_visible()
    shot(page, "snapshot")


def test_submit_page_lists_missing_fields_with_links(live_server: Any, page: Any) -> None:
    from shifan.applications import answers as answer_rules
    from shifan.applications.models import Application

    factories.BatchFactory()
    make_organisation()
    base = live_server.url
    log_in_applicant(page, base)
    pk = start_application(page, base, "申报示范企业")
    application = Application.objects.get(pk=pk)
    missing = answer_rules.missing_required(application.form, application.answers, {})

    page.get_by_role("link", name="检查并提交").click()
    problems = page.locator("[data-testid=submit-problems]")
    expect(problems).to_contain_text(f"还有 {len(missing)} 项必填内容未填写")
    expect(problems.locator("li")).to_have_count(len(missing))
    expect(problems).to_contain_text("填报单位意见及真实性承诺")
    expect(problems).not_to_contain_text("企业名称")  # pre-filled from the organisation
    expect(page.get_by_role("button", name="提交申报书")).to_be_disabled()
    shot(page, "missing-fields")

    problems.get_by_role("link", name="一、企业基本情况 › 企业登记注册类型").click()
    expect(page).to_have_url(f"{base}/applications/{pk}/sections/basic/#field-registration_type")
    expect(page.locator("h1")).to_have_text("一、企业基本情况")
    expect(page.locator("#field-registration_type")).to_be_in_viewport()
    shot(page, "field-from-link")


def test_two_members_editing_the_same_field_see_a_conflict(live_server: Any, new_page: Any) -> None:
    from shifan.applications import services

    batch = factories.BatchFactory()
    admin = make_organisation(admin_email="admin@example.com", admin_name="陈管理")
    factories.MembershipFactory(
        organisation=admin.organisation, user__email="li@example.com", user__name="李同事"
    )
    application = services.start_application(actor=admin.user, batch=batch, category="enterprise")
    base = live_server.url
    url = f"{base}/applications/{application.pk}/sections/basic/"

    first, second = new_page(), new_page()
    log_in_applicant(first, base, "admin@example.com")
    log_in_applicant(second, base, "li@example.com")
    first.goto(url)
    second.goto(url)

    first.locator('[name="main_business"]').fill("陈填写的主营业务")
    wait_saved(first)

    # The second page still started from the old version: its save of the same field is refused.
    second.locator('[name="main_business"]').fill("李填写的主营业务")
    box = second.locator("[data-conflict-for=main_business]")
    expect(box).to_be_visible(timeout=SAVE_TIMEOUT)
    expect(box).to_contain_text("陈管理")
    expect(box).to_contain_text("陈填写的主营业务")
    expect(box.get_by_role("button", name="保留我的修改")).to_be_visible()
    expect(box.get_by_role("button", name="采用对方的内容")).to_be_visible()
    expect(second.locator("[data-testid=autosave-status]")).to_have_attribute("data-state", "error")
    expect(second.locator('[name="main_business"]')).to_have_value("李填写的主营业务")
    shot(second, "conflict")

    box.get_by_role("button", name="保留我的修改").click()
    wait_saved(second)
    expect(box).to_be_hidden()
    shot(second, "kept-mine")

    first.reload()
    expect(first.locator('[name="main_business"]')).to_have_value("李填写的主营业务")

    # Nothing lost: both saves are in the history.
    first.goto(f"{base}/applications/{application.pk}/revisions/")
    rows = first.locator("tbody tr").filter(has_text="主营业务")
    expect(rows).to_have_count(2)
    expect(rows.filter(has_text="陈管理")).to_have_count(1)
    expect(rows.filter(has_text="李同事")).to_have_count(1)
    shot(first, "revisions")


def test_lost_connection_keeps_text_and_retries(live_server: Any, page: Any) -> None:
    from shifan.applications import services

    batch = factories.BatchFactory()
    admin = make_organisation()
    application = services.start_application(actor=admin.user, batch=batch, category="enterprise")
    base = live_server.url
    log_in_applicant(page, base)
    page.goto(f"{base}/applications/{application.pk}/sections/written_intro/")
    expect(page.locator("h1")).to_have_text("企业简介")
    allow_console_error(page, r"net::ERR_INTERNET_DISCONNECTED")

    text = "断网时写下的企业简介：本公司成立于2008年，主营工业装备。"
    page.context.set_offline(True)
    textarea = page.locator('textarea[name="intro"]')
    textarea.fill(text)
    status = page.locator("[data-testid=autosave-status]")
    expect(status).to_have_attribute("data-state", "offline", timeout=SAVE_TIMEOUT)
    expect(status).to_contain_text("网络中断")
    expect(textarea).to_have_value(text)
    assert page.evaluate("window.shifanAutosave.pending()") == 1
    shot(page, "offline")

    page.context.set_offline(False)
    expect(status).to_have_attribute("data-state", "saved", timeout=30_000)
    page.reload()
    expect(page.locator('textarea[name="intro"]')).to_have_value(text)
    shot(page, "saved-after-reconnect")


def test_bad_attachment_is_refused_with_reason(live_server: Any, page: Any, tmp_path: Path) -> None:
    from shifan.applications import services
    from shifan.applications.models import Attachment

    batch = factories.BatchFactory()
    admin = make_organisation()
    application = services.start_application(actor=admin.user, batch=batch, category="enterprise")
    base = live_server.url
    log_in_applicant(page, base)
    page.goto(f"{base}/applications/{application.pk}/sections/written_status/")

    fake = tmp_path / "fake.pdf"
    fake.write_text("这不是PDF，只是一段文字。\n", encoding="utf-8")
    slot = page.locator('[data-attachments-for="strategy_planning"]')
    slot.locator("input[type=file]").set_input_files(fake)
    # Without a title the file is refused beside the field, before its content is read.
    expect(slot.get_by_test_id("upload-error")).to_contain_text("请先填写附件标题")
    slot = page.locator('[data-attachments-for="strategy_planning"]')
    slot.get_by_label("附件标题").fill("假文件")
    slot.locator("input[type=file]").set_input_files(fake)
    error = page.locator('[data-attachments-for="strategy_planning"] [data-testid=upload-error]')
    expect(error).to_be_visible()
    expect(error).to_contain_text("文件内容不是允许的类型（允许：PDF、图片、Word 文档、Excel 表格）")
    expect(error).to_contain_text("扩展名为 .pdf 但内容不是 PDF")
    expect(
        page.locator('[data-attachments-for="strategy_planning"]').get_by_role("link", name="fake.pdf")
    ).to_have_count(0)
    shot(page, "refused")
    assert not Attachment.objects.filter(application=application).exists()

    # The slot still takes a real PDF afterwards.
    upload(page, "strategy_planning", write_pdf(tmp_path, EVIDENCE_NAME))
