"""Uploads bounded before they are read: while they stream, and, for ZIP files, by what they expand to.

Two guarantees, both from settings (`SHIFAN_UPLOAD_*`, listed in docs/deployment.md):

- No upload grows past `SHIFAN_UPLOAD_MAX_MB` on the server. `UploadLimitHandler`, the first of
  `FILE_UPLOAD_HANDLERS`, counts the bytes of each file as they arrive and stops passing them on
  (to memory or to a temporary file) at the limit. The file then reaches the view as an
  `OversizedUpload`: an empty stand-in with the file's name and whole size, which every upload
  check refuses with the message a file too large always got ("文件过大：60.0 MB，上限 20 MB。"),
  beside its field. The rest of the request is parsed as usual, so the view still knows which
  field the file was for; the rest of the file is read and thrown away, so that the browser gets
  the answer instead of a reset connection. A body larger than any page sends is refused earlier,
  by the reverse proxy (docs/deployment.md).
- No ZIP (docx, xlsx) is expanded when its entries, their declared expanded size or one entry's
  compression ratio pass `ArchiveLimits`: `check_archive` reads only the archive's directory,
  before anything decompresses it. Python's zipfile never returns more of an entry than its
  declared size (it stops there and fails the checksum), so the declared sizes also bound what
  openpyxl expands; `check_expansion` makes that explicit where the project expands a file itself,
  reading every entry with a byte cap.

This module is the base of the upload checks (`core.filetypes` builds on it) and imports
nothing of the project's own apps.
"""

from __future__ import annotations

import io
import math
import struct
import zipfile
import zlib
from dataclasses import dataclass
from typing import Any, Final

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.core.files.uploadhandler import FileUploadHandler, StopFutureHandlers

MEGABYTE: Final = 1024 * 1024
# An entry this small cannot hurt whatever its ratio: empty styles or repeated blank rows compress
# a thousand times over in ordinary Office files.
RATIO_FLOOR: Final = MEGABYTE
_CHUNK: Final = 64 * 1024

_EOCD: Final = struct.Struct("<4s4H2LH")
_EOCD_SIGNATURE: Final = b"PK\x05\x06"
_ZIP64_LOCATOR: Final = struct.Struct("<4sLQL")
_ZIP64_LOCATOR_SIGNATURE: Final = b"PK\x06\x07"
_ZIP64_EOCD: Final = struct.Struct("<4sQ2H2L4Q")
_ZIP64_EOCD_SIGNATURE: Final = b"PK\x06\x06"


class UploadRefused(ValueError):
    """Raised when an upload is not accepted; `message` is the Chinese reason shown to the user."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class ArchiveUnreadable(UploadRefused):
    """Raised when a file that should be a ZIP archive has no directory that can be read."""


def size_text(size: int) -> str:
    """Return a size in MB with one decimal, rounded up: just over a limit never reads as equal to it."""
    return f"{math.ceil(size * 10 / MEGABYTE) / 10:.1f} MB"


def upload_limit_bytes() -> int:
    """Return the largest file any upload of the project takes, in bytes."""
    return int(settings.SHIFAN_UPLOAD_MAX_MB) * MEGABYTE


# While the request streams


class OversizedUpload(UploadedFile):
    """A file stopped while it streamed because it passed the server's limit; none of it is kept.

    `size` is the file's whole size: the rest of it was counted as it went by, unstored.
    """

    def __init__(
        self,
        *,
        name: str,
        content_type: str | None,
        size: int,
        limit: int,
        charset: str | None = None,
        content_type_extra: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(io.BytesIO(), name, content_type, size, charset, content_type_extra)
        self.limit = limit

    def refusal(self, max_size_mb: int) -> str:
        """Return the message for a field that takes files up to `max_size_mb`."""
        return f"文件过大：{size_text(self.size or 0)}，上限 {min(max_size_mb, self.limit // MEGABYTE)} MB。"


def refuse_oversized(uploaded: object, *, max_size_mb: int) -> None:
    """Raise UploadRefused if `uploaded` was stopped while it streamed; callers do this before reading it."""
    if isinstance(uploaded, OversizedUpload):
        raise UploadRefused(uploaded.refusal(max_size_mb))


class UploadLimitHandler(FileUploadHandler):
    """Stop every file of a request at `SHIFAN_UPLOAD_MAX_MB`, as its bytes arrive.

    First in `FILE_UPLOAD_HANDLERS`: the handlers after it (memory, temporary file) receive a file's
    chunks only while the file is within the limit. A file declared larger (a part's own
    Content-Length) is stopped before its first byte; one that grows past the limit is stopped at
    the chunk that passes it, and what the later handlers stored of it is closed (a temporary file
    is deleted). Either way the view receives an `OversizedUpload` in its place.

    Stopping the whole request instead (StopUpload) would lose the fields after the file, and the
    view could not say which field the refusal belongs to.
    """

    def __init__(self, request: Any = None) -> None:
        super().__init__(request)
        self.limit = upload_limit_bytes()
        self.oversized = False
        self._earlier_files: dict[int, object] = {}

    def new_file(
        self,
        field_name: str,
        file_name: str,
        content_type: str,
        content_length: int | None,
        charset: str | None = None,
        content_type_extra: dict[str, Any] | None = None,
    ) -> None:
        super().new_file(field_name, file_name, content_type, content_length, charset, content_type_extra)
        self.oversized = content_length is not None and content_length > self.limit
        if self.oversized:
            # Declared too large: the later handlers never open a file for it.
            raise StopFutureHandlers
        # What the later handlers hold now belongs to earlier files, which are complete: only a file
        # they open from here on is this one's, to be closed if it passes the limit.
        self._earlier_files = {id(handler): getattr(handler, "file", None) for handler in self._later()}

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes | None:
        if self.oversized:
            return None
        if start + len(raw_data) <= self.limit:
            return raw_data
        self.oversized = True
        for handler in self._later():
            stored = getattr(handler, "file", None)
            if stored is not None and stored is not self._earlier_files.get(id(handler)):
                stored.close()
        return None

    def file_complete(self, file_size: int) -> OversizedUpload | None:
        if not self.oversized:
            return None
        # The parser counts every chunk of the part, those this handler kept from the others too.
        return OversizedUpload(
            name=self.file_name or "",
            content_type=self.content_type,
            size=file_size,
            limit=self.limit,
            charset=self.charset,
            content_type_extra=self.content_type_extra,
        )

    def _later(self) -> list[FileUploadHandler]:
        handlers = getattr(self.request, "upload_handlers", None) or []
        return [handler for handler in handlers if handler is not self]


# Before a ZIP is expanded


@dataclass(frozen=True)
class ArchiveLimits:
    """How far a ZIP may expand: entries, declared expanded size in total, ratio of one entry."""

    max_entries: int
    max_expanded_bytes: int
    max_ratio: int

    @classmethod
    def from_settings(cls, *, max_expanded_bytes: int | None = None) -> ArchiveLimits:
        """Return the settings' limits; `max_expanded_bytes` lowers the expanded size for one use."""
        expanded = int(settings.SHIFAN_UPLOAD_MAX_EXPANDED_MB) * MEGABYTE
        if max_expanded_bytes is not None:
            expanded = min(expanded, max_expanded_bytes)
        return cls(
            max_entries=int(settings.SHIFAN_UPLOAD_MAX_ARCHIVE_ENTRIES),
            max_expanded_bytes=expanded,
            max_ratio=int(settings.SHIFAN_UPLOAD_MAX_COMPRESSION_RATIO),
        )

    @property
    def expanded_text(self) -> str:
        return f"{self.max_expanded_bytes // MEGABYTE} MB"


# What zipfile raises for a damaged, encrypted or unsupported archive or entry.
_READ_ERRORS: Final = (
    zipfile.BadZipFile,
    zipfile.LargeZipFile,
    zlib.error,
    NotImplementedError,
    RuntimeError,
    ValueError,
    OSError,
    EOFError,
)
_UNREADABLE = "文件已损坏，无法读取其中的内容，请重新保存后上传。"


def declared_entries(data: bytes) -> int | None:
    """Return the number of entries a ZIP's end record declares, or None if it has none.

    Read from the last bytes alone: a directory of hundreds of thousands of empty entries takes
    seconds and a hundred megabytes to load, so the count is checked before it is loaded.
    """
    # The end record is the last 22 bytes unless a comment (at most 65,535 bytes) follows it.
    position = data.rfind(_EOCD_SIGNATURE, max(0, len(data) - _EOCD.size - 0xFFFF))
    if position < 0 or len(data) - position < _EOCD.size:
        return None
    entries = _EOCD.unpack_from(data, position)[4]
    if entries != 0xFFFF:
        return int(entries)
    # ZIP64: the count is in the ZIP64 end record, which the locator just before points to.
    locator = position - _ZIP64_LOCATOR.size
    if locator < 0 or data[locator : locator + 4] != _ZIP64_LOCATOR_SIGNATURE:
        return int(entries)
    offset = _ZIP64_LOCATOR.unpack_from(data, locator)[2]
    if offset + _ZIP64_EOCD.size > len(data) or data[offset : offset + 4] != _ZIP64_EOCD_SIGNATURE:
        return None
    return int(_ZIP64_EOCD.unpack_from(data, offset)[7])


def _too_many(entries: int, limits: ArchiveLimits) -> str:
    return f"文件内含 {entries} 个压缩条目，超过 {limits.max_entries} 个的上限，不予接收。"


def check_entries(data: bytes, limits: ArchiveLimits) -> int | None:
    """Refuse a ZIP whose end record declares more than `max_entries`; return the count it declares.

    None when there is no end record (the file is damaged or not a ZIP at all).
    """
    entries = declared_entries(data)
    if entries is not None and entries > limits.max_entries:
        raise UploadRefused(_too_many(entries, limits))
    return entries


def check_archive(data: bytes, limits: ArchiveLimits) -> None:
    """Refuse a ZIP (docx, xlsx, …) that would expand past `limits`; nothing is decompressed.

    Raise ArchiveUnreadable when the archive's directory cannot be read, UploadRefused with the
    bound it passes otherwise: too many entries, a declared expanded size above the limit, or one
    entry of more than a megabyte compressed more than `max_ratio` times.
    """
    if check_entries(data, limits) is None:
        raise ArchiveUnreadable(_UNREADABLE)
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            infos = archive.infolist()
    except _READ_ERRORS as error:
        raise ArchiveUnreadable(_UNREADABLE) from error
    if len(infos) > limits.max_entries:
        raise UploadRefused(_too_many(len(infos), limits))
    expanded = sum(info.file_size for info in infos)
    if expanded > limits.max_expanded_bytes:
        raise UploadRefused(
            f"文件解压后共 {size_text(expanded)}，超过 {limits.expanded_text} 上限："
            f"压缩后展开超过 {limits.expanded_text} 的文件不予接收。"
        )
    for info in infos:
        if info.file_size > RATIO_FLOOR and info.file_size > limits.max_ratio * max(info.compress_size, 1):
            ratio = info.file_size // max(info.compress_size, 1)
            raise UploadRefused(
                f"文件中的“{info.filename[:60]}”压缩比异常（约 {ratio} 倍，上限 {limits.max_ratio} 倍），"
                "不予接收。"
            )


def check_expansion(data: bytes, *, max_bytes: int) -> int:
    """Expand every entry of a checked ZIP with a byte cap and return the bytes it expands to.

    The declared sizes are not trusted: entries are read a chunk at a time and the reading stops,
    with UploadRefused, as soon as the total passes `max_bytes`; nothing is kept.
    """
    total = 0
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            for info in archive.infolist():
                with archive.open(info) as member:
                    while total <= max_bytes and (chunk := member.read(min(_CHUNK, max_bytes - total + 1))):
                        total += len(chunk)
                if total > max_bytes:
                    break
    except _READ_ERRORS as error:
        raise ArchiveUnreadable(_UNREADABLE) from error
    if total > max_bytes:
        limit = f"{max_bytes // MEGABYTE} MB"
        raise UploadRefused(f"文件解压后超过 {limit} 上限：压缩后展开超过 {limit} 的文件不予接收。")
    return total
