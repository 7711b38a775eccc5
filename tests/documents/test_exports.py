"""Bulk exports of submitted books: who may export what, the jobs, the ZIP and the page."""

import io
import os
import zipfile
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook
from pypdf import PdfReader

from shifan.core.models import AuditEvent
from shifan.demo.answers import complete_answers
from shifan.documents.exports import (
    SUMMARY_NAME,
    ExportRefused,
    build_export_zip,
    delete_expired_exports,
    request_export,
    snapshots_for_export,
)
from shifan.documents.models import ExportJob, ExportState, RenderedBook
from tests import factories
from tests.helpers import login_verified

GUANGZHOU = "440100"
SHENZHEN = "440300"


def _submitted(batch, name, city_code, category="enterprise", *, times=1, state=None):
    organisation = factories.OrganisationFactory(name=name, city_code=city_code)
    application = factories.ApplicationFactory(batch=batch, organisation=organisation, category=category)
    answers = complete_answers(application.form)
    answers["operator_name" if category == "platform" else "company_name"] = name
    application.answers = answers
    application.save(update_fields=["answers"])
    for sequence in range(1, times + 1):
        factories.submitted(application, sequence=sequence)
    if state:
        application.state = state
        application.save(update_fields=["state"])
    return application


@pytest.fixture
def batch(db):
    return factories.BatchFactory()


@pytest.fixture
def selection(batch):
    """Guangzhou: an enterprise, a platform, one returned after two submissions, a draft and a
    withdrawn one; Shenzhen: one enterprise."""
    return {
        "enterprise": _submitted(batch, "广州甲制造有限公司", GUANGZHOU),
        "platform": _submitted(batch, "广州乙服务平台有限公司", GUANGZHOU, "platform"),
        "returned": _submitted(batch, "广州丙装备有限公司", GUANGZHOU, times=2, state="returned"),
        "draft": factories.ApplicationFactory(
            batch=batch, organisation=factories.OrganisationFactory(city_code=GUANGZHOU)
        ),
        "withdrawn": _submitted(batch, "广州丁科技有限公司", GUANGZHOU, state="withdrawn"),
        "shenzhen": _submitted(batch, "深圳戊智能有限公司", SHENZHEN),
    }


# Who may export what


def test_city_officer_may_export_only_his_own_city(city_officer, batch, selection):
    with pytest.raises(ExportRefused, match="只能导出本市（广州市）"):
        request_export(actor=city_officer, batch=batch, city_code=SHENZHEN, category="")
    with pytest.raises(ExportRefused, match="只能导出本市"):
        request_export(actor=city_officer, batch=batch, city_code="", category="")


@pytest.mark.parametrize("role", ["applicant", "expert"])
def test_applicants_and_experts_may_not_export(role, applicant_admin, expert, batch, selection):
    actor = applicant_admin if role == "applicant" else expert
    with pytest.raises(ExportRefused, match="只有地市工信局和省工信厅"):
        request_export(actor=actor, batch=batch, city_code="", category="")


def test_selection_is_the_latest_submitted_version_of_visible_applications(
    city_officer, province_officer, batch, selection
):
    def numbers(user, city_code="", category=""):
        return {
            (s.application.organisation.name, s.sequence)
            for s in snapshots_for_export(user, batch, city_code=city_code, category=category)
        }

    guangzhou = {("广州甲制造有限公司", 1), ("广州乙服务平台有限公司", 1), ("广州丙装备有限公司", 2)}
    # Drafts and withdrawn applications stay the applicant's; a returned one is exported as sent.
    assert numbers(city_officer, GUANGZHOU) == guangzhou
    assert numbers(city_officer, GUANGZHOU, "platform") == {("广州乙服务平台有限公司", 1)}
    assert numbers(province_officer) == guangzhou | {("深圳戊智能有限公司", 1)}
    assert numbers(province_officer, SHENZHEN) == {("深圳戊智能有限公司", 1)}


def test_a_selection_may_be_narrowed_to_one_state(
    city_officer, batch, selection, django_capture_on_commit_callbacks
):
    def names(state):
        return {
            s.application.organisation.name
            for s in snapshots_for_export(city_officer, batch, city_code=GUANGZHOU, category="", state=state)
        }

    assert names("returned") == {"广州丙装备有限公司"}
    assert names("submitted") == {"广州甲制造有限公司", "广州乙服务平台有限公司"}
    with pytest.raises(ExportRefused, match="没有已提交的申报书"):
        request_export(actor=city_officer, batch=batch, city_code=GUANGZHOU, category="", state="recognised")
    # A private state is no selection.
    with pytest.raises(ExportRefused, match="请选择申报状态"):
        request_export(actor=city_officer, batch=batch, city_code=GUANGZHOU, category="", state="draft")
    with django_capture_on_commit_callbacks(execute=True):
        job, _created = request_export(
            actor=city_officer, batch=batch, city_code=GUANGZHOU, category="", state="returned"
        )
    job.refresh_from_db()
    assert (job.state, job.total, job.application_state) == (ExportState.DONE, 1, "returned")
    # The same scope in another state is another export, not the running one.
    other, created = request_export(
        actor=city_officer, batch=batch, city_code=GUANGZHOU, category="", state="submitted"
    )
    assert created
    assert other.total == 2


def test_the_page_filters_by_state(city_client, batch, selection):
    page = city_client.get(reverse("documents:exports")).content.decode()
    assert 'name="state"' in page
    assert "已推荐" in page
    fragment = city_client.get(
        reverse("documents:exports"), {"batch": batch.pk, "state": "returned"}, HTTP_HX_REQUEST="true"
    ).content.decode()
    assert "<strong>1</strong>" in fragment
    assert "退回修改" in fragment


def test_a_selection_without_submitted_books_is_refused_with_the_reason(city_officer, batch):
    factories.ApplicationFactory(batch=batch, organisation=factories.OrganisationFactory(city_code=GUANGZHOU))
    with pytest.raises(ExportRefused, match="广州市.*还没有已提交的申报书") as refused:
        request_export(actor=city_officer, batch=batch, city_code=GUANGZHOU, category="")
    assert "草稿和已撤回的申报书不在导出范围内" in refused.value.message
    assert not ExportJob.objects.exists()


def test_an_unknown_category_or_city_is_refused_beside_its_field(province_officer, batch, selection):
    with pytest.raises(ExportRefused) as refused:
        request_export(actor=province_officer, batch=batch, city_code="", category="nonsense")
    assert refused.value.field == "category"
    with pytest.raises(ExportRefused) as refused:
        request_export(actor=province_officer, batch=batch, city_code="999999", category="")
    assert refused.value.field == "city"


# Jobs


def test_the_same_request_while_it_runs_returns_the_same_job(city_officer, batch, selection):
    job, created = request_export(actor=city_officer, batch=batch, city_code=GUANGZHOU, category="")
    again, created_again = request_export(actor=city_officer, batch=batch, city_code=GUANGZHOU, category="")
    assert (created, created_again) == (True, False)
    assert again == job
    assert (job.state, job.total) == (ExportState.QUEUED, 3)
    # Another selection is another job; so is the same one after the first ended.
    other, _created = request_export(
        actor=city_officer, batch=batch, city_code=GUANGZHOU, category="platform"
    )
    assert other != job
    ExportJob.objects.filter(pk=job.pk).update(state=ExportState.DONE)
    third, created_third = request_export(actor=city_officer, batch=batch, city_code=GUANGZHOU, category="")
    assert created_third
    assert third not in (job, other)
    assert AuditEvent.objects.filter(action="documents.export_requested").count() == 3


def test_a_stalled_job_does_not_block_a_new_one(city_officer, batch, selection):
    job, _created = request_export(actor=city_officer, batch=batch, city_code=GUANGZHOU, category="")
    ExportJob.objects.filter(pk=job.pk).update(
        state=ExportState.RUNNING, started_at=timezone.now() - timedelta(hours=3)
    )
    fresh, created = request_export(actor=city_officer, batch=batch, city_code=GUANGZHOU, category="")
    assert created
    assert fresh != job
    job.refresh_from_db()
    assert job.state == ExportState.FAILED
    assert "长时间没有进展" in job.error


def _run(actor, batch, city_code, category, capture):
    with capture(execute=True):
        job, _created = request_export(actor=actor, batch=batch, city_code=city_code, category=category)
    job.refresh_from_db()
    return job


def test_the_task_stores_a_zip_of_pdfs_with_the_summary_workbook(
    city_officer, batch, selection, django_capture_on_commit_callbacks
):
    job = _run(city_officer, batch, GUANGZHOU, "", django_capture_on_commit_callbacks)

    assert (job.state, job.done, job.total, job.error) == (ExportState.DONE, 3, 3, "")
    assert job.started_at <= job.finished_at
    assert job.file.name.startswith("exports/")
    assert job.size == job.file.size
    with job.file.open("rb") as handle, zipfile.ZipFile(handle) as archive:
        names = archive.namelist()
        pdfs = {name: archive.read(name) for name in names if name.endswith(".pdf")}
        workbook = load_workbook(io.BytesIO(archive.read(SUMMARY_NAME)))
    numbers = {key: selection[key].number for key in ("enterprise", "platform", "returned")}
    assert names == [
        *sorted(
            f"广州市/{numbers[key]} {selection[key].organisation.name} 申报书.pdf"
            for key in ("enterprise", "platform", "returned")
        ),
        SUMMARY_NAME,
    ]
    for name, data in pdfs.items():
        reader = PdfReader(io.BytesIO(data))
        assert len(reader.pages) > 3
        assert name.split("/")[1].split()[0] in reader.pages[1].extract_text()
    sheet = workbook.active
    rows = list(sheet.iter_rows(min_row=4, values_only=True))
    assert [row[1] for row in rows] == [name.split("/")[1].split()[0] for name in names[:-1]]
    returned = next(row for row in rows if row[1] == numbers["returned"])
    assert returned[2:9] == (
        "广州丙装备有限公司",
        returned[3],
        "广州市",
        "示范企业",
        "退回修改",
        returned[7],
        2,
    )
    assert returned[9] == "0" * 64
    assert returned[10] == f"广州市/{numbers['returned']} 广州丙装备有限公司 申报书.pdf"


def test_a_failing_export_records_the_error_and_never_stays_running(
    settings, tmp_path, city_officer, batch, selection, django_capture_on_commit_callbacks
):
    blocked = tmp_path / "media"
    blocked.write_text("a file where the media folder should be")
    settings.MEDIA_ROOT = str(blocked)
    job = _run(city_officer, batch, GUANGZHOU, "platform", django_capture_on_commit_callbacks)
    assert job.state == ExportState.FAILED
    assert job.error.startswith("生成导出文件时出错")
    assert job.finished_at is not None
    assert not job.file


def test_a_job_whose_officer_lost_the_city_fails_with_the_reason(
    city_officer, batch, selection, django_capture_on_commit_callbacks
):
    job, _created = request_export(actor=city_officer, batch=batch, city_code=GUANGZHOU, category="")
    city_officer.city_code = SHENZHEN
    city_officer.save(update_fields=["city_code"])
    from shifan.documents.tasks import build_export

    assert build_export.enqueue(job_id=job.pk).return_value == ExportState.FAILED
    job.refresh_from_db()
    assert job.error == "地市工信局只能导出本市（深圳市）的申报书。"


def test_jobs_older_than_a_week_are_deleted_with_their_files(city_officer, batch, selection):
    from django.core.files.base import ContentFile

    job, _created = request_export(actor=city_officer, batch=batch, city_code=GUANGZHOU, category="")
    job.state = ExportState.DONE
    job.file.save("export.zip", ContentFile(b"PK"), save=True)
    path = job.file.path
    assert delete_expired_exports(now=timezone.now() + timedelta(days=6)) == 0
    assert delete_expired_exports(now=timezone.now() + timedelta(days=8)) == 1
    assert not ExportJob.objects.exists()
    assert not os.path.exists(path)


@pytest.mark.django_db(transaction=True)
def test_two_processes_make_the_same_zip_as_one():
    batch = factories.BatchFactory()
    _submitted(batch, "广州甲制造有限公司", GUANGZHOU)
    _submitted(batch, "广州乙服务平台有限公司", GUANGZHOU, "platform")
    _submitted(batch, "深圳戊智能有限公司", SHENZHEN)
    snapshots = snapshots_for_export(factories.ProvinceOfficerFactory(), batch, city_code="", category="")

    def build(processes):
        out, calls = io.BytesIO(), []
        names = build_export_zip(
            snapshots, out, processes=processes, progress=lambda done, total: calls.append((done, total))
        )
        with zipfile.ZipFile(out) as archive:
            texts = {
                name: [page.extract_text() for page in PdfReader(io.BytesIO(archive.read(name))).pages]
                for name in names
                if name.endswith(".pdf")
            }
        return names, texts, calls

    one = build(1)
    # The first export stored its books: without them, the second renders them in two processes.
    RenderedBook.objects.all().delete()
    two = build(2)
    assert one[0] == two[0]
    assert [name.split("/")[0] for name in one[0]] == ["广州市", "广州市", "深圳市", SUMMARY_NAME]
    assert one[1] == two[1]
    assert one[2] == two[2] == [(0, 3), (1, 3), (2, 3), (3, 3)]


def test_a_job_deleted_with_its_batch_takes_its_file(city_officer, batch, selection):
    from django.core.files.base import ContentFile

    job, _created = request_export(actor=city_officer, batch=batch, city_code=GUANGZHOU, category="")
    job.file.save("export.zip", ContentFile(b"PK"), save=True)
    path = job.file.path
    job.delete()
    assert not os.path.exists(path)


def test_a_running_job_is_stalled_by_its_last_progress_not_its_start(
    city_client, city_officer, batch, selection
):
    job, _created = request_export(actor=city_officer, batch=batch, city_code=GUANGZHOU, category="")
    long_ago = timezone.now() - timedelta(hours=3)
    # Started long ago but still writing books: a big export, not a dead one.
    ExportJob.objects.filter(pk=job.pk).update(
        state=ExportState.RUNNING, started_at=long_ago, progressed_at=timezone.now()
    )
    city_client.get(reverse("documents:export_progress", args=[job.pk]))
    job.refresh_from_db()
    assert job.state == ExportState.RUNNING
    # Eleven minutes without a book: its worker is gone, and the page stops waiting.
    ExportJob.objects.filter(pk=job.pk).update(progressed_at=timezone.now() - timedelta(minutes=11))
    text = city_client.get(reverse("documents:export_progress", args=[job.pk])).content.decode()
    job.refresh_from_db()
    assert job.state == ExportState.FAILED
    assert "导出长时间没有进展" in text


def test_an_expired_job_is_neither_listed_nor_downloadable(city_client, city_officer, batch, selection):
    from django.core.files.base import ContentFile

    job, _created = request_export(actor=city_officer, batch=batch, city_code=GUANGZHOU, category="")
    job.file.save("export.zip", ContentFile(b"PK"), save=False)
    ExportJob.objects.filter(pk=job.pk).update(
        state=ExportState.DONE, file=job.file.name, created_at=timezone.now() - timedelta(days=8)
    )
    assert city_client.get(reverse("documents:export_download", args=[job.pk])).status_code == 404
    assert f'id="export-job-{job.pk}"' not in city_client.get(reverse("documents:exports")).content.decode()


# The page


@pytest.fixture
def city_client(client, city_officer):
    return login_verified(client, city_officer)


def test_page_shows_the_count_of_the_selection_before_starting(city_client, batch, selection):
    response = city_client.get(reverse("documents:exports"))
    assert response.status_code == 200
    text = response.content.decode()
    assert "广州市，全部类别）共有 <strong>3</strong> 份已提交的申报书" in text
    assert 'name="city"' not in text  # a city exports its own
    assert "导出文件保留 7 天" in text
    fragment = city_client.get(
        reverse("documents:exports"), {"batch": batch.pk, "category": "platform"}, HTTP_HX_REQUEST="true"
    ).content.decode()
    assert fragment.lstrip().startswith('<div id="export-count"')
    assert "<strong>1</strong>" in fragment


def test_page_starts_on_the_latest_batch_with_books_not_an_empty_new_one(city_client, batch, selection):
    factories.BatchFactory(name="2025年征集", opens_at=timezone.now() - timedelta(days=1))
    text = city_client.get(reverse("documents:exports")).content.decode()
    assert f'<option value="{batch.pk}" selected>' in text
    assert "共有 <strong>3</strong> 份" in text


def test_province_chooses_among_the_cities(client, province_officer, batch, selection):
    login_verified(client, province_officer)
    text = client.get(reverse("documents:exports")).content.decode()
    assert '<option value="" selected>全部城市</option>' in text
    assert text.count('<option value="44') == 21
    assert "全部城市，全部类别）共有 <strong>4</strong> 份" in text


def test_starting_an_export_shows_its_progress_and_then_the_download(
    city_client, city_officer, batch, selection, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = city_client.post(
            reverse("documents:exports"), {"batch": batch.pk, "category": "platform"}, follow=True
        )
    assert "已开始导出1份申报书" in response.content.decode()
    job = ExportJob.objects.get()
    progress = city_client.get(reverse("documents:export_progress", args=[job.pk])).content.decode()
    assert 'hx-trigger="every 1s"' in progress
    assert "排队中" in progress
    assert city_client.get(reverse("documents:export_download", args=[job.pk])).status_code == 404

    for callback in callbacks:
        callback()
    progress = city_client.get(reverse("documents:export_progress", args=[job.pk])).content.decode()
    assert "hx-trigger" not in progress
    assert "已完成" in progress
    assert 'data-progress="100"' in progress
    download = city_client.get(reverse("documents:export_download", args=[job.pk]))
    assert download["Content-Type"] == "application/zip"
    assert "filename*=UTF-8''" in download["Content-Disposition"]
    with zipfile.ZipFile(io.BytesIO(b"".join(download.streaming_content))) as archive:
        assert len(archive.namelist()) == 2


def test_a_refused_export_says_why_on_the_page(city_client, batch):
    response = city_client.post(reverse("documents:exports"), {"batch": batch.pk, "category": ""})
    assert response.status_code == 400
    assert "还没有已提交的申报书，无需导出" in response.content.decode()
    assert not ExportJob.objects.exists()


def test_another_officers_job_is_not_found(client, city_officer, province_officer, batch, selection):
    job, _created = request_export(actor=city_officer, batch=batch, city_code=GUANGZHOU, category="")
    login_verified(client, province_officer)
    for name in ("documents:export_progress", "documents:export_download"):
        assert client.get(reverse(name, args=[job.pk])).status_code == 404


@pytest.mark.parametrize("jobs", [1, 3])
def test_the_page_reads_a_fixed_number_of_queries(
    jobs, city_client, city_officer, batch, selection, django_assert_num_queries
):
    for category in ("enterprise", "platform", "")[:jobs]:
        request_export(actor=city_officer, batch=batch, city_code=GUANGZHOU, category=category)
    city_client.get(reverse("documents:exports"))  # warms the session, the spec and the bell's count
    # A short list's first page holds every job: its rows give the count (no COUNT query).
    with django_assert_num_queries(8):
        city_client.get(reverse("documents:exports"))
