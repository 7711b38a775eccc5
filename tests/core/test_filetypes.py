"""Tests of telling uploaded files by their content (no database)."""

import io
import struct
import zipfile

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shifan.core.filetypes import MEGABYTE, UploadRefused, check_upload, detect_kind

PDF = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"
PNG = (
    b"\x89PNG\r\n\x1a\n"
    + struct.pack(">I", 13)
    + b"IHDR"
    + struct.pack(">IIBBBBB", 1, 1, 8, 6, 0, 0, 0)
    + b"\0" * 4
)
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00\xff\xd9"
GIF = b"GIF89a\x01\x00\x01\x00\x00\x00\x00;"
WEBP = b"RIFF" + struct.pack("<I", 26) + b"WEBPVP8 " + b"\0" * 18
BMP = b"BM" + struct.pack("<IHHI", 58, 0, 0, 54) + struct.pack("<IiiHH", 40, 1, 1, 1, 24) + b"\0" * 28
OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 504


def ooxml(*names: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        for name in names:
            archive.writestr(name, "<xml/>")
    return buffer.getvalue()


DOCX = ooxml("word/document.xml", "docProps/core.xml")
XLSX = ooxml("xl/workbook.xml", "xl/worksheets/sheet1.xml")


@pytest.mark.parametrize(
    ("data", "filename", "kind"),
    [
        (PDF, "报告.pdf", "pdf"),
        (PNG, "scan.png", "image"),
        (JPEG, "scan.jpg", "image"),
        (GIF, "a.gif", "image"),
        (WEBP, "a.webp", "image"),
        (BMP, "a.bmp", "image"),
        (DOCX, "a.docx", "word"),
        (XLSX, "a.xlsx", "excel"),
        (DOCX[:120], "a.docx", "word"),  # only the start of the file: read the entry names in clear
        (ooxml("ppt/presentation.xml"), "a.pptx", None),
        (ooxml("readme.txt"), "a.zip", None),
        (OLE2, "a.doc", "word"),
        (OLE2, "a.wps", "word"),
        (OLE2, "A.XLS", "excel"),
        (OLE2, "a.et", "excel"),
        (OLE2, "a.bin", None),
        (OLE2 + "WordDocument".encode("utf-16-le"), "a", "word"),  # its streams say what it is
        (OLE2 + "Workbook".encode("utf-16-le"), "a", "excel"),
        (b"BM not a bitmap at all", "a.bmp", None),
        (b"MZ\x90\x00", "a.pdf", None),
        (b"", "a.pdf", None),
    ],
)
def test_detect_kind(data, filename, kind):
    assert detect_kind(data, filename) == kind


@given(name=st.text(max_size=20), tail=st.binary(max_size=64))
def test_detect_kind_reads_the_content_not_the_name(name, tail):
    assert detect_kind(PDF + tail, name) == "pdf"
    assert detect_kind(PNG + tail, name) == "image"
    assert detect_kind(DOCX, name) == "word"
    assert detect_kind(XLSX, name) == "excel"


@pytest.mark.parametrize(
    ("data", "filename", "accept", "kind"),
    [
        (PDF, "申报书.pdf", ("pdf", "image"), "pdf"),
        (PDF, r"C:\Users\张三\Desktop\承诺书.PDF", ("pdf",), "pdf"),
        (JPEG, "scan.jpeg", ("pdf", "image"), "image"),
        (DOCX, "a.docx", ("pdf", "image", "word", "excel"), "word"),
        (OLE2, "a.doc", ("word",), "word"),
        (XLSX, "a.xlsx", ("excel",), "excel"),
    ],
)
def test_check_upload_accepts(data, filename, accept, kind):
    assert check_upload(data, filename, accept=accept, max_size_mb=20) == kind


@pytest.mark.parametrize(
    ("data", "filename", "accept", "message"),
    [
        (b"", "a.pdf", ("pdf",), "文件为空（0 字节），请重新选择文件。"),
        (
            b"MZ\x90\x00",
            "a.pdf",
            ("pdf", "image"),
            "文件内容不是允许的类型（允许：PDF、图片）。扩展名为 .pdf 但内容不是 PDF。",
        ),
        (PNG, "scan.pdf", ("pdf",), "文件内容不是允许的类型（允许：PDF）。扩展名为 .pdf 但内容不是 PDF。"),
        (
            PNG,
            "scan.pdf",
            ("pdf", "image"),
            "扩展名为 .pdf 但内容不是 PDF（实际是 图片）。"
            "请使用与内容相符的扩展名（.jpg、.jpeg、.png 等）后重新上传。",
        ),
        (DOCX, "a.docx", ("pdf", "image"), "文件内容不是允许的类型（允许：PDF、图片）。该文件是 Word 文档。"),
        (XLSX, "a.docx", ("word", "excel"), "扩展名为 .docx 但内容不是 Word 文档（实际是 Excel 表格）。"),
        (PNG, "scan", ("image",), "文件内容是 图片，但没有扩展名。"),
        (PNG, "scan.txt", ("image",), "文件内容是 图片，但扩展名 .txt。"),
        (
            ooxml("readme.txt"),
            "a.docx",
            ("word",),
            "文件内容不是允许的类型（允许：Word 文档）。扩展名为 .docx 但内容不是 Word 文档。",
        ),
    ],
)
def test_check_upload_refuses(data, filename, accept, message):
    with pytest.raises(UploadRefused) as refused:
        check_upload(data, filename, accept=accept, max_size_mb=20)
    assert refused.value.message.startswith(message)
    assert str(refused.value) == refused.value.message


@pytest.mark.parametrize(
    ("size", "message"),
    [
        (int(25.3 * MEGABYTE), "文件过大：25.3 MB，上限 20 MB。"),
        (20 * MEGABYTE + 1, "文件过大：20.1 MB，上限 20 MB。"),  # rounded up: never "20.0 MB, limit 20 MB"
    ],
)
def test_check_upload_refuses_large_files(size, message):
    data = PDF + b"\0" * (size - len(PDF))
    with pytest.raises(UploadRefused, match=message):
        check_upload(data, "a.pdf", accept=("pdf",), max_size_mb=20)


def test_check_upload_takes_a_file_of_exactly_the_limit():
    data = PDF + b"\0" * (MEGABYTE - len(PDF))
    assert check_upload(data, "a.pdf", accept=("pdf",), max_size_mb=1) == "pdf"
    with pytest.raises(UploadRefused, match="文件过大：1.1 MB，上限 1 MB。"):
        check_upload(data + b"\0", "a.pdf", accept=("pdf",), max_size_mb=1)
