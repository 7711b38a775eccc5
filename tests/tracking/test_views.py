"""Tracking pages through the test client (the real clock: rounds are opened due in 30 days)."""

import io
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from shifan.publicity.models import UnitStatus
from shifan.tracking import services
from shifan.tracking.models import Evaluation, Report
from tests import factories
from tests.helpers import login_verified
from tests.tracking.conftest import member_of, recognised, report_data

pytestmark = pytest.mark.django_db


@pytest.fixture
def round_(province_officer, units):
    return services.open_round(
        actor=province_officer,
        title="2025年度运行情况报告",
        year=2025,
        due_on=timezone.localdate() + timedelta(days=30),
    )


def report_of(round_, unit):
    return Report.objects.get(round=round_, unit=unit)


def test_province_opens_a_round_from_the_form(client, province_officer, units):
    login_verified(client, province_officer)
    due = timezone.localdate() + timedelta(days=20)
    response = client.post(
        reverse("tracking:round_new"),
        {"title": "2025年度运行情况报告", "year": "2025", "due_on": due.isoformat(), "reminder_days": "7,1"},
    )
    assert response.status_code == 302
    response = client.get(response["Location"])
    assert response.status_code == 200
    assert "已通知 3 家示范单位" in response.content.decode()


def test_round_form_shows_errors_beside_the_fields(client, province_officer, units):
    login_verified(client, province_officer)
    response = client.post(
        reverse("tracking:round_new"),
        {"title": "", "year": "2025", "due_on": "2020-01-01", "reminder_days": "七"},
    )
    assert response.status_code == 400
    body = response.content.decode()
    assert "请填写报告名称。" in body
    assert "请填写天数，用逗号分隔" in body


def test_unit_saves_a_draft_with_the_message_beside_the_field_then_submits(client, round_, units):
    member = member_of(units[0])
    login_verified(client, member)
    url = reverse("tracking:report", args=[report_of(round_, units[0]).pk])
    assert "提交报告" in client.get(url).content.decode()
    response = client.post(url, {**report_data(operating_revenue="abc"), "action": "save"})
    assert response.status_code == 200
    body = response.content.decode()
    assert 'value="abc"' in body
    assert "已暂存。有 1 处需要修改" in body
    response = client.post(url, {**report_data(service_revenue="1000"), "action": "submit"}, follow=True)
    body = response.content.decode()
    assert "报告已提交。" in body
    assert "已提交" in body
    assert report_of(round_, units[0]).flag_count == 2


def test_submit_with_a_missing_field_keeps_what_was_typed(client, round_, units):
    login_verified(client, member_of(units[0]))
    url = reverse("tracking:report", args=[report_of(round_, units[0]).pk])
    response = client.post(url, {**report_data(work_done=""), "action": "submit"})
    assert response.status_code == 400
    body = response.content.decode()
    assert "请填写此项。" in body
    assert "以数据驱动的全生命周期服务。" in body


def submit(round_, unit, **overrides):
    return services.submit_report(
        actor=member_of(unit), report=report_of(round_, unit), data=report_data(**overrides)
    )


def test_round_page_lists_states_flags_and_filters(client, province_officer, round_, units):
    submit(round_, units[0], service_revenue="1000")
    login_verified(client, province_officer)
    url = reverse("tracking:round", args=[round_.pk])
    body = client.get(url).content.decode()
    assert body.count('data-testid="report-row"') == 3
    assert "服务收入占比 10.00% 低于申报条件 20%" in body
    body = client.get(url, {"state": "pending"}).content.decode()
    assert body.count('data-testid="report-row"') == 2
    body = client.get(url, {"q": units[2].unit_name}).content.decode()
    assert body.count('data-testid="report-row"') == 1


def test_round_page_queries_do_not_grow_with_rows(client, province_officer, announcement):
    unit = recognised(announcement)
    login_verified(client, province_officer)
    first = services.open_round(
        actor=province_officer, title="一", year=2025, due_on=timezone.localdate() + timedelta(days=9)
    )
    url = reverse("tracking:round", args=[first.pk])
    client.get(url)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as one:
        client.get(url)
    recognised(announcement)
    recognised(announcement)
    second = services.open_round(
        actor=province_officer, title="二", year=2025, due_on=timezone.localdate() + timedelta(days=9)
    )
    with CaptureQueriesContext(connection) as three:
        client.get(reverse("tracking:round", args=[second.pk]))
    assert len(three) == len(one)
    assert unit


def test_round_export_is_a_workbook_of_every_unit(client, province_officer, round_, units):
    submit(round_, units[0])
    login_verified(client, province_officer)
    response = client.get(reverse("tracking:round", args=[round_.pk]), {"format": "xlsx"})
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[1][0] == "单位名称"
    assert [row[3] for row in rows[2:]] == ["已提交", "未提交", "未提交"]
    assert rows[2][7] == 30


def test_city_officer_reads_only_its_city(client, round_, units):
    submit(round_, units[1])
    city = factories.CityOfficerFactory(city_code="440300")
    login_verified(client, city)
    body = client.get(reverse("tracking:round", args=[round_.pk])).content.decode()
    assert body.count('data-testid="report-row"') == 1
    body = client.get(reverse("tracking:report", args=[report_of(round_, units[1]).pk])).content.decode()
    assert "保存评价" not in body
    assert "提交报告" not in body
    assert client.get(reverse("tracking:report", args=[report_of(round_, units[0]).pk])).status_code == 404


def test_evaluation_attention_needs_a_reason_on_the_page(client, province_officer, round_, units):
    report = submit(round_, units[0])
    login_verified(client, province_officer)
    url = reverse("tracking:evaluate", args=[report.pk])
    response = client.post(url, {"evaluation": "attention", "reason": ""})
    assert response.status_code == 400
    assert "评价为“关注”时请写明理由。" in response.content.decode()
    response = client.post(url, {"evaluation": "attention", "reason": "服务收入增长放缓"}, follow=True)
    assert "已评价为“关注”" in response.content.decode()
    report.refresh_from_db()
    assert report.evaluation == Evaluation.ATTENTION


def test_revocation_asks_to_confirm_then_is_public(client, province_officer, round_, units):
    report = submit(round_, units[0])
    login_verified(client, province_officer)
    response = client.post(
        reverse("tracking:evaluate", args=[report.pk]), {"evaluation": "revoke", "reason": "提供虚假材料。"}
    )
    assert response.status_code == 200
    assert "确认撤销" in response.content.decode()
    units[0].refresh_from_db()
    assert units[0].status == UnitStatus.ACTIVE
    response = client.post(reverse("tracking:revoke", args=[report.pk]), {"reason": "提供虚假材料。"})
    assert response.status_code == 400
    assert "请勾选确认。" in response.content.decode()
    client.post(reverse("tracking:revoke", args=[report.pk]), {"reason": "提供虚假材料。", "confirm": "on"})
    units[0].refresh_from_db()
    assert units[0].status == UnitStatus.REVOKED
    client.logout()
    body = client.get(reverse("tracking:public_revocations")).content.decode()
    assert units[0].unit_name in body
    assert "提供虚假材料。" in body


def test_unit_lists_its_reports(client, round_, units):
    login_verified(client, member_of(units[0]))
    body = client.get(reverse("tracking:own_reports")).content.decode()
    assert body.count('data-testid="own-report-row"') == 1
    assert "填报" in body


def test_round_list_runs_the_same_queries_for_one_and_three_rounds(client, province_officer, units):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    login_verified(client, province_officer)
    due = timezone.localdate() + timedelta(days=9)
    services.open_round(actor=province_officer, title="一", year=2025, due_on=due)
    url = reverse("tracking:rounds")
    client.get(url)
    with CaptureQueriesContext(connection) as one:
        assert client.get(url).content.decode().count('data-testid="round-row"') == 1
    for title in ("二", "三"):
        services.open_round(actor=province_officer, title=title, year=2025, due_on=due)
    with CaptureQueriesContext(connection) as three:
        assert client.get(url).content.decode().count('data-testid="round-row"') == 3
    # One summary query for all the rounds of the page: nothing per round, nothing per report.
    assert len(three) == len(one)
