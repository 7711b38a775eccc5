"""A city officer exports his city's books: the page queues the job, a separate `db_worker`
process builds the ZIP while the page's progress bar follows it, and the officer downloads it.

The task runs as in the demo and in production: queued in the database, picked up by a worker
process (`manage.py db_worker --batch`, on the live server's test database).
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests import factories
from tests.browser.conftest import GUANGZHOU, log_in_officer, officer_with_device, shot
from tests.helpers import start_worker

pytestmark = pytest.mark.browser

NAMES = ["广州甲制造有限公司", "广州乙装备有限公司"]


def submitted(batch: Any, name: str) -> Any:
    from shifan.demo.answers import complete_answers

    organisation = factories.OrganisationFactory(name=name, city_code=GUANGZHOU)
    application = factories.ApplicationFactory(batch=batch, organisation=organisation)
    application.answers = {**complete_answers(application.form), "company_name": name}
    application.save(update_fields=["answers"])
    factories.submitted(application)
    return application


def test_city_officer_exports_his_books_and_downloads_the_zip(
    live_server: Any, new_page: Any, settings: Any, tmp_path: Path
) -> None:
    from django.db import connection
    from pypdf import PdfReader

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    batch = factories.BatchFactory()
    applications = [submitted(batch, name) for name in NAMES]
    factories.ApplicationFactory(batch=batch, organisation=factories.OrganisationFactory(city_code=GUANGZHOU))
    city = officer_with_device(
        email="city@example.com", name="李市局", role="city_officer", city_code=GUANGZHOU
    )

    page = new_page()
    log_in_officer(page, live_server.url, city, "[data-testid=city-home]")
    page.get_by_role("link", name="申报书导出", exact=True).click()
    expect(page.locator("h1")).to_have_text("申报书批量导出")
    # The draft is not counted; choosing a category updates the count without a reload.
    expect(page.locator("[data-testid=export-count]")).to_contain_text("共有 2 份已提交的申报书")
    page.get_by_label("申报类别").select_option(label="示范平台")
    expect(page.locator("[data-testid=export-count]")).to_contain_text("还没有已提交的申报书")
    page.get_by_label("申报类别").select_option(label="全部类别")
    expect(page.locator("[data-testid=export-count]")).to_contain_text("共有 2 份已提交的申报书")
    # Narrowed to one state: none of the two is 已推荐 yet.
    page.get_by_label("申报状态").select_option(label="已推荐")
    expect(page.locator("[data-testid=export-count]")).to_contain_text("已推荐）还没有已提交的申报书")
    page.get_by_label("申报状态").select_option(label="已提交")
    expect(page.locator("[data-testid=export-count]")).to_contain_text("共有 2 份已提交的申报书")
    shot(page, "form")

    page.get_by_role("button", name="开始导出").click()
    expect(page.locator(".alert-success")).to_contain_text("已开始导出2份申报书")
    job = page.locator("[data-testid=export-job]")
    expect(job.locator("[data-testid=export-state]")).to_have_text("排队中")
    expect(job.get_by_role("progressbar")).to_have_attribute("aria-valuenow", "0")
    shot(page, "queued")

    worker = start_worker(connection.settings_dict)
    try:
        # The page polls the job every second: it sees the worker start, then finish.
        expect(job).to_have_attribute("data-state", "running", timeout=30_000)
        expect(job.locator("[data-testid=export-state]")).to_have_text("已完成", timeout=90_000)
        output = worker.communicate(timeout=30)[0].decode()
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.communicate()
    assert worker.returncode == 0, output
    expect(job.get_by_role("progressbar")).to_have_attribute("aria-valuenow", "100")
    expect(job).to_contain_text("完成：2 份申报书和汇总表")
    bar = job.locator("[data-progress]")
    assert bar.evaluate("element => element.style.width") == "100%"
    shot(page, "done")

    with page.expect_download() as download_info:
        job.locator("[data-testid=export-download]").click()
    download = download_info.value
    assert download.suggested_filename == "2024年广东省服务型制造示范征集-广州市-全部类别-申报书.zip"
    saved = tmp_path / "export.zip"
    download.save_as(saved)
    with zipfile.ZipFile(saved) as archive:
        names = archive.namelist()
        expected = sorted(f"广州市/{a.number} {a.organisation.name} 申报书.pdf" for a in applications)
        assert names == [*expected, "申报书汇总表.xlsx"]
        for name in expected:
            reader = PdfReader(io.BytesIO(archive.read(name)))
            assert name.split("/")[1].split()[0] in reader.pages[1].extract_text()
