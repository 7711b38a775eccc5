"""The expert list's .xlsx is bounded before openpyxl opens it: by its size while it streams, then by
what it expands to (declared in its directory, then read with a byte cap)."""

import io
import re
import time
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from django.urls import reverse
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl import Workbook

from shifan.accounts import pool
from shifan.accounts.models import Role, User
from tests import archives
from tests.core.test_uploads import RECORDING_HANDLERS, RecordingTemporaryFileUploadHandler
from tests.helpers import login_verified

MEGABYTE = 1024 * 1024
SHEET = "xl/worksheets/sheet1.xml"
SHEET_HEAD = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
)
SHEET_TAIL = b"</sheetData></worksheet>"


def template_with_a_sheet_of(megabytes: int) -> bytes:
    """Return the import template whose first sheet is `megabytes` of blank space, compressed to kilobytes."""
    sheet = archives.repeated_entry(SHEET, megabytes, fill=b" ", head=SHEET_HEAD, tail=SHEET_TAIL)
    return archives.replace(pool.template_workbook(), sheet)


def upload(client, data, name="专家名单.xlsx"):
    return client.post(reverse("accounts:expert_import"), {"file": SimpleUploadedFile(name, data)})


def field_error(response):
    assert response.status_code == 200
    match = re.search(r'id="id_file-error">(.*?)</div>', response.content.decode(), re.S)
    assert match, "no message beside the file field"
    return match.group(1)


@pytest.fixture
def bomb():
    data = template_with_a_sheet_of(100)
    assert len(data) < 120 * 1024
    return data


def test_a_small_xlsx_expanding_to_100_mib_is_refused_before_openpyxl_reads_it(bomb):
    started = time.monotonic()
    with pytest.raises(pool.PoolFileError) as refused:
        pool.read_workbook(bomb)
    assert refused.value.message == (
        "文件解压后共 100.1 MB，超过 20 MB 上限：压缩后展开超过 20 MB 的文件不予接收。"
    )
    # Parsing 100 MB of XML takes seconds; reading the directory takes nothing.
    assert time.monotonic() - started < 1


def test_a_sheet_whose_headers_understate_it_is_read_with_a_cap(bomb):
    with zipfile.ZipFile(io.BytesIO(bomb)) as archive:
        real = archive.getinfo(SHEET).file_size
    lying = archives.declare_size(bomb, SHEET, 4096)
    with pytest.raises(pool.PoolFileError, match="无法读取该文件"):
        pool.read_workbook(lying)
    assert real > 100 * MEGABYTE


@pytest.mark.django_db
def test_the_import_page_refuses_the_bomb_beside_the_field(client, province_officer, bomb):
    login_verified(client, province_officer)
    assert "超过 20 MB 上限：压缩后展开超过 20 MB 的文件不予接收。" in field_error(upload(client, bomb))
    assert not User.objects.filter(role=Role.EXPERT).exists()


@pytest.mark.django_db
def test_the_import_page_refuses_an_oversized_file_stopped_while_it_streams(
    client, settings, province_officer
):
    settings.FILE_UPLOAD_HANDLERS = RECORDING_HANDLERS
    RecordingTemporaryFileUploadHandler.seen = []
    login_verified(client, province_officer)
    response = upload(client, b"PK\x03\x04" + bytes(30 * MEGABYTE - 4))
    # The list takes 5 MB; the server stopped storing the file at 20 MB.
    assert field_error(response).strip().endswith("文件过大：30.0 MB，上限 5 MB。")
    [(_path, largest)] = RecordingTemporaryFileUploadHandler.seen
    assert largest <= 20 * MEGABYTE


@settings(max_examples=15, deadline=None)
@given(megabytes=st.integers(min_value=1, max_value=40))
def test_the_list_is_read_exactly_when_it_expands_within_the_bound(megabytes):
    data = template_with_a_sheet_of(megabytes)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        expanded = sum(info.file_size for info in archive.infolist())
    # Blank space compresses nearly a thousand times: the ratio bound is lifted to test the total alone.
    with override_settings(SHIFAN_UPLOAD_MAX_COMPRESSION_RATIO=10**6):
        if expanded <= pool.MAX_EXPANDED_BYTES:
            assert pool.read_workbook(data) == []  # read: the sheet holds only blank space
        else:
            with pytest.raises(pool.PoolFileError, match="超过 20 MB 上限"):
                pool.read_workbook(data)


def test_an_ordinary_list_still_reads():
    book = Workbook()
    book.active.append(list(pool.COLUMNS))
    buffer = io.BytesIO()
    book.save(buffer)
    assert pool.read_workbook(buffer.getvalue())[0] == tuple(pool.COLUMNS)
