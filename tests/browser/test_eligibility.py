"""The eligibility checklist beside the form: a failing rule with its numbers, corrected, passes."""

from typing import Any

import pytest
from playwright.sync_api import expect

from tests import factories
from tests.browser.conftest import log_in, make_organisation, shot

pytestmark = pytest.mark.browser


def test_revenue_below_the_threshold_fails_then_passes_after_correction(live_server: Any, page: Any) -> None:
    from shifan.applications import services
    from shifan.applications.answers import prefill_answers
    from shifan.demo.answers import complete_answers

    batch = factories.BatchFactory()
    membership = make_organisation()
    organisation, admin = membership.organisation, membership.user
    application = services.start_application(actor=admin, batch=batch, category="enterprise")
    answers = {**complete_answers(application.form), **prefill_answers(application.form, organisation)}
    answers["operating"]["main_business_revenue"]["2023"] = "4200"
    services.save_answers(
        actor=admin, application=application, base_version=application.version, values=answers
    )
    application.refresh_from_db()

    log_in(page, live_server.url, admin.email)
    page.goto(f"{live_server.url}/applications/{application.pk}/submit/")
    blocked = page.locator("[data-testid=submit-blocked]")
    expect(blocked).to_contain_text("4,200万元 < 5,000万元")
    expect(page.get_by_role("button", name="提交申报书")).to_be_disabled()
    shot(page, "blocked-by-revenue")

    page.goto(f"{live_server.url}/applications/{application.pk}/sections/operations/")
    rule = page.locator('[data-eligibility-panel] [data-rule="prior_year_revenue"]')
    expect(rule).to_have_attribute("data-outcome", "fail")
    expect(rule).to_contain_text("4,200")
    page.locator('input[name="operating__main_business_revenue__2023"]').fill("6000")
    expect(page.locator("[data-testid=autosave-status]")).to_have_attribute("data-state", "saved")
    expect(rule).to_have_attribute("data-outcome", "pass")
    expect(rule).to_contain_text("6,000")
    shot(page, "corrected")

    page.goto(f"{live_server.url}/applications/{application.pk}/submit/")
    expect(page.locator("[data-testid=submit-blocked]")).to_have_count(0)
    expect(page.locator("[data-testid=submit-problems]")).to_have_count(0)
    expect(page.get_by_role("button", name="提交申报书")).to_be_enabled()
