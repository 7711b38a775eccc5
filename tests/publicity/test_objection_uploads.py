"""Evidence the anonymous public sends with an objection: bounded while streaming and by its expanded size."""

import os
import re

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from shifan.publicity.models import Objection
from tests import archives
from tests.core.test_uploads import RECORDING_HANDLERS, RecordingTemporaryFileUploadHandler
from tests.publicity.test_views import captcha, objection_data, open_today

MEGABYTE = 1024 * 1024
PDF = b"%PDF-1.4\n%evidence\n"


@pytest.fixture(autouse=True)
def _clear_cache():
    cache.clear()
    yield
    cache.clear()


def object_with(client, notice, *evidence):
    """Post an objection as a visitor who is not logged in, with these files as evidence."""
    url = reverse("publicity:objection_new", kwargs={"pk": notice.pk})
    key, answer = captcha(client, url)
    return client.post(url, objection_data(notice.entries.first(), key, answer, evidence=list(evidence)))


def evidence_error(response):
    assert response.status_code == 400
    match = re.search(r'id="id_evidence-error">(.*?)</div>', response.content.decode(), re.S)
    assert match, "no message beside the evidence field"
    return match.group(1)


def test_oversized_evidence_is_stopped_while_it_streams_and_refused_beside_the_field(
    client, settings, province_officer, batch, listed
):
    notice = open_today(province_officer, batch)
    settings.FILE_UPLOAD_HANDLERS = RECORDING_HANDLERS
    RecordingTemporaryFileUploadHandler.seen = []
    big = SimpleUploadedFile("现场照片.pdf", PDF + bytes(60 * MEGABYTE), content_type="application/pdf")
    response = object_with(client, notice, big)
    # Evidence takes 10 MB a file; the server stopped storing this one at 20 MB.
    assert "现场照片.pdf：文件过大：60.1 MB，上限 10 MB。" in evidence_error(response)
    assert not Objection.objects.exists()
    [(path, largest)] = RecordingTemporaryFileUploadHandler.seen
    assert largest <= 20 * MEGABYTE
    assert not os.path.exists(path)
    # What the visitor typed stays on the page.
    assert "该企业近三年发生过重大安全事故" in response.content.decode()


@pytest.mark.parametrize(
    "data",
    [archives.gigabyte_docx(), archives.declared_gigabyte_docx()],
    ids=["expands-to-a-gigabyte", "declares-a-gigabyte"],
)
def test_a_word_file_expanding_to_a_gigabyte_is_refused_as_evidence(
    client, province_officer, batch, listed, data
):
    notice = open_today(province_officer, batch)
    response = object_with(client, notice, SimpleUploadedFile("情况说明.docx", data))
    assert "情况说明.docx：文件解压后共 1024.1 MB，超过 200 MB 上限" in evidence_error(response)
    assert not Objection.objects.exists()


def test_evidence_within_the_limits_is_received(client, province_officer, batch, listed):
    notice = open_today(province_officer, batch)
    word = archives.docx({"word/media/image1.jpg": os.urandom(100_000)})
    response = object_with(
        client, notice, SimpleUploadedFile("通报.pdf", PDF), SimpleUploadedFile("情况说明.docx", word)
    )
    assert response.status_code == 302
    assert sorted(Objection.objects.get().evidence.values_list("original_name", flat=True)) == [
        "情况说明.docx",
        "通报.pdf",
    ]
