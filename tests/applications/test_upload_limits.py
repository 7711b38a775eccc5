"""Attachments through the real upload view: stopped while streaming, Office files by their expanded size."""

import os

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from shifan.applications import services
from shifan.applications.models import Attachment
from tests import archives, factories
from tests.core.test_uploads import RECORDING_HANDLERS, RecordingTemporaryFileUploadHandler

pytestmark = pytest.mark.django_db

MEGABYTE = 1024 * 1024
PDF = b"%PDF-1.4\n%test\n"


@pytest.fixture
def application(applicant_admin):
    return services.start_application(
        actor=applicant_admin, batch=factories.BatchFactory(), category="enterprise"
    )


def upload(client, application, name, data):
    url = reverse("applications:attachment_upload", kwargs={"pk": application.pk})
    return client.post(url, {"field": "intro", "title": "介绍", "file": SimpleUploadedFile(name, data)})


def upload_error(response):
    assert response.status_code == 200
    page = response.content.decode()
    assert 'data-attachments-for="intro"' in page
    start = page.index('data-testid="upload-error">')
    return page[start : page.index("</div>", start)]


def test_an_oversized_attachment_is_stopped_while_it_streams_and_refused_beside_the_field(
    client, settings, application, applicant_admin
):
    settings.FILE_UPLOAD_HANDLERS = RECORDING_HANDLERS
    RecordingTemporaryFileUploadHandler.seen = []
    client.force_login(applicant_admin)
    response = upload(client, application, "年报.pdf", PDF + bytes(60 * MEGABYTE))
    assert "文件过大：60.1 MB，上限 20 MB。" in upload_error(response)
    assert not Attachment.objects.filter(application=application).exists()
    # On the server the file never grew past the 20 MB limit, and what was kept of it is deleted.
    [(path, largest)] = RecordingTemporaryFileUploadHandler.seen
    assert largest <= 20 * MEGABYTE
    assert not os.path.exists(path)


@pytest.mark.parametrize(
    "data",
    [archives.gigabyte_docx(), archives.declared_gigabyte_docx()],
    ids=["expands-to-a-gigabyte", "declares-a-gigabyte"],
)
def test_a_docx_expanding_to_a_gigabyte_is_refused_beside_the_field(
    client, application, applicant_admin, data
):
    assert len(data) < 2 * MEGABYTE
    client.force_login(applicant_admin)
    response = upload(client, application, "说明.docx", data)
    assert (
        "文件解压后共 1024.1 MB，超过 200 MB 上限：压缩后展开超过 200 MB 的文件不予接收。"
    ) in upload_error(response)
    assert not Attachment.objects.filter(application=application).exists()


def test_the_same_slot_takes_an_ordinary_word_file(client, application, applicant_admin):
    client.force_login(applicant_admin)
    response = upload(
        client, application, "说明.docx", archives.docx({"word/media/a.jpg": os.urandom(50_000)})
    )
    assert response.status_code == 200
    assert 'data-testid="upload-error"' not in response.content.decode()
    assert Attachment.objects.get(application=application).original_name == "说明.docx"


def test_a_body_over_the_text_limit_gets_the_413_page_in_chinese(client, application, applicant_admin):
    client.force_login(applicant_admin)
    url = reverse("applications:autosave", kwargs={"pk": application.pk})
    response = client.post(
        url, {"base_version": application.version, "dirty": "intro", "intro": "字" * (2 * MEGABYTE)}
    )
    assert response.status_code == 413
    page = response.content.decode()
    assert '<h1 class="h3 mt-3">提交的内容过大</h1>' in page
    assert "本次提交的内容超过服务器接收的上限（文字 5 MB，单个文件 20 MB），未能保存。" in page
    application.refresh_from_db()
    assert "intro" not in application.answers


def test_too_many_files_at_once_get_a_page_in_chinese(client, application, applicant_admin):
    client.force_login(applicant_admin)
    url = reverse("applications:attachment_upload", kwargs={"pk": application.pk})
    files = [SimpleUploadedFile(f"{index}.pdf", PDF) for index in range(11)]
    response = client.post(url, {"field": "intro", "title": "介绍", "file": files})
    assert response.status_code == 400
    assert "一次最多上传 10 个文件" in response.content.decode()
    assert not Attachment.objects.filter(application=application).exists()


def test_the_413_page_speaks_english_to_an_english_browser(client, application, applicant_admin):
    client.force_login(applicant_admin)
    url = reverse("applications:autosave", kwargs={"pk": application.pk})
    data = {"base_version": application.version, "dirty": "intro", "intro": "字" * (2 * MEGABYTE)}
    response = client.post(url, data, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 413
    page = response.content.decode()
    assert "Too much to send at once" in page
    assert "(5 MB of text, 20 MB for one file)" in page
    assert "提交的内容过大" not in page


def test_too_many_fields_get_a_page_in_chinese(client, application, applicant_admin):
    client.force_login(applicant_admin)
    url = reverse("applications:autosave", kwargs={"pk": application.pk})
    data = {"base_version": application.version, "dirty": "intro"} | {
        f"x{index}": "" for index in range(2001)
    }
    response = client.post(url, data)
    assert response.status_code == 400
    assert "本次提交的栏目数超过服务器接收的上限，未能保存。" in response.content.decode()
