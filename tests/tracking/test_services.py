"""Tracking services against a real database with a fixed clock."""

from datetime import timedelta

import pytest

from shifan.core.models import AuditEvent
from shifan.core.models import Notice as InAppNotice
from shifan.publicity.models import DemonstrationUnit, UnitStatus
from shifan.tracking import selectors, services
from shifan.tracking.models import Evaluation, Reminder, Report, ReportState
from shifan.tracking.services import FieldErrors, TrackingError
from tests import factories
from tests.tracking.conftest import DUE, TODAY, announced, at, member_of, open_round, recognised, report_data

pytestmark = pytest.mark.django_db


# --- rounds ---------------------------------------------------------------------------------------


def test_open_round_creates_a_report_per_active_unit_and_notifies_members(
    province_officer, units, mailoutbox, django_capture_on_commit_callbacks
):
    units[2].status = UnitStatus.REVOKED
    units[2].save()
    with django_capture_on_commit_callbacks(execute=True):
        round_ = open_round(province_officer)
    assert sorted(round_.reports.values_list("unit_id", flat=True)) == sorted([units[0].pk, units[1].pk])
    assert round_.reminder_days == [7, 1]
    member = member_of(units[0])
    notice = InAppNotice.objects.get(recipient=member)
    assert notice.title == "请填报2024年度运行情况报告"
    assert "2025年3月31日前" in notice.body
    assert any(member.email in mail.to for mail in mailoutbox)
    assert AuditEvent.objects.filter(action="tracking.round_opened").count() == 1


def test_open_round_for_one_category(province_officer, units):
    round_ = open_round(province_officer, category="platform")
    assert list(round_.reports.values_list("unit_id", flat=True)) == [units[2].pk]


def test_open_round_refuses_a_batch_whose_spec_has_no_tracking_form(province_officer, units):
    text = units[0].application.batch.spec_text
    old = factories.BatchFactory(
        name="2022年旧规格批次",
        spec_text=text[: text.index("\ntracking:")] + "\n" + text[text.index("# 评审指标及权重") :],
    )
    recognised(announced(old, province_officer))
    with pytest.raises(TrackingError) as error:
        open_round(province_officer)
    assert "批次「2022年旧规格批次」的申报规格没有动态跟踪报告表" in error.value.message
    # The batch that has the form can still have its round.
    assert open_round(province_officer, batch=units[0].application.batch).reports.count() == 3


def test_open_round_checks_its_fields(province_officer, units):
    with pytest.raises(FieldErrors) as error:
        open_round(province_officer, title=" ", due_on=TODAY)
    assert set(error.value.errors) == {"title", "due_on"}


def test_only_province_opens_a_round(city_officer, units):
    with pytest.raises(TrackingError):
        open_round(city_officer)


def test_open_round_with_no_active_unit_is_refused(province_officer, batch):
    with pytest.raises(TrackingError, match="没有符合条件的有效示范单位"):
        open_round(province_officer)


# --- reports and their state ----------------------------------------------------------------------


@pytest.fixture
def round_(province_officer, units):
    return open_round(province_officer)


def report_of(round_, unit):
    return Report.objects.get(round=round_, unit=unit)


def test_state_is_computed_on_read_from_the_clock(round_, units):
    report = report_of(round_, units[0])
    assert report.state(DUE) == ReportState.PENDING
    assert report.state(DUE + timedelta(days=1)) == ReportState.OVERDUE


def test_submission_on_the_due_day_is_on_time_and_after_it_late(round_, units):
    on_time = services.submit_report(
        actor=member_of(units[0]), report=report_of(round_, units[0]), data=report_data(), now=at(DUE, 23)
    )
    late = services.submit_report(
        actor=member_of(units[1]),
        report=report_of(round_, units[1]),
        data=report_data(),
        now=at(DUE + timedelta(days=1), 0),
    )
    assert on_time.state() == ReportState.SUBMITTED
    assert late.state() == ReportState.LATE
    counts = selectors.state_counts(round_.reports.all(), DUE, DUE + timedelta(days=2))
    assert counts == {"pending": 0, "submitted": 1, "overdue": 1, "late": 1}


def test_save_keeps_bad_input_and_returns_the_message_beside_the_field(round_, units):
    report, errors = services.save_report(
        actor=member_of(units[0]),
        report=report_of(round_, units[0]),
        data=report_data(operating_revenue="一万"),
    )
    assert report.answers["operating_revenue"] == "一万"
    assert report.submitted_at is None
    assert "operating_revenue" in errors


def test_submit_refuses_missing_required_fields_but_keeps_the_draft(round_, units):
    data = report_data(work_done="", major_accident="yes")
    with pytest.raises(FieldErrors) as error:
        services.submit_report(
            actor=member_of(units[0]), report=report_of(round_, units[0]), data=data, now=at(TODAY)
        )
    assert set(error.value.errors) == {"work_done", "accident_details"}
    report = report_of(round_, units[0])
    assert report.submitted_at is None
    assert report.answers["major_accident"] is True


def test_submitted_report_computes_share_and_cannot_be_changed(round_, units):
    member = member_of(units[0])
    report = services.submit_report(
        actor=member, report=report_of(round_, units[0]), data=report_data(), now=at(TODAY)
    )
    assert report.answers["service_share"] == "30.00"
    assert report.flags == []
    with pytest.raises(TrackingError, match="已提交"):
        services.save_report(actor=member, report=report, data=report_data())


def test_submitted_report_is_flagged_below_twenty_percent(round_, units):
    report = services.submit_report(
        actor=member_of(units[0]),
        report=report_of(round_, units[0]),
        data=report_data(service_revenue="1500"),
        now=at(TODAY),
    )
    assert [flag["kind"] for flag in report.flags] == ["share_below", "share_drop"]
    assert report.flag_count == 2


def test_another_organisation_cannot_fill_the_report(round_, units):
    with pytest.raises(TrackingError, match="只有示范单位的成员"):
        services.save_report(
            actor=member_of(units[1]), report=report_of(round_, units[0]), data=report_data()
        )


def test_closed_round_takes_no_more_reports(province_officer, round_, units):
    services.close_round(actor=province_officer, round_=round_)
    with pytest.raises(TrackingError, match="已结束"):
        services.save_report(
            actor=member_of(units[0]), report=report_of(round_, units[0]), data=report_data()
        )


# --- reminders ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("days_before", "kind"),
    [(8, ""), (7, "before-7"), (3, "before-7"), (1, "before-1"), (0, "before-1"), (-1, "overdue")],
)
def test_reminder_windows(round_, units, days_before, kind):
    report = report_of(round_, units[0])
    assert services.reminder_due(report, set(), DUE - timedelta(days=days_before)) == kind


def test_a_late_worker_sends_only_the_closest_reminder(round_, units):
    report = report_of(round_, units[0])
    assert services.reminder_due(report, set(), DUE - timedelta(days=1)) == "before-1"
    assert services.reminder_due(report, {"before-1"}, DUE) == ""


def test_reminders_are_sent_once_and_recorded(round_, units):
    sent = services.send_reminders(now=at(DUE - timedelta(days=7), 8))
    assert sent == 3
    assert services.send_reminders(now=at(DUE - timedelta(days=6), 8)) == 0
    assert Reminder.objects.filter(kind="before-7").count() == 3
    member = member_of(units[0])
    assert InAppNotice.objects.filter(recipient=member, title__contains="将于2025年3月31日截止").count() == 1


def test_submitted_reports_get_no_reminder(round_, units):
    services.submit_report(
        actor=member_of(units[0]), report=report_of(round_, units[0]), data=report_data(), now=at(TODAY)
    )
    assert services.send_reminders(now=at(DUE - timedelta(days=1), 8)) == 2


def test_overdue_reminder_fires_once_after_the_due_date(round_, units):
    assert services.send_reminders(now=at(DUE + timedelta(days=1), 8)) == 3
    assert services.send_reminders(now=at(DUE + timedelta(days=5), 8)) == 0
    assert set(Reminder.objects.values_list("kind", flat=True)) == {"overdue"}


def test_closed_round_sends_no_reminder(province_officer, round_):
    services.close_round(actor=province_officer, round_=round_)
    assert services.send_reminders(now=at(DUE + timedelta(days=1), 8)) == 0


def test_reminder_task_and_command_run_the_same(round_, settings, capsys):
    from django.core.management import call_command

    call_command("send_tracking_reminders")
    # The real today (after 2025) is past the due date: every report is overdue once.
    assert "3 reminder(s) sent" in capsys.readouterr().out
    call_command("send_tracking_reminders")
    assert "0 reminder(s) sent" in capsys.readouterr().out


# --- evaluation and revocation --------------------------------------------------------------------


@pytest.fixture
def submitted(round_, units):
    return services.submit_report(
        actor=member_of(units[0]), report=report_of(round_, units[0]), data=report_data(), now=at(TODAY)
    )


def test_evaluation_good_needs_no_reason_and_notifies_the_unit(province_officer, submitted, units):
    report = services.evaluate_report(
        actor=province_officer, report=submitted, evaluation=Evaluation.GOOD, reason="", now=at(DUE)
    )
    assert (report.evaluation, report.evaluated_by) == (Evaluation.GOOD, province_officer)
    assert InAppNotice.objects.filter(
        recipient=member_of(units[0]), title__endswith="评价结果：良好"
    ).exists()


@pytest.mark.parametrize("evaluation", [Evaluation.ATTENTION, Evaluation.RECTIFY, Evaluation.REVOKE])
def test_evaluation_other_than_good_needs_a_reason(province_officer, submitted, evaluation):
    with pytest.raises(FieldErrors) as error:
        services.evaluate_report(actor=province_officer, report=submitted, evaluation=evaluation, reason=" ")
    assert "reason" in error.value.errors


def test_pending_report_cannot_be_evaluated_before_the_due_date(province_officer, round_, units):
    with pytest.raises(TrackingError, match="尚未提交"):
        services.evaluate_report(
            actor=province_officer,
            report=report_of(round_, units[1]),
            evaluation="good",
            reason="",
            now=at(TODAY),
        )


def test_overdue_unit_can_be_revoked(province_officer, round_, units):
    report = services.evaluate_report(
        actor=province_officer,
        report=report_of(round_, units[1]),
        evaluation=Evaluation.REVOKE,
        reason="逾期未报送运行情况报告，经催告仍未报送。",
        now=at(DUE + timedelta(days=30)),
    )
    assert report.evaluation == Evaluation.REVOKE


def test_revocation_revokes_the_unit_keeps_its_row_and_is_public(province_officer, submitted, units):
    services.evaluate_report(
        actor=province_officer,
        report=submitted,
        evaluation=Evaluation.REVOKE,
        reason="服务收入占比连续两年低于20%。",
    )
    unit = DemonstrationUnit.objects.get(pk=units[0].pk)
    assert unit.status == UnitStatus.REVOKED
    assert not unit.is_valid()
    assert list(selectors.revocations()) == [submitted]
    event = AuditEvent.objects.get(action="tracking.unit_revoked")
    assert event.reason == "服务收入占比连续两年低于20%。"
    assert InAppNotice.objects.filter(
        recipient=member_of(units[0]), title__endswith="示范称号已撤销"
    ).exists()
    assert unit.revoked_at is not None
    # A revoked unit leaves the active list: the next round does not include it.
    assert units[0] not in services.units_for_round()
    with pytest.raises(TrackingError, match="不能再修改"):
        services.evaluate_report(actor=province_officer, report=submitted, evaluation="good", reason="")


def test_evaluation_counts_per_evaluation_and_state(province_officer, submitted, round_, units):
    services.evaluate_report(
        actor=province_officer, report=submitted, evaluation="attention", reason="关注服务收入"
    )
    counts = selectors.evaluation_counts(today=TODAY)
    assert counts["evaluations"] == {"good": 0, "attention": 1, "rectify": 0, "revoke": 0, "none": 2}
    assert counts["states"] == {"pending": 2, "submitted": 1, "overdue": 0, "late": 0}
    other = factories.BatchFactory()
    assert selectors.evaluation_counts(other, today=TODAY)["states"] == dict.fromkeys(ReportState.values, 0)


# --- selectors per role ---------------------------------------------------------------------------


def test_selectors_scope_reports_by_role(province_officer, round_, units):
    city = factories.CityOfficerFactory(city_code="440300")
    assert selectors.visible_reports(province_officer).count() == 3
    assert [r.unit for r in selectors.visible_reports(city)] == [units[1]]
    assert [r.unit for r in selectors.visible_reports(member_of(units[2]))] == [units[2]]
    assert selectors.visible_reports(factories.ExpertProfileFactory().user).count() == 0
    assert selectors.has_open_report(member_of(units[0]))
    assert not selectors.has_open_report(factories.MembershipFactory().user)


def test_the_menus_report_entry_follows_rounds_opened_and_closed_at_once(
    province_officer, units, django_assert_num_queries
):
    # Kept per person between pages, but opening or closing a round is seen on the next page.
    member = member_of(units[0])
    assert not selectors.has_open_report(member)
    with django_assert_num_queries(0):
        assert not selectors.has_open_report(member)
    round_ = open_round(province_officer)
    assert selectors.has_open_report(member)
    with django_assert_num_queries(0):
        assert selectors.has_open_report(member)
    services.close_round(actor=province_officer, round_=round_)
    assert not selectors.has_open_report(member)


def test_round_reports_filter_by_state_flag_city_and_query(province_officer, round_, units):
    services.submit_report(
        actor=member_of(units[0]),
        report=report_of(round_, units[0]),
        data=report_data(service_revenue="1000"),
        now=at(TODAY),
    )
    officer = province_officer

    def names(**filters):
        return [r.unit for r in selectors.round_reports(officer, round_, today=TODAY, **filters)]

    assert names(state="submitted") == [units[0]]
    assert names(state="pending") == [units[1], units[2]]
    assert names(state="overdue") == []
    assert names(flagged="yes") == [units[0]]
    assert names(city_code="441400") == [units[2]]
    assert names(query=units[1].unit_name) == [units[1]]
    assert names(evaluation="none") == units


def test_the_published_announcement_marks_a_unit_revoked_later_with_the_date(
    client, province_officer, submitted, units
):
    from django.urls import reverse
    from django.utils import timezone

    url = reverse("publicity:public_announcement", kwargs={"pk": units[0].announcement_id})
    before = client.get(url).content.decode()
    assert units[0].unit_name in before
    assert "撤销示范称号" not in before
    services.evaluate_report(
        actor=province_officer, report=submitted, evaluation=Evaluation.REVOKE, reason="不再符合条件。"
    )
    # The page kept for the announcement is not served stale: the revocation shows at once.
    after = client.get(url).content.decode()
    day = timezone.localtime(DemonstrationUnit.objects.get(pk=units[0].pk).revoked_at)
    assert f"已于{day.year}年{day.month}月{day.day}日撤销示范称号" in after
    assert f"<s>{units[0].unit_name}</s>" in after
