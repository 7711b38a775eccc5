"""Uploads bounded before they are read: the streaming limit and the ZIP expansion limits (core.uploads).

The handler is driven through Django's own request parsing (a WSGIRequest over a multipart body),
with a temporary-file handler behind it that records what reached the disk
(`RecordingTemporaryFileUploadHandler`, also used by the view tests). The archive checks get Office
files from tests.archives: a real entry of zeros that expands to a gigabyte, and headers that only
declare such sizes.
"""

from __future__ import annotations

import io
import os
import zipfile

import pytest
from django.core.files.uploadhandler import TemporaryFileUploadHandler
from django.core.handlers.wsgi import WSGIRequest
from django.test import override_settings
from django.test.client import BOUNDARY, MULTIPART_CONTENT, encode_multipart
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shifan.core.filetypes import MEGABYTE, UploadRefused, check_upload, read_checked
from shifan.core.uploads import (
    ArchiveLimits,
    ArchiveUnreadable,
    OversizedUpload,
    check_archive,
    check_expansion,
    declared_entries,
    size_text,
)
from tests import archives
from tests.archives import declare_size, docx, merge, repeated_entry

GIB = 1024 * MEGABYTE
LIMITS = ArchiveLimits(max_entries=5000, max_expanded_bytes=200 * MEGABYTE, max_ratio=200)
PDF = b"%PDF-1.4\n%test\n"


@pytest.fixture(scope="module")
def gigabyte_docx():
    return archives.gigabyte_docx()


# The ZIP checks


def test_a_docx_whose_entry_expands_to_a_gigabyte_is_refused_before_it_is_expanded(gigabyte_docx):
    assert len(gigabyte_docx) < 2 * MEGABYTE
    with zipfile.ZipFile(io.BytesIO(gigabyte_docx)) as archive:
        assert sum(info.file_size for info in archive.infolist()) > GIB
    with pytest.raises(UploadRefused) as refused:
        check_upload(gigabyte_docx, "申报材料.docx", accept=("pdf", "word"), max_size_mb=20)
    assert refused.value.message == (
        "文件解压后共 1024.1 MB，超过 200 MB 上限：压缩后展开超过 200 MB 的文件不予接收。"
    )


def test_a_docx_declaring_a_gigabyte_is_refused_by_its_headers():
    faked = archives.declared_gigabyte_docx()
    assert len(faked) < 4096
    with zipfile.ZipFile(io.BytesIO(faked)) as archive:
        assert archive.getinfo("word/media/image1.png").file_size == GIB
    with pytest.raises(UploadRefused, match="文件解压后共 1024.1 MB，超过 200 MB 上限"):
        check_upload(faked, "a.docx", accept=("word",), max_size_mb=20)


def test_an_absurd_compression_ratio_is_refused_below_the_total():
    # 100 MB of zeros: under the 200 MB total, but compressed about a thousand times.
    bomb = merge(docx(), repeated_entry("word/media/zeros.bin", 100))
    with pytest.raises(UploadRefused) as refused:
        check_archive(bomb, LIMITS)
    assert refused.value.message.startswith("文件中的“word/media/zeros.bin”压缩比异常（约 ")
    assert refused.value.message.endswith(" 倍，上限 200 倍），不予接收。")


def test_a_small_entry_may_compress_any_amount():
    check_archive(docx({"word/styles.xml": bytes(MEGABYTE)}), LIMITS)


def test_too_many_entries_are_refused_before_the_directory_is_loaded():
    many = docx({f"word/media/{index}.bin": b"" for index in range(60)}, compression=zipfile.ZIP_STORED)
    limits = ArchiveLimits(max_entries=50, max_expanded_bytes=MEGABYTE, max_ratio=200)
    assert declared_entries(many) == 62
    with pytest.raises(UploadRefused, match="文件内含 62 个压缩条目，超过 50 个的上限，不予接收。"):
        check_archive(many, limits)
    with (
        override_settings(SHIFAN_UPLOAD_MAX_ARCHIVE_ENTRIES=50),
        pytest.raises(UploadRefused, match="文件内含 62 个压缩条目"),
    ):
        check_upload(many, "a.docx", accept=("word",), max_size_mb=20)


def test_declared_entries_reads_a_zip64_end_record():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", allowZip64=True) as archive:
        for index in range(70_000):  # more than a classic end record counts
            archive.writestr(str(index), b"")
    assert declared_entries(buffer.getvalue()) == 70_000


@pytest.mark.parametrize("data", [b"PK\x03\x04 not really a zip", docx()[:200], b""])
def test_an_archive_without_a_readable_directory_is_unreadable(data):
    with pytest.raises(ArchiveUnreadable, match="文件已损坏"):
        check_archive(data, LIMITS)


def test_a_damaged_word_file_is_refused_as_one():
    with pytest.raises(UploadRefused, match="文件已损坏，无法作为 Word 文档 打开，请重新保存后上传。"):
        check_upload(docx()[:200], "a.docx", accept=("word",), max_size_mb=20)


def test_an_ordinary_word_file_passes():
    assert (
        check_upload(
            docx({"word/media/photo.jpg": os.urandom(300_000)}), "a.docx", accept=("word",), max_size_mb=20
        )
        == "word"
    )


@settings(max_examples=30, deadline=None)
@given(
    sizes=st.lists(st.integers(min_value=0, max_value=4 * MEGABYTE), min_size=1, max_size=6),
    bound=st.integers(min_value=1, max_value=8),
)
def test_an_archive_passes_exactly_when_its_declared_total_is_within_the_bound(sizes, bound):
    names = [f"word/part{index}.bin" for index in range(len(sizes))]
    data = docx(dict.fromkeys(names, b"x"), compression=zipfile.ZIP_STORED)
    for name, size in zip(names, sizes, strict=True):
        data = declare_size(data, name, size)
    limits = ArchiveLimits(max_entries=5000, max_expanded_bytes=bound * MEGABYTE, max_ratio=10**9)
    total = sum(sizes) + len("<Types/>") + len("<w:document/>")
    if total <= bound * MEGABYTE:
        check_archive(data, limits)
    else:
        with pytest.raises(UploadRefused, match=f"超过 {bound} MB 上限"):
            check_archive(data, limits)


def test_expansion_is_read_with_a_cap_whatever_the_headers_declare():
    # The headers declare a kilobyte; the entry really holds 50 MB of zeros.
    lying = declare_size(merge(docx(), repeated_entry("word/document2.xml", 50)), "word/document2.xml", 1024)
    check_archive(lying, LIMITS)  # the directory alone cannot tell
    # Python's zipfile stops at the declared size and fails the checksum ...
    with pytest.raises(ArchiveUnreadable):
        check_expansion(lying, max_bytes=20 * MEGABYTE)
    # ... and an honest entry is still stopped at the cap, not read to its end.
    honest = merge(docx(), repeated_entry("word/document2.xml", 50))
    with pytest.raises(UploadRefused, match="文件解压后超过 20 MB 上限"):
        check_expansion(honest, max_bytes=20 * MEGABYTE)
    assert check_expansion(docx(), max_bytes=MEGABYTE) == len("<Types/>") + len("<w:document/>")


# The streaming limit


class RecordingTemporaryFileUploadHandler(TemporaryFileUploadHandler):
    """Django's temporary-file handler, noting how large each temporary file grew and where it was."""

    seen: list[tuple[str, int]] = []

    def receive_data_chunk(self, raw_data, start):
        super().receive_data_chunk(raw_data, start)
        self.file.flush()
        path = self.file.temporary_file_path()
        size = os.path.getsize(path)
        if self.seen and self.seen[-1][0] == path:
            self.seen[-1] = (path, size)
        else:
            self.seen.append((path, size))


RECORDING_HANDLERS = [
    "shifan.core.uploads.UploadLimitHandler",
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "tests.core.test_uploads.RecordingTemporaryFileUploadHandler",
]


class CountingStream(io.BytesIO):
    """A wsgi.input that counts what the request parser read from it."""

    read_bytes = 0

    def read(self, size=-1):
        data = super().read(size)
        self.read_bytes += len(data)
        return data

    def readline(self, size=-1):
        data = super().readline(size)
        self.read_bytes += len(data)
        return data


def multipart_request(fields: dict) -> tuple[WSGIRequest, CountingStream]:
    body = encode_multipart(BOUNDARY, fields)
    stream = CountingStream(body)
    environ = {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": "/",
        "SERVER_NAME": "testserver",
        "SERVER_PORT": "80",
        "wsgi.input": stream,
        "wsgi.url_scheme": "http",
        "CONTENT_TYPE": MULTIPART_CONTENT,
        "CONTENT_LENGTH": str(len(body)),
    }
    return WSGIRequest(environ), stream


def named(name: str, data: bytes) -> io.BytesIO:
    upload = io.BytesIO(data)
    upload.name = name
    return upload


@override_settings(FILE_UPLOAD_HANDLERS=RECORDING_HANDLERS, SHIFAN_UPLOAD_MAX_MB=1)
def test_a_file_past_the_limit_never_grows_past_it_on_disk_and_the_rest_of_the_form_is_read():
    RecordingTemporaryFileUploadHandler.seen = []
    request, stream = multipart_request(
        {
            "field": "intro",
            "file": named("大文件.pdf", PDF + bytes(5 * MEGABYTE)),
            "small": named("小文件.pdf", PDF),
            "after": "kept",
        }
    )
    files = request.FILES
    assert request.POST["field"] == "intro"
    assert request.POST["after"] == "kept"
    oversized = files["file"]
    assert isinstance(oversized, OversizedUpload)
    assert oversized.name == "大文件.pdf"
    assert oversized.size == len(PDF) + 5 * MEGABYTE
    assert oversized.read() == b""
    assert files["small"].read() == PDF
    # What reached the disk stopped at the limit, and that temporary file is gone.
    (path, largest), *rest = RecordingTemporaryFileUploadHandler.seen
    assert largest <= MEGABYTE
    assert not os.path.exists(path)
    assert [size for _path, size in rest] == [len(PDF)]
    # The remaining body was read (and thrown away) so that the browser gets the answer.
    assert stream.read_bytes == len(stream.getvalue())
    request.close()


@override_settings(FILE_UPLOAD_HANDLERS=RECORDING_HANDLERS, SHIFAN_UPLOAD_MAX_MB=1)
def test_a_part_declaring_a_size_past_the_limit_is_stopped_before_its_first_byte():
    RecordingTemporaryFileUploadHandler.seen = []
    content = PDF + bytes(2 * MEGABYTE)
    body = (
        (
            f"--{BOUNDARY}\r\n"
            'Content-Disposition: form-data; name="file"; filename="a.pdf"\r\n'
            "Content-Type: application/pdf\r\n"
            f"Content-Length: {len(content)}\r\n\r\n"
        ).encode()
        + content
        + f"\r\n--{BOUNDARY}--\r\n".encode()
    )
    environ = {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": "/",
        "SERVER_NAME": "testserver",
        "SERVER_PORT": "80",
        "wsgi.input": io.BytesIO(body),
        "wsgi.url_scheme": "http",
        "CONTENT_TYPE": MULTIPART_CONTENT,
        "CONTENT_LENGTH": str(len(body)),
    }
    request = WSGIRequest(environ)
    upload = request.FILES["file"]
    assert isinstance(upload, OversizedUpload)
    assert upload.size == len(content)
    assert RecordingTemporaryFileUploadHandler.seen == []
    request.close()


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(extra=st.integers(min_value=-3 * 65536, max_value=3 * 65536))
def test_a_file_is_stopped_exactly_when_it_passes_the_limit(extra):
    with override_settings(SHIFAN_UPLOAD_MAX_MB=1):
        size = MEGABYTE + extra
        request, _stream = multipart_request({"file": named("a.pdf", PDF + bytes(size - len(PDF)))})
        upload = request.FILES["file"]
        assert upload.size == size
        if size <= MEGABYTE:
            assert read_checked(upload, accept=("pdf",), max_size_mb=20).data[: len(PDF)] == PDF
        else:
            # The field takes 20 MB, the server 1 MB: the message names the smaller.
            with pytest.raises(UploadRefused, match=f"^文件过大：{size_text(size)}，上限 1 MB。$"):
                read_checked(upload, accept=("pdf",), max_size_mb=20)
        request.close()


def test_the_limit_handler_comes_first(settings):
    assert settings.FILE_UPLOAD_HANDLERS[0] == "shifan.core.uploads.UploadLimitHandler"
    assert settings.SHIFAN_UPLOAD_MAX_MB == 20
