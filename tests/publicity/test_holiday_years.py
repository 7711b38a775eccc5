"""Holiday years: explicit coverage, proposed statutory holidays, days that do not exist, and
notices whose published end a later override no longer gives."""

from datetime import date

import pytest
from django.urls import reverse

from shifan.core.models import AuditEvent
from shifan.publicity import services
from shifan.publicity.calendar import (
    CalendarError,
    add_calendar_override,
    complete_years,
    holiday_proposals,
    import_calendar_overrides,
    mark_year_complete,
    parse_overrides,
    proposal_text,
    unmark_year,
)
from shifan.publicity.models import CalendarOverride, CalendarYear, DayKind
from shifan.publicity.services import PublicityError
from tests import factories
from tests.publicity.conftest import END, START, open_notice

CALENDAR = reverse("publicity:calendar")


@pytest.mark.parametrize(
    "text", ["2027-02-30", "2027-2-29", "2027年2月29日", "2027/04/31", "2027-02-29至2027-03-02"]
)
def test_a_day_the_calendar_lacks_is_said_not_to_exist(text):
    _days, errors = parse_overrides(f"{text} 休")
    assert len(errors) == 1
    assert "这一天不存在" in errors[0].message


@pytest.mark.parametrize("text", ["2028-02-29", "2027-13-01", "2027-02-32", "2027-2-3x"])
def test_a_real_day_or_a_malformed_one_is_not_called_missing(text):
    days, errors = parse_overrides(f"{text} 休")
    assert all("这一天不存在" not in error.message for error in errors)
    assert bool(days) is (text == "2028-02-29")


def test_the_day_field_says_the_day_does_not_exist(officer_client):
    response = officer_client.post(
        reverse("publicity:calendar_add"), {"day": "2027-02-30", "kind": "holiday", "note": ""}
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert 'id="id_day-error"' in page
    assert "这一天不存在" in page
    assert not CalendarOverride.objects.exists()
    calculator = officer_client.get(CALENDAR, {"start": "2027-02-29", "days": 5}).content.decode()
    assert "这一天不存在" in calculator


def test_marking_a_year_complete_is_audited_and_refused_for_package_years(province_officer):
    add_calendar_override(actor=province_officer, day=date(2027, 1, 1), kind=DayKind.HOLIDAY, note="元旦")
    mark_year_complete(actor=province_officer, year=2027)
    mark_year_complete(actor=province_officer, year=2027)  # twice: one mark, one event
    assert complete_years() == {2027}
    event = AuditEvent.objects.get(action="publicity.calendar_year_completed")
    assert event.after == {"year": 2027, "holidays": 1}
    with pytest.raises(CalendarError, match="自动计算"):
        mark_year_complete(actor=province_officer, year=2025)
    with pytest.raises(CalendarError, match="理由"):
        unmark_year(actor=province_officer, year=2027, reason=" ")
    unmark_year(actor=province_officer, year=2027, reason="春节安排有误")
    assert complete_years() == set()
    assert AuditEvent.objects.get(action="publicity.calendar_year_reopened").reason == "春节安排有误"


@pytest.mark.parametrize("role", ["applicant", "city", "expert"])
def test_only_province_officers_mark_years(db, role):
    actor = {
        "applicant": lambda: factories.MembershipFactory().user,
        "city": factories.CityOfficerFactory,
        "expert": lambda: factories.ExpertProfileFactory().user,
    }[role]()
    with pytest.raises(CalendarError):
        mark_year_complete(actor=actor, year=2027)
    assert not CalendarYear.objects.exists()


def test_the_proposals_leave_out_the_days_already_entered_and_import_as_they_are(province_officer):
    add_calendar_override(actor=province_officer, day=date(2027, 1, 1), kind=DayKind.HOLIDAY, note="元旦")
    proposals = holiday_proposals(2027)
    assert date(2027, 1, 1) not in [pasted.day for pasted in proposals]
    assert len(proposals) == 12
    created = import_calendar_overrides(actor=province_officer, text=proposal_text(proposals))
    assert len(created) == 12
    assert CalendarOverride.objects.get(day=date(2027, 2, 5)).note == "春节"
    assert holiday_proposals(2027) == []
    # Entering them is not marking the year: the 调休 days may still be missing.
    assert complete_years() == set()


def test_the_page_offers_the_proposals_in_the_paste_box(officer_client):
    page = officer_client.get(CALENDAR, {"year": 2027, "propose": 2027}).content.decode()
    assert 'data-year="2027"' in page
    assert "02-05 春节" in page
    assert "2027-02-05 休 春节\n2027-02-06 休 春节" in page  # in the paste box, to check and save
    assert "2027-04-05 休 清明节" in page


# --- a notice whose end a later override moves ----------------------------------------------------


def test_an_override_inside_a_published_period_shows_the_new_end(province_officer, listed, batch):
    notice = open_notice(province_officer, batch)
    assert notice.ends_on == END
    assert services.end_review(notice, START) is None
    # Outside the period: nothing to decide.
    add_calendar_override(actor=province_officer, day=date(2025, 3, 12), kind=DayKind.HOLIDAY)
    assert services.end_review(notice, START) is None
    add_calendar_override(actor=province_officer, day=date(2025, 3, 5), kind=DayKind.HOLIDAY)
    assert services.end_review(notice, START) == date(2025, 3, 13)
    assert services.notices_to_review(START) == [(notice, date(2025, 3, 13))]


def test_the_province_extends_the_notice_to_the_new_end(province_officer, listed, batch):
    notice = open_notice(province_officer, batch)
    add_calendar_override(actor=province_officer, day=date(2025, 3, 5), kind=DayKind.HOLIDAY)
    notice = services.settle_notice_end(actor=province_officer, notice=notice, extend=True, today=START)
    notice.refresh_from_db()
    assert notice.ends_on == date(2025, 3, 12)  # one working day later
    assert services.end_review(notice, START) is None
    event = AuditEvent.objects.get(action="publicity.notice_end_moved")
    assert event.before == {"ends_on": END.isoformat()}
    assert event.after == {"ends_on": "2025-03-12"}


def test_the_province_keeps_the_end_only_with_a_reason(province_officer, listed, batch):
    notice = open_notice(province_officer, batch)
    add_calendar_override(actor=province_officer, day=date(2025, 3, 10), kind=DayKind.WORKDAY)
    add_calendar_override(actor=province_officer, day=date(2025, 3, 4), kind=DayKind.HOLIDAY)
    end = services.end_review(notice, START)
    assert end is not None
    with pytest.raises(PublicityError, match="理由"):
        services.settle_notice_end(actor=province_officer, notice=notice, extend=False, today=START)
    services.settle_notice_end(
        actor=province_officer, notice=notice, extend=False, reason="已按原日期公告", today=START
    )
    notice.refresh_from_db()
    assert notice.ends_on == END
    assert notice.end_kept_for == end
    assert services.end_review(notice, START) is None
    assert AuditEvent.objects.get(action="publicity.notice_end_kept").reason == "已按原日期公告"
    # A further change of the calendar asks again.
    add_calendar_override(actor=province_officer, day=date(2025, 3, 6), kind=DayKind.HOLIDAY)
    assert services.end_review(notice, START) not in (None, END)


def test_a_city_officer_cannot_settle_a_notice_end(province_officer, listed, batch):
    notice = open_notice(province_officer, batch)
    add_calendar_override(actor=province_officer, day=date(2025, 3, 5), kind=DayKind.HOLIDAY)
    city = factories.CityOfficerFactory()
    with pytest.raises(PublicityError):
        services.settle_notice_end(actor=city, notice=notice, extend=True, today=START)
    notice.refresh_from_db()
    assert notice.ends_on == END
