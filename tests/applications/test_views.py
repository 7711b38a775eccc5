import json
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.urls import reverse

from shifan.applications import services
from shifan.applications.models import Application
from tests import factories
from tests.core.test_filetypes import DOCX, PDF
from tests.helpers import login_verified

pytestmark = pytest.mark.django_db


@pytest.fixture
def batch(db):
    return factories.BatchFactory()


@pytest.fixture
def application(batch, applicant_admin):
    return services.start_application(actor=applicant_admin, batch=batch, category="enterprise")


def autosave(client, application, data, *, version=None, dirty=None):
    payload = {
        "base_version": application.version if version is None else version,
        "dirty": ",".join(dirty if dirty is not None else {key.split("__")[0] for key in data}),
        "client_id": "test",
        **data,
    }
    return client.post(reverse("applications:autosave", kwargs={"pk": application.pk}), payload)


def test_start_from_the_list_page(client, batch, applicant_admin):
    client.force_login(applicant_admin)
    page = client.get(reverse("applications:list")).content.decode()
    assert "申报示范企业" in page
    response = client.post(reverse("applications:start"), {"batch": batch.pk, "category": "enterprise"})
    application = Application.objects.get()
    assert response["Location"] == reverse("applications:detail", kwargs={"pk": application.pk})


def test_autosave_returns_computed_share_and_warnings(client, application, applicant_admin):
    client.force_login(applicant_admin)
    response = autosave(
        client,
        application,
        {
            "operating__operating_revenue__2023": "5,000",
            "operating__service_revenue__2023": "6000",
        },
    )
    body = response.json()
    assert response.status_code == 200
    assert body["version"] == 1
    assert body["computed"]["operating__service_share__2023"] == "120.00"
    assert any("大于营业收入" in text for text in body["feedback"]["operating"]["warnings"])
    application.refresh_from_db()
    assert application.answers["operating"]["operating_revenue"]["2023"] == "5000"


def test_autosave_keeps_invalid_input_and_explains(client, application, applicant_admin):
    client.force_login(applicant_admin)
    body = autosave(client, application, {"registered_capital": "12a"}).json()
    assert body["feedback"]["registered_capital"]["errors"]
    application.refresh_from_db()
    assert application.answers["registered_capital"] == "12a"


def test_autosave_of_a_written_section_answers_for_its_page_only(client, application, applicant_admin):
    client.force_login(applicant_admin)
    autosave(client, application, {"registered_capital": "12a"})  # a bad entry on the 基本情况 page
    application.refresh_from_db()
    # 进一步发展思路和规划: no rule reads it (企业简介 answers 鲜明转型特点, a rule of its own).
    body = autosave(client, application, {"development_plan": "三年内建成服务中心。"}).json()
    assert body["applied"] == ["development_plan"]
    # The written page has neither the other page's messages nor a checklist that cannot have changed.
    assert "registered_capital" not in body["feedback"]
    assert body["eligibility_html"] is None
    # Every section's progress still comes back, for the list of sections beside the page.
    assert set(body["progress"]) == {section.key for section in application.form.sections}


def test_autosave_of_a_figure_the_rules_read_sends_the_checklist_anew(client, application, applicant_admin):
    client.force_login(applicant_admin)
    body = autosave(client, application, {"operating__operating_revenue__2023": "4200"}).json()
    assert "data-eligibility" in body["eligibility_html"]
    assert 'data-rule="prior_year_revenue"' in body["eligibility_html"]


def test_autosave_writes_in_two_statements_and_skips_what_its_page_does_not_show(
    client, application, applicant_admin, django_assert_num_queries
):
    client.force_login(applicant_admin)
    client.get(reverse("applications:section", kwargs={"pk": application.pk, "section": "written_status"}))
    # Session, user, application (with its batch and organisation: found through the person's
    # membership, it also answers which organisation the person is of); the save, deciding on the
    # application the view read: savepoint, update where the version is still the one read,
    # revision, release; the attachments for the progress marks. No eligibility for a written section.
    with django_assert_num_queries(8):
        response = autosave(client, application, {"development_plan": "第一段。"})
    assert response.status_code == 200


def test_autosave_reports_a_conflict_instead_of_overwriting(
    client, application, applicant_admin, organisation
):
    colleague = factories.MembershipFactory(organisation=organisation).user
    services.save_answers(
        actor=colleague, application=application, base_version=0, values={"main_business": "同事的"}
    )
    client.force_login(applicant_admin)
    body = autosave(client, application, {"main_business": "我的"}, version=0).json()
    assert body["conflicts"][0]["field"] == "main_business"
    assert body["conflicts"][0]["their_display"] == "同事的"
    application.refresh_from_db()
    assert application.answers["main_business"] == "同事的"


def test_autosave_refused_once_submitted(client, application, applicant_admin):
    factories.submitted(application)
    client.force_login(applicant_admin)
    response = autosave(client, application, {"main_business": "x"})
    assert response.status_code == 409
    assert "不能修改" in json.loads(response.content)["error"]


def test_section_page_shows_guidance_beside_written_fields(client, application, applicant_admin):
    client.force_login(applicant_admin)
    url = reverse("applications:section", kwargs={"pk": application.pk, "section": "written_status"})
    content = client.get(url).content.decode()
    assert "内容要点" in content
    assert "企业组织架构图、人员职责分工考核章程" in content  # 佐证材料建议 of 组织架构调整


@pytest.mark.parametrize("section", ["basic", "operations", "content", "written_status"])
def test_section_page_query_count_is_bounded(
    client, application, applicant_admin, section, django_assert_max_num_queries
):
    client.force_login(applicant_admin)
    url = reverse("applications:section", kwargs={"pk": application.pk, "section": section})
    with django_assert_max_num_queries(15):
        assert client.get(url).status_code == 200


@pytest.mark.parametrize("count", [1, 3])
def test_application_list_query_count_is_bounded(
    client, batch, applicant_admin, organisation, count, django_assert_max_num_queries
):
    for index in range(count):
        other_batch = batch if index == 0 else factories.BatchFactory()
        factories.ApplicationFactory(batch=other_batch, organisation=organisation, created_by=applicant_admin)
    client.force_login(applicant_admin)
    with django_assert_max_num_queries(12):
        assert client.get(reverse("applications:list")).status_code == 200


def test_submit_page_lists_missing_fields_with_links(client, application, applicant_admin):
    client.force_login(applicant_admin)
    content = client.get(reverse("applications:submit", kwargs={"pk": application.pk})).content.decode()
    assert "项必填内容未填写" in content
    assert f"/applications/{application.pk}/sections/basic/#field-registration_type" in content


def test_snapshot_diff_marks_changed_fields(client, application, applicant_admin, city_officer):
    factories.submitted(application)
    application.state = "withdrawn"
    application.save()
    services.save_answers(
        actor=applicant_admin,
        application=application,
        base_version=application.version,
        values={"main_business": "新的主营业务"},
    )
    application.refresh_from_db()
    factories.submitted(application, sequence=2)
    login_verified(client, city_officer)
    url = reverse("applications:snapshot", kwargs={"pk": application.pk, "sequence": 2})
    content = client.get(url, {"compare": 1}).content.decode()
    assert 'data-changed="main_business"' in content
    assert "新的主营业务" in content


INTRO = "本公司成立于2005年，主要从事智能装备研发、制造，产品销往全国二十多个省份。" * 4


def _figures(net_profit_2023):
    figures = {"2021": "800", "2022": "900", "2023": net_profit_2023}
    return {"operating_revenue": {"2021": "5000", "2022": "6000", "2023": "7000"}, "net_profit": figures}


def _resubmit(application, actor, values):
    factories.submitted(application)
    application.state = "withdrawn"
    application.save()
    services.save_answers(
        actor=actor, application=application, base_version=application.version, values=values
    )
    application.refresh_from_db()
    factories.submitted(application, sequence=2)


@pytest.mark.parametrize("officer", ["city_officer", "province_officer"])
def test_review_page_shows_the_changed_cell_and_inserted_words_only(
    request, client, application, applicant_admin, officer
):
    services.save_answers(
        actor=applicant_admin,
        application=application,
        base_version=application.version,
        values={"operating": _figures("960"), "intro": INTRO},
    )
    application.refresh_from_db()
    _resubmit(
        application,
        applicant_admin,
        {"operating": _figures("980"), "intro": INTRO.replace("制造，", "制造及全生命周期运维服务，", 1)},
    )
    login_verified(client, request.getfixturevalue(officer))
    content = client.get(reverse("reviews:application", kwargs={"pk": application.pk})).content.decode()
    summary = content[content.index('data-testid="changed-fields"') :]
    assert summary.index('href="#f-operating"') < summary.index('href="#f-intro"')
    assert re.search(r'data-testid="changed-cell"><del>960 万元</del> → <ins>980 万元</ins>', content)
    assert content.count('data-testid="changed-cell"') == 1
    assert "<ins>及全生命周期运维服务</ins>" in content
    assert "未改动" in content
    # The unchanged figures and the rest of the text are not painted as changed.
    assert "<del>800" not in content
    assert f"<del>{INTRO}" not in content


def test_revision_history_shows_each_save_as_a_change_from_the_one_before(
    client, application, applicant_admin
):
    for net_profit in ("960", "980"):
        application.refresh_from_db()
        services.save_answers(
            actor=applicant_admin,
            application=application,
            base_version=application.version,
            values={"operating": _figures(net_profit)},
        )
    client.force_login(applicant_admin)
    content = client.get(reverse("applications:revisions", kwargs={"pk": application.pk})).content.decode()
    assert "<del>960 万元</del> → <ins>980 万元</ins>" in content
    assert "<del>（空）</del> → <ins>960 万元</ins>" in content


def test_province_opens_a_batch_through_the_page(client, province_officer):
    login_verified(client, province_officer)
    form = client.get(reverse("programs:batch_create")).content.decode()
    assert "guangdong-2024.yaml" in form
    response = client.post(
        reverse("programs:batch_create"),
        {
            "spec_file": "guangdong-2024.yaml",
            "name": "2024年征集",
            "opens_at": "2024-04-01T09:00",
            "closes_at": "2024-03-01T17:00",
            "city_deadline": "2024-05-31T17:00",
            "quota_enterprise": 40,
            "quota_platform": 40,
            "notice_working_days": 7,
            "experts_per_application": 5,
            "same_city_conflict": "on",
            "recognition_valid_years": 3,
            "expert_max_load": 20,
            "aggregation_rule": "trimmed_mean",
            "disagreement_threshold": "10",
        },
    )
    assert "申报截止时间应晚于开始时间" in response.content.decode()
    data = {
        "spec_file": "guangdong-2024.yaml",
        "name": "2024年征集",
        "opens_at": "2024-04-01T09:00",
        "closes_at": "2024-04-30T17:00",
        "city_deadline": "2024-05-31T17:00",
        "quota_enterprise": 40,
        "quota_platform": 40,
        "notice_working_days": 7,
        "experts_per_application": 5,
        "same_city_conflict": "on",
        "recognition_valid_years": 3,
        "expert_max_load": 20,
        "aggregation_rule": "trimmed_mean",
        "disagreement_threshold": "10",
    }
    response = client.post(reverse("programs:batch_create"), data)
    from shifan.programs.models import Batch

    batch = Batch.objects.get()
    assert response["Location"] == reverse("programs:batch_detail", kwargs={"pk": batch.pk})
    assert batch.spec_version == "2024.1"
    assert "表1-1" in batch.spec_text
    assert batch.opens_at.hour == 1  # 09:00 Beijing time is 01:00 UTC


def test_a_batch_keeps_the_spec_text_it_was_opened_with(province_officer, tmp_path, settings):
    from shifan.programs import services as batch_services
    from shifan.programs.registry import spec_file

    source = settings.SHIFAN_PROGRAMS_DIR / "guangdong-2024.yaml"
    copy = tmp_path / "guangdong-2024.yaml"
    copy.write_bytes(source.read_bytes())
    settings.SHIFAN_PROGRAMS_DIR = tmp_path
    from django.utils import timezone

    now = timezone.now()
    with transaction.atomic():
        batch = batch_services.open_batch(
            actor=province_officer,
            spec_file=spec_file("guangdong-2024.yaml"),
            name="x",
            opens_at=now,
            closes_at=now + timezone.timedelta(days=1),
            city_deadline=now + timezone.timedelta(days=2),
        )
    copy.write_text(
        copy.read_text(encoding="utf-8").replace("min_percent: 20", "min_percent: 30"), encoding="utf-8"
    )
    batch.refresh_from_db()
    assert "min_percent: 20" in batch.spec_text
    assert batch.spec.digest == batch.spec_digest


def test_attachments_download_pdfs_inline_and_other_files_as_files(client, application, applicant_admin):
    def stored(name, data):
        attachment = services.add_attachment(
            actor=applicant_admin,
            application=application,
            field_key="intro",
            uploaded=SimpleUploadedFile(name, data),
            title="佐证材料",
        )
        url = reverse(
            "applications:attachment", kwargs={"pk": application.pk, "attachment_pk": attachment.pk}
        )
        return client.get(url)

    client.force_login(applicant_admin)
    pdf = stored("介绍.pdf", PDF)
    assert pdf["Content-Type"] == "application/pdf"
    assert pdf["Content-Disposition"].startswith("inline")
    assert pdf["X-Content-Type-Options"] == "nosniff"
    assert b"".join(pdf.streaming_content) == PDF
    word = stored("说明.docx", DOCX)
    assert word["Content-Type"] == "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    assert word["Content-Disposition"].startswith("attachment")
    assert "filename*=utf-8''%E8%AF%B4%E6%98%8E.docx" in word["Content-Disposition"]
    assert b"".join(word.streaming_content) == DOCX


def test_section_inputs_are_described_by_their_help_and_messages(client, application, applicant_admin):
    """A screen reader reads a field's help and its error with the input (aria-describedby)."""
    client.force_login(applicant_admin)
    autosave(client, application, {"registered_capital": "12a"})
    url = reverse("applications:section", kwargs={"pk": application.pk, "section": "basic"})
    content = client.get(url).content.decode()

    capital = re.search(r'<input[^>]*name="registered_capital"[^>]*>', content).group(0)
    assert 'aria-invalid="true"' in capital
    described = re.search(r'aria-describedby="([^"]*)"', capital).group(1).split()
    assert described[-1] == "feedback-registered_capital"
    feedback = re.search(r'id="feedback-registered_capital"[^>]*>(.*?)</div></div>', content)
    assert feedback
    assert "text-danger" in feedback.group(1)
    # A field with help is described by it first.
    years = re.search(r'<input[^>]*name="operating_years"[^>]*>', content).group(0)
    assert 'aria-describedby="help-operating_years feedback-operating_years"' in years
    assert re.search(r'id="help-operating_years">（截至目前）</div>', content)

    # A field without an error is described, but not invalid.
    main = re.search(r'<[^>]*name="main_business"[^>]*>', content).group(0)
    assert 'aria-describedby="' in main
    assert "aria-invalid" not in main
