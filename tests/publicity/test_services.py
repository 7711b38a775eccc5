from datetime import date, timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from shifan.applications.models import ApplicationState
from shifan.core.models import AuditEvent
from shifan.core.models import Notice as Notification
from shifan.expert_review import services as expert_review
from shifan.expert_review.services import ReviewError
from shifan.publicity import services
from shifan.publicity.models import (
    DemonstrationUnit,
    InquiryAddressee,
    NoticePhase,
    ObjectionEvidence,
    ObjectionState,
    ObjectorKind,
)
from shifan.publicity.services import FieldErrors, ObjectorDetails, PublicityError
from shifan.publicity.tasks import advance_notices
from tests import factories
from tests.publicity.conftest import END, START, open_notice

PERSON = ObjectorDetails(
    kind=ObjectorKind.PERSON,
    name="张明",
    phone="13800138000",
    grounds="该企业近三年发生过重大安全事故，与申报材料不符。",
)
DURING = START + timedelta(days=2)
AFTER = END + timedelta(days=1)


def _object(notice, entry=None, *, details=PERSON, today=DURING, ip="203.0.113.5", **kwargs):
    entry = entry or notice.entries.first()
    return services.file_objection(
        notice=notice, entry=entry, details=details, ip_address=ip, today=today, **kwargs
    )


# Opening


def test_open_notice_computes_end_and_freezes_the_list(province_officer, batch, listed):
    notice = open_notice(province_officer, batch, today=START - timedelta(days=3))
    assert notice.ends_on == END
    assert notice.state == NoticePhase.SCHEDULED
    entries = list(notice.entries.order_by("category", "position"))
    assert [(e.category, e.position) for e in entries] == [
        ("enterprise", 1),
        ("enterprise", 2),
        ("platform", 1),
    ]
    assert entries[0].modes == "工业设计服务、供应链管理"
    assert entries[2].modes == "共享制造"
    assert entries[0].city_name == "广州市"
    # Not started yet: the applications stay proposed.
    assert {a.state for a in batch.applications.all()} == {ApplicationState.PROPOSED}


def test_open_notice_starting_today_puts_applications_in_notice_and_tells_the_units(
    province_officer, batch, listed
):
    notice = open_notice(province_officer, batch)
    assert notice.state == NoticePhase.OPEN
    assert {a.state for a in batch.applications.all()} == {ApplicationState.IN_NOTICE}
    admin = listed[0].organisation.memberships.get().user
    assert Notification.objects.filter(recipient=admin, title__contains="拟认定名单公示").exists()
    assert AuditEvent.objects.filter(action="publicity.in_notice").count() == 3


def test_open_notice_refuses_unfixed_list_past_start_and_second_notice(province_officer, batch, listed):
    with pytest.raises(PublicityError, match="早于今天"):
        open_notice(province_officer, batch, starts_on=START - timedelta(days=1))
    open_notice(province_officer, batch)
    with pytest.raises(PublicityError, match="已发布公示"):
        open_notice(province_officer, batch)
    other = factories.BatchFactory()
    with pytest.raises(PublicityError, match="尚未确定"):
        open_notice(province_officer, other)


def test_open_notice_is_for_province_officers_only(city_officer, batch, listed):
    with pytest.raises(PublicityError, match="省工信厅"):
        open_notice(city_officer, batch)


def test_open_notice_across_national_day_skips_the_holiday(db):
    period = services.notice_period(starts_on=date(2024, 9, 27), working_days=7)
    # 9/27, 9/29 (a Sunday worked in lieu), 9/30, then 10/8–10/11 after the holiday.
    assert period.ends_on == date(2024, 10, 11)
    assert period.warning == ""


def test_notice_into_uncovered_year_needs_acknowledgement(province_officer, batch, listed):
    today = date(2026, 12, 24)
    with pytest.raises(PublicityError, match="2027年") as refusal:
        open_notice(province_officer, batch, starts_on=today, today=today)
    assert refusal.value.field == "accept_uncovered"
    notice = open_notice(province_officer, batch, starts_on=today, today=today, accept_uncovered=True)
    assert "2027年" in notice.calendar_warning


def test_reopening_the_list_is_refused_once_published(province_officer, batch, listed):
    open_notice(province_officer, batch, today=START - timedelta(days=3))
    with pytest.raises(ReviewError, match="已发布公示"):
        expert_review.reopen_proposed_list(actor=province_officer, batch=batch, reason="复核")


def test_cancel_a_notice_before_it_starts(province_officer, batch, listed):
    notice = open_notice(province_officer, batch, today=START - timedelta(days=3))
    services.cancel_notice(
        actor=province_officer, notice=notice, reason="日期有误", today=START - timedelta(days=2)
    )
    assert not batch.__class__.objects.get(pk=batch.pk).__dict__.get("notice")
    assert AuditEvent.objects.filter(action="publicity.notice_cancelled", reason="日期有误").exists()
    # The list can be published again.
    open_notice(province_officer, batch, today=START - timedelta(days=2))


def test_cancel_is_refused_once_started(province_officer, batch, listed):
    notice = open_notice(province_officer, batch)
    with pytest.raises(PublicityError, match="已经开始"):
        services.cancel_notice(actor=province_officer, notice=notice, reason="x", today=START)


# Phases by date


def test_phase_follows_the_dates_even_without_the_worker(province_officer, batch, listed):
    notice = open_notice(province_officer, batch, today=START - timedelta(days=3))
    assert notice.phase(START - timedelta(days=1)) == NoticePhase.SCHEDULED
    assert notice.phase(START) == NoticePhase.OPEN
    assert notice.phase(END) == NoticePhase.OPEN
    assert notice.phase(AFTER) == NoticePhase.CLOSED
    assert not notice.accepts_objections(AFTER)


def test_advance_task_opens_and_closes_lagging_notices(province_officer, batch, listed):
    notice = open_notice(province_officer, batch, starts_on=date(2026, 11, 30), today=date(2026, 11, 27))
    notice.starts_on = date(2026, 11, 2)
    notice.ends_on = date(2026, 11, 10)
    notice.save(update_fields=["starts_on", "ends_on"])
    # Today is past the end: one run opens the notice and closes it.
    assert advance_notices.call() == 1
    notice.refresh_from_db()
    assert notice.state == NoticePhase.CLOSED
    assert {a.state for a in batch.applications.all()} == {ApplicationState.IN_NOTICE}
    assert Notification.objects.filter(recipient=province_officer, title__startswith="公示期满").exists()
    assert advance_notices.call() == 0


@pytest.mark.django_db(transaction=True)
def test_publishing_queues_the_phase_changes_on_a_deferring_backend(
    settings, province_officer, batch, listed
):
    from django_tasks_db.models import DBTaskResult

    # The demo's and production's backend: tasks wait in the database until their time.
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    open_notice(
        province_officer, batch, starts_on=date(2030, 3, 4), today=date(2030, 3, 1), accept_uncovered=True
    )
    runs = sorted(
        timezone.localtime(result.run_after).date()
        for result in DBTaskResult.objects.filter(task_path__endswith="advance_notices")
    )
    # Opens on the first day; closes the day after the seventh working day (Tuesday 12 March).
    assert runs == [date(2030, 3, 4), date(2030, 3, 13)]


# Objections


def test_objection_during_the_period_gets_a_reference_and_tells_the_province(province_officer, batch, listed):
    notice = open_notice(province_officer, batch)
    evidence = SimpleUploadedFile("事故通报.pdf", b"%PDF-1.4\n%evidence\n", content_type="application/pdf")
    objection = _object(notice, evidence=[evidence])
    assert objection.reference.startswith("YY2024-")
    assert objection.state == ObjectionState.RECEIVED
    assert ObjectionEvidence.objects.get(objection=objection).original_name == "事故通报.pdf"
    assert Notification.objects.filter(recipient=province_officer, title__startswith="收到异议").exists()
    event = AuditEvent.objects.get(action="publicity.objection_received")
    assert "张明" not in event.target_label
    assert "138" not in str(event.after)


@pytest.mark.parametrize(
    ("today", "message"), [(START - timedelta(days=1), "尚未开始"), (AFTER, "逾期提出的异议不予受理")]
)
def test_objection_outside_the_period_is_refused(province_officer, batch, listed, today, message):
    notice = open_notice(province_officer, batch, today=START - timedelta(days=3))
    with pytest.raises(PublicityError, match=message):
        _object(notice, today=today)


@pytest.mark.parametrize(
    ("details", "field", "message"),
    [
        (ObjectorDetails(kind="person", name="", phone="13800138000", grounds="x" * 20), "name", "实名"),
        (ObjectorDetails(kind="person", name="匿名", phone="13800138000", grounds="x" * 20), "name", "匿名"),
        (
            ObjectorDetails(kind="person", name="知情人", phone="13800138000", grounds="x" * 20),
            "name",
            "匿名",
        ),
        (ObjectorDetails(kind="person", name="张明", phone="12345", grounds="x" * 20), "phone", "联系电话"),
        (
            ObjectorDetails(
                kind="person",
                name="张明",
                phone="13800138000",
                grounds="x" * 20,
                id_number="440101199001011234",
            ),
            "id_number",
            "身份证",
        ),
        (
            ObjectorDetails(kind="person", name="张明", phone="13800138000", grounds="太短"),
            "grounds",
            "事实和理由",
        ),
        (
            ObjectorDetails(
                kind="organisation", name="某公司", phone="020-12345678", grounds="x" * 20, credit_code="123"
            ),
            "credit_code",
            "",
        ),
        (
            ObjectorDetails(
                kind="organisation",
                name="某公司",
                phone="020-12345678",
                grounds="x" * 20,
                credit_code="91440101MA59XXXXXX",
            ),
            "contact_person",
            "联系人",
        ),
    ],
)
def test_objection_must_be_real_name(province_officer, batch, listed, details, field, message):
    notice = open_notice(province_officer, batch)
    with pytest.raises(FieldErrors) as errors:
        _object(notice, details=details)
    assert field in errors.value.errors
    assert message in errors.value.errors[field]


def test_organisation_objection_with_valid_code(province_officer, batch, listed):
    notice = open_notice(province_officer, batch)
    code = factories.credit_code_for("440100", 99)
    details = ObjectorDetails(
        kind="organisation",
        name="广州某制造有限公司",
        phone="020-12345678",
        grounds="该平台服务收入数据与实际不符。",
        credit_code=code,
        contact_person="李华",
    )
    objection = _object(notice, details=details)
    assert objection.credit_code == code
    assert objection.contact_person == "李华"


def test_objections_are_rate_limited_per_address(province_officer, batch, listed):
    notice = open_notice(province_officer, batch)
    for _ in range(services.OBJECTIONS_PER_HOUR):
        _object(notice)
    with pytest.raises(PublicityError, match="每小时"):
        _object(notice)
    # Another address is not affected.
    _object(notice, ip="198.51.100.7")


def test_objection_evidence_is_checked(province_officer, batch, listed):
    notice = open_notice(province_officer, batch)
    fake = SimpleUploadedFile("证明.pdf", b"MZ\x90\x00 not a pdf", content_type="application/pdf")
    with pytest.raises(FieldErrors) as errors:
        _object(notice, evidence=[fake])
    assert "证明.pdf" in errors.value.errors["evidence"]


# Checking and deciding


def test_inquiry_to_the_unit_shows_only_the_question(province_officer, batch, listed):
    notice = open_notice(province_officer, batch)
    objection = _object(notice)
    inquiry = services.send_inquiry(
        actor=province_officer,
        objection=objection,
        addressee=InquiryAddressee.UNIT,
        question="请说明2023年安全生产情况。",
    )
    objection.refresh_from_db()
    assert objection.state == ObjectionState.CHECKING
    admin = listed[0].organisation.memberships.get().user
    note = Notification.objects.get(recipient=admin, title__startswith="公示异议核查")
    assert "张明" not in note.body
    assert "13800138000" not in note.body
    other = factories.MembershipFactory().user
    assert services.can_answer(other, inquiry)[0] is False
    services.answer_inquiry(
        actor=admin, inquiry=inquiry, answer="2023年未发生安全生产事故，附应急管理部门证明。"
    )
    with pytest.raises(PublicityError, match="已答复"):
        services.answer_inquiry(actor=admin, inquiry=inquiry, answer="再次答复内容")


def test_inquiry_to_the_city_is_answered_by_that_city_only(province_officer, batch, listed):
    notice = open_notice(province_officer, batch)
    objection = _object(notice)
    inquiry = services.send_inquiry(
        actor=province_officer, objection=objection, addressee=InquiryAddressee.CITY, question="请地市核实。"
    )
    own = factories.CityOfficerFactory(city_code="440100")
    other = factories.CityOfficerFactory(city_code="440300")
    assert services.can_answer(own, inquiry) == (True, "")
    with pytest.raises(PublicityError, match="所在地市"):
        services.answer_inquiry(actor=other, inquiry=inquiry, answer="与本市无关的答复")


def test_upheld_objection_removes_the_unit_and_notifies_both_sides_apart(
    province_officer, batch, listed, mailoutbox, django_capture_on_commit_callbacks
):
    notice = open_notice(province_officer, batch)
    entry = notice.entries.get(application=listed[0])
    objection = _object(
        notice, entry, details=PERSON.__class__(**{**PERSON.__dict__, "email": "zhang@example.cn"})
    )
    with django_capture_on_commit_callbacks(execute=True):
        services.decide_objection(
            actor=province_officer,
            objection=objection,
            upheld=True,
            findings="经应急管理部门核实，2023年发生较大安全事故。",
            reason="不符合申报条件（近三年未发生较大及以上安全事故）。",
            today=DURING,
        )
    entry.refresh_from_db()
    listed[0].refresh_from_db()
    assert entry.removed_at is not None
    assert listed[0].state == ApplicationState.NOT_SELECTED
    admin = listed[0].organisation.memberships.get().user
    told = Notification.objects.get(recipient=admin, title__startswith="公示异议处理结果")
    assert "异议成立" in told.title
    assert "张明" not in told.body
    assert any("异议处理结果" in mail.subject and "zhang@example.cn" in mail.to for mail in mailoutbox)
    with pytest.raises(PublicityError, match="已处理完毕"):
        services.decide_objection(
            actor=province_officer, objection=objection, upheld=False, findings="x", reason="y"
        )


def test_decision_needs_findings_and_reason(province_officer, batch, listed):
    notice = open_notice(province_officer, batch)
    objection = _object(notice)
    with pytest.raises(FieldErrors) as errors:
        services.decide_objection(
            actor=province_officer, objection=objection, upheld=False, findings=" ", reason=""
        )
    assert set(errors.value.errors) == {"findings", "reason"}


# Announcement


def _announce(actor, notice, today=AFTER, **kwargs):
    values = {
        "number": "粤工信融合函〔2024〕12号",
        "title": "关于公布示范名单的通告",
        "issued_on": today,
        "body": "特此通告。",
    }
    values.update(kwargs)
    return services.publish_announcement(actor=actor, notice=notice, today=today, **values)


def test_announcement_waits_for_the_end_and_every_decision(province_officer, batch, listed):
    notice = open_notice(province_officer, batch)
    objection = _object(notice)
    with pytest.raises(PublicityError, match="期满后"):
        _announce(province_officer, notice, today=END)
    with pytest.raises(PublicityError, match="1 件异议未处理"):
        _announce(province_officer, notice)
    services.decide_objection(
        actor=province_officer,
        objection=objection,
        upheld=False,
        findings="经核查，事故发生在2019年。",
        reason="不在近三年内。",
    )
    announcement = _announce(province_officer, notice)
    assert announcement.units.count() == 3


def test_announcement_recognises_the_remaining_units(province_officer, batch, listed):
    notice = open_notice(province_officer, batch)
    objection = _object(notice, notice.entries.get(application=listed[1]))
    services.decide_objection(
        actor=province_officer, objection=objection, upheld=True, findings="属实", reason="数据不实"
    )
    announcement = _announce(province_officer, notice, issued_on=date(2025, 3, 20))
    units = list(DemonstrationUnit.objects.order_by("category", "position"))
    assert [unit.application_id for unit in units] == [listed[0].pk, listed[2].pk]
    assert [(unit.category, unit.position) for unit in units] == [("enterprise", 1), ("platform", 1)]
    assert units[0].valid_from == date(2025, 3, 20)
    assert units[0].valid_until == date(2028, 3, 19)
    states = {a.pk: a.state for a in batch.applications.all()}
    assert states == {
        listed[0].pk: ApplicationState.RECOGNISED,
        listed[1].pk: ApplicationState.NOT_SELECTED,
        listed[2].pk: ApplicationState.RECOGNISED,
    }
    city = factories.CityOfficerFactory(city_code="440100")
    assert city  # created after: only officers existing at publication are told
    admin = listed[0].organisation.memberships.get().user
    assert Notification.objects.filter(recipient=admin, title__contains="被认定为").exists()
    assert AuditEvent.objects.filter(
        action="publicity.announcement_published", target_id=str(announcement.pk)
    ).exists()


def test_announcement_fields_are_checked(province_officer, batch, listed):
    notice = open_notice(province_officer, batch)
    with pytest.raises(FieldErrors) as errors:
        _announce(province_officer, notice, number="", issued_on=END - timedelta(days=1))
    assert set(errors.value.errors) == {"number", "issued_on"}


def test_national_recommendation_needs_priority_and_reason(province_officer, batch, listed):
    notice = open_notice(province_officer, batch)
    announcement = _announce(province_officer, notice, issued_on=date.today())
    unit = announcement.units.first()
    with pytest.raises(FieldErrors) as errors:
        services.recommend_nationally(
            actor=province_officer, unit=unit, recommended=True, priority=None, note=""
        )
    assert set(errors.value.errors) == {"priority", "note"}
    services.recommend_nationally(
        actor=province_officer, unit=unit, recommended=True, priority=1, note="服务收入占比高"
    )
    unit.refresh_from_db()
    assert unit.national_recommended
    assert unit.national_priority == 1
    assert services.next_priority() == 2
