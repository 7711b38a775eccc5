"""A submitted book's PDF is made in the background once the submission commits, and kept."""

import io
import logging
import re
from pathlib import Path

import pypdf
import pytest
from django.urls import reverse

from shifan.applications import services
from shifan.applications.models import Application, ApplicationState
from shifan.documents import rendered
from shifan.documents.models import RenderedBook
from shifan.documents.tasks import make_submitted_book
from tests.documents import test_book
from tests.helpers import login_verified

pytestmark = pytest.mark.django_db

# The fixtures `application` (fully filled, with an attachment) and `snapshot` are in conftest.


def _submit(application, actor, capture):
    """Submit, and run what was queued for the commit (the test's transaction never commits)."""
    with capture(execute=True):
        return services.submit_application(actor=actor, application=application)


def _stored_files(settings) -> list[Path]:
    return sorted(path for path in Path(settings.MEDIA_ROOT).glob("books/**/*") if path.is_file())


def _pdf_text(content: bytes) -> str:
    reader = pypdf.PdfReader(io.BytesIO(content))
    return re.sub(r"\s+", "", "".join(page.extract_text() for page in reader.pages))


def test_a_submission_makes_and_stores_its_pdf_and_the_download_serves_it(
    client, settings, application, applicant_admin, django_capture_on_commit_callbacks
):
    settings.SHIFAN_RENDER_BOOKS_ON_SUBMIT = True
    before = dict(rendered.renders)

    snapshot = _submit(application, applicant_admin, django_capture_on_commit_callbacks)

    (row,) = RenderedBook.objects.filter(snapshot=snapshot)
    assert (row.extension, row.layout) == ("pdf", rendered.layout_version())
    assert rendered.renders["pdf"] == before.get("pdf", 0) + 1
    assert rendered.renders["docx"] == before.get("docx", 0)  # Word: made on its first download
    (stored,) = _stored_files(settings)
    assert stored.name == f"{snapshot.digest}-{snapshot.pk}.pdf"

    login_verified(client, applicant_admin)
    response = client.get(reverse("documents:book_pdf", args=[snapshot.application_id, snapshot.sequence]))
    assert response.status_code == 200
    assert test_book.body(response) == stored.read_bytes()
    assert rendered.renders["pdf"] == before.get("pdf", 0) + 1  # served, not made again


def test_with_the_setting_off_a_submission_makes_nothing(
    settings, application, applicant_admin, django_capture_on_commit_callbacks
):
    settings.SHIFAN_RENDER_BOOKS_ON_SUBMIT = False
    before = dict(rendered.renders)

    snapshot = _submit(application, applicant_admin, django_capture_on_commit_callbacks)

    assert snapshot.application.state == ApplicationState.SUBMITTED
    assert not RenderedBook.objects.exists()
    assert _stored_files(settings) == []
    assert dict(rendered.renders) == before


def test_the_task_prints_the_frozen_version_and_a_second_run_makes_nothing(
    settings, application, applicant_admin, django_capture_on_commit_callbacks
):
    settings.SHIFAN_RENDER_BOOKS_ON_SUBMIT = False
    snapshot = _submit(application, applicant_admin, django_capture_on_commit_callbacks)
    submitted_name = snapshot.answers["company_name"]
    # What the application holds now differs from what was submitted (as after a return).
    live = {**snapshot.answers, "company_name": "后来改名的制造有限公司"}
    Application.objects.filter(pk=application.pk).update(answers=live)
    before = rendered.renders["pdf"]

    first = make_submitted_book.enqueue(snapshot_id=snapshot.pk)
    assert first.return_value == ["pdf"]
    (row,) = RenderedBook.objects.filter(snapshot=snapshot)
    with row.file.open("rb") as stored:
        text = _pdf_text(stored.read())
    assert submitted_name in text
    assert "后来改名的制造有限公司" not in text

    second = make_submitted_book.enqueue(snapshot_id=snapshot.pk)
    assert second.return_value == []
    assert RenderedBook.objects.filter(snapshot=snapshot).get() == row
    assert rendered.renders["pdf"] == before + 1
    assert len(_stored_files(settings)) == 1


def test_a_failed_render_is_logged_and_the_first_download_makes_the_book(
    client, settings, tmp_path, caplog, application, applicant_admin, django_capture_on_commit_callbacks
):
    settings.SHIFAN_RENDER_BOOKS_ON_SUBMIT = True
    media = settings.MEDIA_ROOT
    # The storage cannot write: its folder is a file.
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("")
    settings.MEDIA_ROOT = str(blocked)

    with caplog.at_level(logging.ERROR, logger=rendered.logger.name):
        snapshot = _submit(application, applicant_admin, django_capture_on_commit_callbacks)

    snapshot.application.refresh_from_db()
    assert snapshot.application.state == ApplicationState.SUBMITTED
    assert not RenderedBook.objects.exists()
    logged = [record.getMessage() for record in caplog.records if record.name == rendered.logger.name]
    assert logged == [
        f"The pdf book of snapshot {snapshot.pk} was not made at submission; its first download makes it."
    ]

    settings.MEDIA_ROOT = media
    login_verified(client, applicant_admin)
    response = client.get(reverse("documents:book_pdf", args=[snapshot.application_id, snapshot.sequence]))
    assert response.status_code == 200
    assert test_book.body(response).startswith(b"%PDF")
    assert RenderedBook.objects.filter(snapshot=snapshot, extension="pdf").count() == 1


def test_a_second_worker_keeps_the_first_workers_book(settings, application, applicant_admin):
    snapshot = services.submit_application(actor=applicant_admin, application=application)
    first = rendered.store_book(snapshot=snapshot, extension="pdf", filename="a.pdf", content=b"%PDF first")

    # The other worker made the same book at the same time and stores it second.
    second = rendered.store_book(snapshot=snapshot, extension="pdf", filename="a.pdf", content=b"%PDF second")

    assert second == first
    assert RenderedBook.objects.filter(snapshot=snapshot).count() == 1
    (stored,) = _stored_files(settings)
    assert stored.read_bytes() == b"%PDF first"
