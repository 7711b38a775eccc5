"""What an uploaded file really is, told by its content (magic bytes), not by its name.

An attachment is accepted when its content is one of the kinds the field takes (pdf, image, word,
excel), its extension names that same kind, it is not empty and not too large. The extension is
trusted for one thing only: telling a legacy Word file from a legacy Excel file (both OLE2
compound documents) when the content does not say. An Office Open XML file (a ZIP) is also refused
when it would expand past the settings' limits, before anything decompresses it (`core.uploads`).

It sits in core, under every app, so that each checks its uploads the same way: the applications'
attachments, the organisations' licence scans (accounts) and every later stage's files.
"""

from __future__ import annotations

import hashlib
import io
import zipfile
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import TYPE_CHECKING, Final

from shifan.core.uploads import (
    MEGABYTE,
    ArchiveLimits,
    ArchiveUnreadable,
    UploadRefused,
    check_archive,
    check_entries,
    refuse_oversized,
    size_text,
)

if TYPE_CHECKING:
    from django.core.files.uploadedfile import UploadedFile

KIND_LABELS: Final = {"pdf": "PDF", "image": "图片", "word": "Word 文档", "excel": "Excel 表格"}
EXTENSIONS: Final = {
    "pdf": (".pdf",),
    "image": (".jpg", ".jpeg", ".png", ".gif", ".webp", ".bmp", ".jfif", ".jpe"),
    "word": (".doc", ".docx", ".wps"),
    "excel": (".xls", ".xlsx", ".et"),
}
_OLE2_WORD: Final = (".doc", ".dot", ".wps")
_OLE2_EXCEL: Final = (".xls", ".xlt", ".et")


_OLE2_MAGIC: Final = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ZIP_MAGIC: Final = b"PK\x03\x04"
_BMP_HEADER_SIZES: Final = (12, 40, 52, 56, 64, 108, 124)


def _extension(filename: str) -> str:
    # The browser may send a Windows path; only the last part is the name.
    name = PurePosixPath(filename.replace("\\", "/")).name
    return PurePosixPath(name).suffix.lower()


def _image(head: bytes) -> bool:
    if head.startswith((b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff", b"GIF87a", b"GIF89a")):
        return True
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return True
    # "BM" alone would match plain text; check that a known DIB header size follows.
    return (
        head[:2] == b"BM" and len(head) >= 18 and int.from_bytes(head[14:18], "little") in _BMP_HEADER_SIZES
    )


def _ooxml(data: bytes) -> str | None:
    """Return "word" or "excel" for an Office Open XML zip, by the folders inside it."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = archive.namelist()
    except (zipfile.BadZipFile, ValueError, OSError):
        # Only the start of the file: the local file headers name the entries in clear.
        if b"word/" in data:
            return "word"
        if b"xl/" in data:
            return "excel"
        return None
    if any(name.startswith("word/") for name in names):
        return "word"
    if any(name.startswith("xl/") for name in names):
        return "excel"
    return None


def _ole2(data: bytes, extension: str) -> str | None:
    """Return "word" or "excel" for an OLE2 compound document, by its streams or its extension."""
    word = "WordDocument".encode("utf-16-le") in data
    excel = "Workbook".encode("utf-16-le") in data
    if word != excel:
        return "word" if word else "excel"
    if extension in _OLE2_WORD:
        return "word"
    if extension in _OLE2_EXCEL:
        return "excel"
    return None


def detect_kind(head: bytes, filename: str) -> str | None:
    """Return "pdf", "image", "word" or "excel" for the file's content, or None if it is none of them.

    `head` may be the whole file or its start. The name is read only to tell a legacy .doc/.wps from
    a .xls/.et when their content does not say.
    """
    if head.startswith(b"%PDF-"):
        return "pdf"
    if _image(head):
        return "image"
    if head.startswith(_ZIP_MAGIC):
        return _ooxml(head)
    if head.startswith(_OLE2_MAGIC):
        return _ole2(head, _extension(filename))
    return None


def content_type(head: bytes, kind: str) -> str:
    """Return the media type to serve a file of `kind` with, told by its content for images."""
    if kind == "pdf":
        return "application/pdf"
    if kind == "image":
        if head.startswith(b"\x89PNG"):
            return "image/png"
        if head.startswith(b"\xff\xd8\xff"):
            return "image/jpeg"
        if head.startswith(b"GIF8"):
            return "image/gif"
        if head[:4] == b"RIFF":
            return "image/webp"
        return "image/bmp"
    return "application/octet-stream"


def _allowed(accept: tuple[str, ...]) -> str:
    return "、".join(KIND_LABELS.get(kind, kind) for kind in accept)


def check_size(size: int, *, max_size_mb: int) -> None:
    """Refuse an empty file or one above the limit; callers use it before reading the file too."""
    if not size:
        raise UploadRefused("文件为空（0 字节），请重新选择文件。")
    if size > max_size_mb * MEGABYTE:
        raise UploadRefused(f"文件过大：{size_text(size)}，上限 {max_size_mb} MB。")


@dataclass(frozen=True)
class CheckedFile:
    """An upload read and accepted: its name (as stored, the extension kept), content, kind, digest."""

    name: str
    data: bytes
    kind: str
    sha256: str


def read_checked(
    uploaded: UploadedFile, *, accept: tuple[str, ...], max_size_mb: int, unnamed: str = "附件"
) -> CheckedFile:
    """Read an upload and check it (`check_upload`); `unnamed` names a file the browser sent without one.

    An oversized file is refused before it is read into memory: by its declared size, or because
    it was stopped while it streamed (core.uploads).
    """
    name = (uploaded.name or unnamed)[-255:]
    refuse_oversized(uploaded, max_size_mb=max_size_mb)
    check_size(uploaded.size or 0, max_size_mb=max_size_mb)
    data = uploaded.read()
    kind = check_upload(data, name, accept=accept, max_size_mb=max_size_mb)
    return CheckedFile(name=name, data=data, kind=kind, sha256=hashlib.sha256(data).hexdigest())


def check_room(stored: int, max_files: int | None) -> None:
    """Refuse one more file for a field that keeps `stored` and takes at most `max_files`."""
    if max_files is not None and stored >= max_files:
        raise UploadRefused(f"此处最多上传 {max_files} 个文件，请先删除已上传的文件。")


def check_upload(data: bytes, filename: str, *, accept: tuple[str, ...], max_size_mb: int) -> str:
    """Return the kind of an uploaded file; raise UploadRefused with the reason if it is not accepted.

    Refused: an empty file, one above `max_size_mb`, one whose content is not of a kind in `accept`,
    one whose extension names another kind than its content (a PNG named .pdf), and an Office file
    that would expand past the settings' limits (`core.uploads.check_archive`) or cannot be opened.
    """
    check_size(len(data), max_size_mb=max_size_mb)
    limits = ArchiveLimits.from_settings() if data.startswith(_ZIP_MAGIC) else None
    if limits is not None:
        # Telling the kind loads the archive's directory: how many entries it holds is checked first.
        check_entries(data, limits)
    extension = _extension(filename)
    named = next((kind for kind, extensions in EXTENSIONS.items() if extension in extensions), None)
    kind = detect_kind(data, filename)
    if kind is None or kind not in accept:
        reason = f"文件内容不是允许的类型（允许：{_allowed(accept)}）。"
        if named is not None and named != kind:
            reason += f"扩展名为 {extension} 但内容不是 {KIND_LABELS[named]}。"
        elif kind is not None:
            reason += f"该文件是 {KIND_LABELS[kind]}。"
        raise UploadRefused(reason)
    if named != kind:
        expected = "、".join(EXTENSIONS[kind][:3])
        if named is None:
            shown = f"扩展名 {extension}" if extension else "没有扩展名"
            raise UploadRefused(f"文件内容是 {KIND_LABELS[kind]}，但{shown}。请使用 {expected} 等扩展名。")
        raise UploadRefused(
            f"扩展名为 {extension} 但内容不是 {KIND_LABELS[named]}（实际是 {KIND_LABELS[kind]}）。"
            f"请使用与内容相符的扩展名（{expected} 等）后重新上传。"
        )
    if limits is not None:
        try:
            check_archive(data, limits)
        except ArchiveUnreadable:
            raise UploadRefused(
                f"文件已损坏，无法作为 {KIND_LABELS[kind]} 打开，请重新保存后上传。"
            ) from None
    return kind


# Beyond this many pixels decoding a picture costs more memory than a page of it is worth.
MAX_IMAGE_PIXELS = 40_000_000


def image_size(data: bytes, *, max_pixels: int = MAX_IMAGE_PIXELS) -> tuple[int, int]:
    """Return a JPEG or PNG picture's width and height from its header, decoding nothing; raise
    UploadRefused if it cannot be read or has more than `max_pixels` pixels."""
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(data)) as image:
            width, height = image.size
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        raise UploadRefused("图片已损坏或无法识别，请重新导出后上传。") from None
    if width * height > max_pixels:
        raise UploadRefused(f"图片像素过多（{width}×{height}），请缩小到 {max_pixels // 10_000} 万像素以内。")
    return width, height
