"""The sealed commitment page's scan: uploaded after submission, tied to its snapshot, seen by officers."""

import re
from datetime import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from shifan.applications import sealed_scans, selectors
from shifan.applications import services as applications
from shifan.applications.models import ApplicationState, SealedScan, Snapshot
from shifan.applications.sealed_scans import SCAN_MAX_MB, upload_sealed_scan
from shifan.applications.services import ApplicationError
from shifan.core.models import AuditEvent
from shifan.reviews import services as reviews
from tests import factories
from tests.helpers import login_verified
from tests.reviews.test_services import submitted_application

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 40
STALE_WARNING = (
    "盖章页扫描件对应第 1 次提交（摘要 {digest}），申报书已于 2024年6月3日 重新提交为第 2 次，"
    "扫描件与当前版本不一致。"
)


@pytest.fixture
def batch(db):
    return factories.BatchFactory()


@pytest.fixture
def application(batch):
    return submitted_application(batch)


@pytest.fixture
def admin(application):
    return application.organisation.memberships.get(is_admin=True).user


def scan_file(name="盖章承诺页.pdf", data=PDF):
    return SimpleUploadedFile(name, data)


def upload(application, user, uploaded=None):
    return upload_sealed_scan(actor=user, application=application, uploaded=uploaded or scan_file())


def resubmit(application, user, *, on=None):
    """Withdraw and submit again: a second snapshot, the scan stays with the first."""
    applications.withdraw_application(actor=user, application=application, reason="补充材料")
    application.refresh_from_db()
    snapshot = applications.submit_application(actor=user, application=application)
    application.refresh_from_db()
    if on is not None:
        Snapshot.objects.filter(pk=snapshot.pk).update(submitted_at=on)
    return snapshot


class BigUpload(SimpleUploadedFile):
    """A file that says it is large: it must be refused before anything reads it."""

    def read(self, *args, **kwargs):
        raise AssertionError("read before the size was checked")


# The service ---------------------------------------------------------------------------------


def test_upload_stores_the_scan_for_the_current_snapshot(application, admin):
    scan = upload(application, admin)
    snapshot = application.snapshots.get()
    assert scan.snapshot == snapshot
    assert scan.kind == "commitment"
    assert (scan.original_name, scan.size) == ("盖章承诺页.pdf", len(PDF))
    assert scan.content_type == "application/pdf"
    assert len(scan.sha256) == 64
    # Stored under the content hash (the storage adds a suffix if that name is taken).
    assert scan.file.name.startswith(f"sealed/{application.batch_id}/{application.pk}/{scan.sha256}")
    with scan.file.open("rb") as stored:
        assert stored.read() == PDF
    event = AuditEvent.objects.get(action="application.sealed_scan_uploaded")
    assert event.actor == admin
    assert event.city_code == application.organisation.city_code
    assert event.after["snapshot"] == 1
    assert event.after["digest"] == snapshot.digest
    assert event.after["sha256"] == scan.sha256


def test_an_image_scan_is_served_as_what_it_is(application, admin):
    scan = upload(application, admin, scan_file("扫描.jpg", PNG))  # a PNG named .jpg: both images
    assert scan.content_type == "image/png"


def test_uploading_again_keeps_the_history_and_the_latest_is_current(application, admin):
    first = upload(application, admin)
    second = upload(application, admin, scan_file("重新扫描.pdf", PDF + b"%again\n"))
    assert selectors.sealed_scans_of(application) == [second, first]
    assert selectors.sealed_scan_status(application).scan == second
    assert SealedScan.objects.count() == 2


def test_scans_take_their_versions_from_those_the_page_read(application, admin, django_assert_num_queries):
    first = upload(application, admin)
    versions = list(application.snapshots.order_by("-sequence"))
    with django_assert_num_queries(1):
        [scan] = selectors.sealed_scans_of(application, snapshots=versions)
        assert scan == first
        assert scan.snapshot is versions[0]
        assert scan.uploaded_by == admin
    # A version the page did not read (none here): the scans are read with their versions joined.
    with django_assert_num_queries(2):
        [scan] = selectors.sealed_scans_of(application, snapshots=[])
        assert scan.snapshot.sequence == versions[0].sequence


def test_any_member_may_upload_but_nobody_else(application, admin, city_officer):
    colleague = factories.MembershipFactory(organisation=application.organisation).user
    assert upload(application, colleague).uploaded_by == colleague
    for outsider in (factories.MembershipFactory().user, city_officer):
        with pytest.raises(ApplicationError, match="只有本单位的申报人可以上传盖章页扫描件"):
            upload(application, outsider)


def test_upload_is_refused_before_the_first_submission(batch, applicant_admin):
    draft = applications.start_application(actor=applicant_admin, batch=batch, category="enterprise")
    with pytest.raises(ApplicationError) as refusal:
        upload(draft, applicant_admin)
    assert refusal.value.message == "请先提交申报书，再上传盖章页扫描件。"
    assert not SealedScan.objects.exists()


def test_upload_is_refused_while_withdrawn(application, admin):
    applications.withdraw_application(actor=admin, application=application, reason="补充材料")
    with pytest.raises(ApplicationError, match="申报书已撤回，请重新提交后"):
        upload(application, admin)


def test_upload_is_refused_while_returned(application, admin, city_officer):
    reviews.return_application(actor=city_officer, application=application, reason="请补充材料")
    with pytest.raises(ApplicationError, match="申报书已退回修改，请修改并重新提交后"):
        upload(application, admin)


def test_a_missing_scan_may_come_after_the_city_recommends_but_not_be_replaced(
    application, admin, city_officer
):
    reviews.recommend_application(
        actor=city_officer, application=application, opinion="同意推荐", truthfulness_confirmed=True
    )
    application.refresh_from_db()
    assert application.state == ApplicationState.RECOMMENDED
    assert upload(application, admin).snapshot.sequence == 1
    with pytest.raises(ApplicationError, match="地市工信局已处理本申报书，盖章页扫描件不能再更换"):
        upload(application, admin)


def test_a_scan_may_be_replaced_while_the_city_has_not_decided(application, admin):
    first = upload(application, admin)
    second = upload(application, admin)
    assert second.pk != first.pk
    assert second.snapshot == first.snapshot


@pytest.mark.parametrize(
    ("uploaded", "message"),
    [
        (scan_file("空.pdf", b""), "文件为空（0 字节），请重新选择文件。"),
        (
            scan_file("假的.pdf", "这不是PDF。".encode()),
            "文件内容不是允许的类型（允许：PDF、图片）。扩展名为 .pdf 但内容不是 PDF。",
        ),
        (scan_file("图片.pdf", PNG), "扩展名为 .pdf 但内容不是 PDF（实际是 图片）"),
        (scan_file("承诺页.docx", b"PK\x03\x04word/document.xml"), "该文件是 Word 文档"),
    ],
)
def test_upload_checks_the_content(application, admin, uploaded, message):
    with pytest.raises(ApplicationError) as refusal:
        upload(application, admin, uploaded)
    assert message in refusal.value.message
    assert refusal.value.field == "file"
    assert not SealedScan.objects.exists()


def test_an_oversized_scan_is_refused_before_it_is_read(application, admin):
    big = BigUpload("大文件.pdf", PDF)
    big.size = SCAN_MAX_MB * 1024 * 1024 + 1
    with pytest.raises(ApplicationError, match=f"文件过大：20.1 MB，上限 {SCAN_MAX_MB} MB。"):
        upload(application, admin, big)


def test_an_unknown_kind_is_refused(application, admin):
    with pytest.raises(ApplicationError, match="未知的扫描件类型"):
        sealed_scans.upload_sealed_scan(actor=admin, application=application, uploaded=scan_file(), kind="x")


# The selectors -------------------------------------------------------------------------------


def test_status_is_missing_current_then_stale_after_a_resubmission(application, admin):
    assert selectors.sealed_scan_status(application).state == selectors.SCAN_MISSING
    upload(application, admin)
    assert selectors.sealed_scan_status(application).state == selectors.SCAN_CURRENT
    resubmit(application, admin)
    status = selectors.sealed_scan_status(application)
    assert status.state == selectors.SCAN_STALE
    assert (status.scan.snapshot.sequence, status.latest.sequence) == (1, 2)
    upload(application, admin)
    assert selectors.sealed_scan_status(application).state == selectors.SCAN_CURRENT


def test_queue_rows_carry_the_scan_and_latest_sequences(batch, application, admin):
    other = submitted_application(batch)
    upload(application, admin)
    resubmit(application, admin)
    rows = {
        row.pk: (row.scan_sequence, row.latest_sequence)
        for row in selectors.with_sealed_scan_sequences(selectors.Application.objects.filter(batch=batch))
    }
    assert rows == {application.pk: (1, 2), other.pk: (None, 1)}


# The pages -----------------------------------------------------------------------------------


def test_the_applicant_page_explains_the_steps_and_takes_the_upload(client, application, admin):
    client.force_login(admin)
    url = reverse("applications:detail", kwargs={"pk": application.pk})
    page = client.get(url).content.decode()
    assert 'data-testid="sealed-scan"' in page
    assert "打印最后一页《真实性承诺》" in page
    assert 'data-state="missing"' in page
    response = client.post(
        reverse("applications:sealed_scan_upload", kwargs={"pk": application.pk}), {"file": scan_file()}
    )
    assert response.status_code == 302
    assert response["Location"] == f"{url}#sealed-scan"
    page = client.get(url).content.decode()
    snapshot = application.snapshots.get()
    assert f"盖章页扫描件已上传，对应第 1 次提交（摘要 {snapshot.short_digest}）。" in page
    assert 'data-state="current"' in page
    assert "盖章承诺页.pdf" in page
    assert 'data-testid="sealed-scan-history"' in page


def test_a_draft_page_has_no_scan_panel(client, batch, applicant_admin):
    draft = applications.start_application(actor=applicant_admin, batch=batch, category="enterprise")
    client.force_login(applicant_admin)
    page = client.get(reverse("applications:detail", kwargs={"pk": draft.pk})).content.decode()
    assert 'data-testid="sealed-scan"' not in page


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({}, "请选择要上传的扫描件。"),
        ({"file": scan_file("假的.pdf", b"plain text")}, "扩展名为 .pdf 但内容不是 PDF"),
    ],
)
def test_a_refused_upload_shows_the_reason_beside_the_field(client, application, admin, data, message):
    client.force_login(admin)
    response = client.post(reverse("applications:sealed_scan_upload", kwargs={"pk": application.pk}), data)
    page = response.content.decode()
    assert response.status_code == 400
    assert 'id="id_file-error">' in page
    assert message in page.split('id="id_file-error">')[1].split("</div>")[0]
    # The file input (the page's own picker) is marked invalid and described by the message.
    file_input = re.search(r'<input type="file"[^>]*name="file"[^>]*>', page)
    assert file_input is not None
    assert 'aria-invalid="true"' in file_input[0]
    assert "id_file-error" in file_input[0]


def test_an_upload_refused_by_the_state_says_why(client, application, admin):
    applications.withdraw_application(actor=admin, application=application, reason="补充材料")
    client.force_login(admin)
    response = client.post(
        reverse("applications:sealed_scan_upload", kwargs={"pk": application.pk}), {"file": scan_file()}
    )
    assert response.status_code == 400
    assert "申报书已撤回，请重新提交后" in response.content.decode()
    assert not SealedScan.objects.exists()


def test_officers_download_the_scan_inline(client, application, admin, city_officer, province_officer):
    scan = upload(application, admin)
    url = reverse("applications:sealed_scan", kwargs={"pk": application.pk, "scan_pk": scan.pk})
    for reader in (admin, city_officer, province_officer):
        login_verified(client, reader)
        response = client.get(url)
        assert response.status_code == 200
        assert response["Content-Type"] == "application/pdf"
        assert response["Content-Disposition"].startswith("inline")
        assert response["X-Content-Type-Options"] == "nosniff"
        assert b"".join(response.streaming_content) == PDF
    login_verified(client, factories.CityOfficerFactory(city_code="440300"))
    assert client.get(url).status_code == 404
    other = submitted_application(application.batch)
    login_verified(client, city_officer)
    wrong = reverse("applications:sealed_scan", kwargs={"pk": other.pk, "scan_pk": scan.pk})
    assert client.get(wrong).status_code == 404


def test_the_review_panel_warns_when_the_scan_is_for_an_older_version(
    client, application, admin, city_officer
):
    url = reverse("reviews:application", kwargs={"pk": application.pk})
    queue_url = reverse("reviews:queue") + f"?batch={application.batch_id}"
    login_verified(client, city_officer)
    assert 'data-state="missing"' in client.get(url).content.decode()
    assert 'data-testid="scan-badge" data-state="missing"' in client.get(queue_url).content.decode()
    scan = upload(application, admin)
    page = client.get(url).content.decode()
    assert 'data-state="current"' in page
    assert 'data-testid="scan-badge" data-state="current"' in client.get(queue_url).content.decode()
    assert "已上传（对应当前版本，第 1 次提交" in page
    resubmit(application, admin, on=timezone.make_aware(datetime(2024, 6, 3, 10, 0)))
    page = client.get(url).content.decode()
    assert 'data-state="stale"' in page
    assert "alert-warning" in page
    assert STALE_WARNING.format(digest=scan.snapshot.short_digest) in page
    queue = client.get(queue_url).content.decode()
    assert 'data-testid="scan-badge" data-state="stale"' in queue
    assert "盖章页与当前版本不一致" in queue


def test_officers_see_a_withdrawn_version_s_scan_as_withdrawn(client, application, admin):
    upload(application, admin)
    applications.withdraw_application(actor=admin, application=application, reason="补充材料")
    login_verified(client, admin)
    page = client.get(reverse("applications:detail", kwargs={"pk": application.pk})).content.decode()
    assert 'data-state="withdrawn"' in page
    assert "该版本已被申报单位撤回" in page


def test_the_scan_panel_reads_no_submitted_content(client, application, admin):
    # The panel shows each scan's version and digest: the submitted answers stay in the database.
    upload(application, admin)
    resubmit(application, admin)
    upload(application, admin)
    client.force_login(admin)
    url = reverse("applications:detail", args=[application.pk])
    client.get(url)
    with CaptureQueriesContext(connection) as captured:
        page = client.get(url).content.decode()
    assert page.count("次提交</a>") == 2  # both versions listed
    assert 'data-testid="sealed-scan-history"' in page
    assert not [q["sql"] for q in captured if '"applications_snapshot"."answers"' in q["sql"]]
