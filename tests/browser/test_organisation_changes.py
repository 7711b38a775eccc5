"""An organisation in review asks to move city; the province approves; the application stays put."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import log_in, log_in_officer, make_organisation, officer_with_device, shot

pytestmark = pytest.mark.browser

SHENZHEN, FUTIAN = "440300", "440304"


def submitted_application(membership: Any) -> Any:
    from shifan.accounts.models import Organisation, User, VerificationState
    from shifan.applications import services
    from shifan.programs.models import Batch
    from tests import factories
    from tests.applications.test_services import complete

    # Its e-mail and documents verified (tests/browser/test_registration.py walks that through).
    User.objects.filter(pk=membership.user_id).update(email_verified=True)
    Organisation.objects.filter(pk=membership.organisation_id).update(
        verification_state=VerificationState.VERIFIED
    )
    batch = Batch.objects.first() or factories.BatchFactory()
    application = services.start_application(actor=membership.user, batch=batch, category="enterprise")
    complete(application, membership.user)
    services.submit_application(actor=membership.user, application=application)
    application.refresh_from_db()
    return application


def test_a_move_in_review_is_approved_by_the_province_and_the_application_stays(
    live_server: Any, new_page: Any
) -> None:
    from shifan.accounts.models import Organisation

    membership = make_organisation(admin_email="admin@example.com")
    application = submitted_application(membership)
    province = officer_with_device(email="sheng@example.com", name="省厅林", role="province_officer")
    guangzhou_officer = officer_with_device(
        email="gz@example.com", name="广州市局", role="city_officer", city_code="440100"
    )

    admin = new_page()
    log_in(admin, live_server.url, "admin@example.com")
    expect(admin.locator("[data-testid=applicant-home]")).to_be_visible()
    admin.goto(f"{live_server.url}/organisation/edit/")
    expect(admin.locator("[data-testid=in-process]")).to_contain_text(application.number)
    admin.locator("#id_city_code").select_option(SHENZHEN)
    admin.locator("#id_county_code").select_option(FUTIAN)
    admin.get_by_role("button", name="保存").click()
    # Without a reason the change is refused beside the reason field.
    expect(admin.locator("#id_change_reason").locator("xpath=..")).to_contain_text("须写明理由")
    shot(admin, "reason-asked")
    admin.locator("#id_change_reason").fill("公司注册地已迁至深圳市福田区，营业执照已变更。")
    admin.get_by_role("button", name="保存").click()
    expect(admin.locator(".alert-success")).to_contain_text("已提交省工信厅审核")
    expect(admin.locator("[data-testid=change-row]")).to_contain_text("待审核")
    shot(admin, "request-filed")
    assert Organisation.objects.get(pk=membership.organisation_id).city_code == "440100"

    officer = new_page()
    log_in_officer(officer, live_server.url, province, "[data-testid=province-home]")
    officer.get_by_role("button", name="系统管理").click()
    officer.get_by_role("link", name="单位信息变更审核").click()
    row = officer.locator("[data-testid=change-row]").filter(has_text=membership.organisation.name)
    expect(row).to_contain_text("深圳市")
    row.get_by_role("link", name="审核").click()
    expect(officer.locator("main")).to_contain_text(application.number)
    officer.get_by_label("核准变更").check()
    officer.once("dialog", lambda dialog: dialog.accept())
    shot(officer, "decision")
    officer.get_by_role("button", name="提交审核结果").click()
    expect(officer.locator(".alert-success")).to_contain_text("已核准")
    assert Organisation.objects.get(pk=membership.organisation_id).city_code == SHENZHEN

    # The application stays with 广州, under the name it was submitted with.
    city = new_page()
    log_in_officer(city, live_server.url, guangzhou_officer, "[data-testid=city-home]")
    city.goto(f"{live_server.url}/review/?batch={application.batch_id}")
    expect(city.locator("main")).to_contain_text(application.number)
    shot(city, "still-in-guangzhou-queue")
