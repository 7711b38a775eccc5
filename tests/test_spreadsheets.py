"""Every workbook the project exports keeps what people typed as text, never as a formula.

Each export is fed a value beginning with =, +, -, @, tab or carriage return in every text column
it has (names, contacts, opinions, objections, reasons, comments, titles), then its bytes are read
twice: by openpyxl, and as the raw sheet XML inside the .xlsx. No cell may be a formula; each
hostile cell holds exactly what was stored; numbers stay numbers and times are Beijing time.
"""

import datetime
import io
import zipfile

import pytest
from django.urls import reverse
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook

from shifan.applications.models import Snapshot
from shifan.demo.answers import complete_answers
from shifan.expert_review.models import Assignment, ProposedList, Selection
from shifan.publicity.models import DemonstrationUnit, Objection
from shifan.publicity.services import ObjectorDetails
from shifan.tracking.models import Report
from tests import factories
from tests.core.test_sheets import HOSTILE, TRIGGERS, assert_no_formula, raw_cells
from tests.helpers import login_verified

pytestmark = pytest.mark.django_db

GUANGZHOU = "440100"


def hostile_organisation(text, city_code=GUANGZHOU):
    """An organisation whose name, credit code and contact are all `text` (cut to the columns)."""
    return factories.OrganisationFactory(
        name=text, credit_code=text[:18], contact_name=text, contact_phone=text[:30], city_code=city_code
    )


def submitted(batch, organisation, category="enterprise"):
    """An application of `organisation` with complete answers, submitted (one snapshot)."""
    application = factories.ApplicationFactory(batch=batch, organisation=organisation, category=category)
    application.answers = complete_answers(application.form)
    application.save(update_fields=["answers"])
    snapshot = factories.submitted(application)
    application.refresh_from_db()
    return application, snapshot


def rows_by_header(data, header_row, sheet=None):
    """Return the workbook's data rows below `header_row` as {header: cell} dictionaries."""
    workbook = load_workbook(io.BytesIO(data))
    worksheet = workbook[sheet] if sheet else workbook.active
    rows = list(worksheet.iter_rows(min_row=header_row))
    header = [cell.value for cell in rows[0]]
    return [dict(zip(header, row, strict=True)) for row in rows[1:]]


def assert_text(cell, expected):
    """The cell holds exactly `expected`, a value beginning with a formula character, as text."""
    assert expected.startswith(TRIGGERS), f"not a hostile value: {expected!r}"
    assert (cell.value, cell.data_type) == (expected, "s"), cell.coordinate
    # Excel's mark that keeps the text text when the cell is edited; it shows no apostrophe.
    assert cell.quotePrefix, cell.coordinate


def assert_raw_text(data, expected, sheet_part="xl/worksheets/sheet1.xml"):
    """Some cell of the sheet's XML holds `expected` as an inline string, with no formula."""
    cells = raw_cells(data)[sheet_part]
    matching = [value for value in cells.values() if value[1] == expected]
    assert matching, f"{expected!r} is not in {sheet_part}"
    assert all(value == ("inlineStr", expected, False) for value in matching), matching


def assert_number(cell, expected=None):
    assert cell.data_type == "n", f"{cell.coordinate} is {cell.value!r}, not a number"
    assert isinstance(cell.value, int | float)
    if expected is not None:
        assert cell.value == expected


def beijing(moment):
    """The wall-clock time the pages show for an aware datetime, as Excel holds it (to the second)."""
    return timezone.localtime(moment).replace(tzinfo=None, microsecond=0)


def assert_time(cell, moment):
    assert cell.is_date, cell.coordinate
    assert cell.value.replace(microsecond=0) == beijing(moment)
    assert cell.number_format == "yyyy-mm-dd hh:mm"


# The city's 推荐汇总表


def recommended(text, city_officer):
    from shifan.reviews import services

    batch = factories.BatchFactory()
    application, snapshot = submitted(batch, hostile_organisation(text))
    # What the applicant typed as the contact, as the snapshot keeps it.
    Snapshot.objects.filter(pk=snapshot.pk).update(
        answers={**snapshot.answers, "contact_name": text, "contact_phone": text}
    )
    recommendation = services.recommend_application(
        actor=city_officer, application=application, opinion=text, truthfulness_confirmed=True
    )
    return batch, application, recommendation


def summary_of(batch):
    from shifan.reviews import exports, selectors

    return exports.recommendation_summary(batch, GUANGZHOU, selectors.recommendations(batch, GUANGZHOU))


@pytest.mark.parametrize("text", HOSTILE)
def test_recommendation_summary_keeps_names_contacts_and_opinions_as_text(text, city_officer):
    batch, application, recommendation = recommended(text, city_officer)
    data = summary_of(batch)
    assert_no_formula(data)
    [row] = rows_by_header(data, 3)
    assert_text(row["申报单位"], text)
    assert_text(row["统一社会信用代码"], text[:18])
    assert_text(row["联系人"], text)
    assert_text(row["联系电话"], text)
    assert_text(row["推荐意见"], recommendation.opinion)
    assert_raw_text(data, text)
    assert_number(row["推荐排序"], 1)
    assert_number(row["上年主营业务收入（万元）"], 9000)
    assert_number(row["上年服务收入占比（%）"], 30)


def test_recommendation_summary_keeps_any_text_after_a_formula_character(city_officer):
    batch, application, recommendation = recommended("=1+1", city_officer)

    # Any text a page can store: NUL never reaches the database (forms refuse it and
    # core.http.posted_text takes it out; PostgreSQL refuses it in text), nor does half of a
    # surrogate pair (a form's bytes are decoded as UTF-8, which cannot hold one).
    storable = st.text(
        alphabet=st.characters(blacklist_characters="\x00", blacklist_categories=("Cs",)),
        min_size=1,
        max_size=40,
    )

    @given(text=st.builds(str.__add__, st.sampled_from(TRIGGERS), storable))
    @settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    def check(text):
        from shifan.core.sheets import UNWRITABLE

        type(recommendation).objects.filter(pk=recommendation.pk).update(opinion=text)
        data = summary_of(batch)
        assert_no_formula(data)
        [row] = rows_by_header(data, 3)
        assert (row["推荐意见"].value, row["推荐意见"].data_type) == (UNWRITABLE.sub("", text), "s")

    check()


# The objection register and the list of demonstration units


@pytest.fixture
def publicity_batch(province_officer):
    batch = factories.BatchFactory()
    ProposedList.objects.create(batch=batch, fixed_at=timezone.now(), fixed_by=province_officer)
    return batch


def notice_of(text, officer, batch, *, starts_on, today):
    from shifan.publicity import services
    from tests.publicity.conftest import proposed

    proposed(batch, name=text)
    return services.open_notice(
        actor=officer,
        batch=batch,
        starts_on=starts_on,
        title=text,
        contact_office="生产服务业处",
        contact_phone="020-83133333",
        today=today,
        accept_uncovered=True,
    )


@pytest.mark.parametrize("text", HOSTILE)
def test_objection_register_keeps_the_publics_text_as_text(text, province_officer, publicity_batch):
    from shifan.publicity import exports, services

    today = timezone.localdate()
    notice = notice_of(text, province_officer, publicity_batch, starts_on=today, today=today)
    objection = services.file_objection(
        notice=notice,
        entry=notice.entries.get(),
        details=ObjectorDetails(
            kind="person", name=text, phone="13800138000", grounds=f"{text}，申报数据与事实不符，请核查。"
        ),
    )
    # Columns the public form checks (phone, code) hold what older or imported rows may hold.
    Objection.objects.filter(pk=objection.pk).update(
        phone=text[:30], credit_code=text[:18], contact_person=text
    )
    services.decide_objection(
        actor=province_officer, objection=objection, upheld=False, findings=text, reason=text
    )
    objection.refresh_from_db()
    notice.refresh_from_db()

    from shifan.core.sheets import workbook_bytes

    data = workbook_bytes(exports.objections_workbook(notice))
    assert_no_formula(data)
    sheet = load_workbook(io.BytesIO(data)).active
    assert_text(sheet["A1"], f"{notice.title}：异议登记表")
    [row] = rows_by_header(data, 3)
    assert_text(row["被异议单位"], notice.entries.get().unit_name)
    assert_text(row["异议人"], objection.name)
    assert_text(row["联系电话"], text[:30])
    assert_text(row["统一社会信用代码"], text[:18])
    assert_text(row["联系人"], text)
    assert_text(row["异议事实和理由"], objection.grounds)
    assert_text(row["核查情况"], objection.findings)
    assert_text(row["处理意见"], objection.decision_reason)
    assert_raw_text(data, text[:18])
    assert_time(row["提交时间"], objection.submitted_at)
    assert_time(row["处理时间"], objection.decided_at)


@pytest.mark.parametrize("text", HOSTILE)
def test_units_list_keeps_names_numbers_and_reasons_as_text(text, client, province_officer, publicity_batch):
    from shifan.publicity import services
    from tests.publicity.conftest import START
    from tests.publicity.test_views import announce

    notice = notice_of(text, province_officer, publicity_batch, starts_on=START, today=START)
    announce(province_officer, notice, number=text)
    unit = DemonstrationUnit.objects.get()
    services.recommend_nationally(actor=province_officer, unit=unit, recommended=True, priority=1, note=text)
    unit.refresh_from_db()
    login_verified(client, province_officer)
    response = client.get(reverse("publicity:units"), {"format": "xlsx"})
    data = response.content
    assert_no_formula(data)
    [row] = rows_by_header(data, 2)
    assert_text(row["通告文号"], unit.announcement.number)
    assert_text(row["单位名称"], unit.unit_name)
    assert_text(row["推荐理由"], unit.national_note)
    assert_number(row["序号"], 1)
    assert_number(row["优先次序"], 1)
    assert row["有效期起"].value == datetime.datetime.combine(unit.valid_from, datetime.time())
    assert row["有效期起"].number_format == "yyyy-mm-dd"


# The expert review's results


@pytest.mark.parametrize("text", HOSTILE)
def test_expert_results_keep_names_reasons_and_comments_as_text(text, province_officer):
    from shifan.expert_review import exports, services
    from tests.expert_review.conftest import accepted, expert
    from tests.expert_review.test_services import full_sheet, publish

    batch = factories.BatchFactory(name=text, experts_per_application=2, expert_max_load=3)
    first, second = accepted(batch, name=text), accepted(batch, name=text)
    for _ in range(3):
        expert(user__name=text, employer=f"{text}研究院")
    publish(batch, province_officer)
    for application, value in ((first, "4"), (second, "3")):
        for assignment in Assignment.objects.filter(application=application):
            services.confirm_no_conflict(actor=assignment.expert, assignment=assignment, signed=True)
            services.save_scores(
                actor=assignment.expert,
                assignment=assignment,
                submit=True,
                **{**full_sheet(assignment, value), "overall_comment": f"{text}，总体较好，建议推荐。"},
            )
    # The second in the ranking is chosen over the first: both departures carry the reason.
    services.mark_proposed_list(
        actor=province_officer,
        batch=batch,
        category="enterprise",
        selected={second.pk},
        reasons={first.pk: text, second.pk: text},
    )
    batch.refresh_from_db()
    data = exports.results_workbook(batch)
    assert_no_formula(data)
    sheet = load_workbook(io.BytesIO(data))["示范企业排名"]
    assert_text(sheet["A1"], f"{batch.name}：示范企业专家评审排名")
    ranking = rows_by_header(data, 3, "示范企业排名")
    assert [row["排名"].value for row in ranking] == [1, 2]
    for row in ranking:
        assert_text(row["申报单位"], first.organisation.name)
        selection = Selection.objects.get(application__number=row["申报编号"].value)
        assert_text(row["调整理由"], selection.departure_reason)
        for column in ("专家平均分", "评审得分", "答辩/考察调整", "最终得分", "标准差"):
            assert_number(row[column])
    assert [row["最终得分"].value for row in ranking] == [56.0, 42.0]
    details = [row for row in rows_by_header(data, 1, "专家评分明细") if row["专家"].value is not None]
    assert len(details) == 4
    comment = Assignment.objects.filter(application=first).first().overall_comment
    for row in details:
        assert_text(row["申报单位"], first.organisation.name)
        assert_text(row["专家"], text)
        assert_text(row["工作单位"], f"{text}研究院")
        assert_text(row["综合意见"], comment)
        assert_number(row["总分"])
    assert_raw_text(data, first.organisation.name)


# The tracking round


@pytest.mark.parametrize("text", HOSTILE)
def test_tracking_round_keeps_names_and_reasons_as_text_and_times_in_beijing(text, client, province_officer):
    from shifan.tracking import services
    from tests.tracking.conftest import TODAY, announced, at, member_of, open_round, recognised, report_data

    batch = factories.BatchFactory()
    unit = recognised(announced(batch, province_officer))
    # The name the unit was recognised under, as the round's workbook reads it.
    DemonstrationUnit.objects.filter(pk=unit.pk).update(unit_name=text)
    round_ = open_round(province_officer, title=text)
    report = Report.objects.get(round=round_, unit=unit)
    # 03:30 UTC is 11:30 in Beijing.
    submitted_at = datetime.datetime(2025, 3, 3, 3, 30, tzinfo=datetime.UTC)
    services.submit_report(actor=member_of(unit), report=report, data=report_data(), now=submitted_at)
    services.evaluate_report(
        actor=province_officer, report=report, evaluation="attention", reason=text, now=at(TODAY, 12)
    )
    report.refresh_from_db()
    round_.refresh_from_db()
    login_verified(client, province_officer)
    response = client.get(reverse("tracking:round", args=[round_.pk]), {"format": "xlsx"})
    data = response.content
    assert_no_formula(data)
    sheet = load_workbook(io.BytesIO(data)).active
    assert_text(sheet["A1"], round_.title)
    [row] = rows_by_header(data, 2)
    assert_text(row["单位名称"], text)
    assert_text(row["评价理由"], report.evaluation_reason)
    assert_raw_text(data, text)
    assert row["提交时间"].value == datetime.datetime(2025, 3, 3, 11, 30)
    assert_time(row["提交时间"], report.submitted_at)
    assert_number(row["营业收入（万元）"], 10000)
    assert_number(row["服务收入（万元）"], 3000)
    assert_number(row["服务收入占比（%）"], 30)


# The bulk export's summary workbook


@pytest.mark.parametrize("text", HOSTILE)
def test_export_summary_keeps_names_and_codes_as_text(text, province_officer):
    from shifan.documents.exports import SUMMARY_NAME, build_export_zip, snapshots_for_export

    batch = factories.BatchFactory(name=text)
    application, snapshot = submitted(batch, hostile_organisation(text))
    out = io.BytesIO()
    build_export_zip(
        snapshots_for_export(province_officer, batch, city_code="", category=""), out, processes=1
    )
    with zipfile.ZipFile(out) as archive:
        data = archive.read(SUMMARY_NAME)
    assert_no_formula(data)
    sheet = load_workbook(io.BytesIO(data)).active
    assert_text(sheet["A1"], f"{batch.name}申报书汇总表")
    [row] = rows_by_header(data, 3)
    assert_text(row["申报单位"], text)
    assert_text(row["统一社会信用代码"], text[:18])
    assert_raw_text(data, text)
    assert_number(row["序号"], 1)
    assert_number(row["提交次数"], 1)
    snapshot.refresh_from_db()
    assert_time(row["提交时间"], snapshot.submitted_at)


# The dashboard's charts


@pytest.mark.parametrize("text", HOSTILE)
def test_chart_workbook_keeps_the_batch_name_as_text_and_counts_as_numbers(text, client, province_officer):
    from tests.expert_review.conftest import accepted

    batch = factories.BatchFactory(name=text)
    accepted(batch)
    login_verified(client, province_officer)
    response = client.get(reverse("dashboard:chart_download", args=["funnel"]), {"batch": batch.pk})
    data = response.content
    assert_no_formula(data)
    sheet = load_workbook(io.BytesIO(data)).active
    subtitle = sheet["A2"]
    assert subtitle.data_type == "s"
    assert subtitle.value.startswith(text)
    assert subtitle.quotePrefix
    rows = list(sheet.iter_rows(min_row=4))
    assert rows
    for row in rows:
        assert row[0].data_type == "s"
        for cell in row[1:]:
            if cell.value is not None:
                assert_number(cell)
