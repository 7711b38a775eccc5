"""Office files (ZIP archives) built for the upload tests, small on disk and as large as wanted expanded.

Nothing here holds an expanded entry in memory: a repeated megabyte compresses once and its
compressed bytes are repeated (after a full flush the compressor starts afresh, so every such
megabyte compresses to the same bytes). Entries are copied between archives without being
decompressed, and sizes can be declared in the headers whatever the entry really holds.
"""

from __future__ import annotations

import io
import struct
import zipfile
import zlib

MEGABYTE = 1024 * 1024
_LOCAL = struct.Struct("<4s5H3L2H")
_CENTRAL = struct.Struct("<4s6H3L5H2L")
_END = struct.Struct("<4s4H2LH")


def docx(entries: dict[str, bytes] | None = None, *, compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    """Return a small Word file; `entries` are added to it."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<w:document/>")
        for name, data in (entries or {}).items():
            archive.writestr(name, data)
    return buffer.getvalue()


def repeated_entry(
    name: str, megabytes: int, *, fill: bytes = b"\0", head: bytes = b"", tail: bytes = b""
) -> bytes:
    """Return a ZIP of one entry: `head`, `megabytes` megabytes of `fill`, then `tail`."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    block = fill * (MEGABYTE // len(fill))
    start = compressor.compress(head) + compressor.flush(zlib.Z_FULL_FLUSH)
    piece = compressor.compress(block) + compressor.flush(zlib.Z_FULL_FLUSH)
    body = start + piece * megabytes + compressor.compress(tail) + compressor.flush()
    crc = zlib.crc32(head)
    for _ in range(megabytes):
        crc = zlib.crc32(block, crc)
    crc = zlib.crc32(tail, crc)
    size = len(head) + len(block) * megabytes + len(tail)
    encoded = name.encode()
    local = _LOCAL.pack(b"PK\x03\x04", 20, 0, 8, 0, 0, crc, len(body), size, len(encoded), 0)
    central = _CENTRAL.pack(
        b"PK\x01\x02", 20, 20, 0, 8, 0, 0, crc, len(body), size, len(encoded), 0, 0, 0, 0, 0, 0
    )
    entries = local + encoded + body
    directory = central + encoded
    return entries + directory + _END.pack(b"PK\x05\x06", 0, 0, 1, 1, len(directory), len(entries), 0)


def merge(*archives: bytes, skip: tuple[str, ...] = ()) -> bytes:
    """Return one ZIP with the entries of `archives` but those named in `skip`, none decompressed."""
    entries = []
    for data in archives:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            for info in archive.infolist():
                if info.filename in skip:
                    continue
                start = info.header_offset
                name_length, extra_length = struct.unpack_from("<2H", data, start + 26)
                body = start + 30 + name_length + extra_length
                entries.append((info, data[start:body], data[body : body + info.compress_size]))
    content = b""
    directory = b""
    for info, local, body in entries:
        offset = len(content)
        content += local + body
        name = info.filename.encode()
        directory += _CENTRAL.pack(
            b"PK\x01\x02",
            20,
            20,
            info.flag_bits & ~0x08,
            info.compress_type,
            0,
            0,
            info.CRC,
            info.compress_size,
            info.file_size,
            len(name),
            0,
            0,
            0,
            0,
            0,
            offset,
        )
        directory += name
    count = len(entries)
    return content + directory + _END.pack(b"PK\x05\x06", 0, 0, count, count, len(directory), len(content), 0)


def declare_size(data: bytes, name: str, size: int) -> bytes:
    """Return the ZIP with `name`'s expanded size declared as `size` in its local and directory headers."""
    patched = bytearray(data)
    encoded = name.encode()
    position = 0
    while (position := patched.find(b"PK\x01\x02", position)) >= 0:
        name_length = struct.unpack_from("<H", patched, position + 28)[0]
        if bytes(patched[position + 46 : position + 46 + name_length]) == encoded:
            struct.pack_into("<L", patched, position + 24, size)
            local = struct.unpack_from("<L", patched, position + 42)[0]
            struct.pack_into("<L", patched, local + 22, size)
        position += 4
    return bytes(patched)


def gigabyte_docx() -> bytes:
    """Return a Word file of about a megabyte whose one real entry of zeros expands to a gigabyte."""
    return merge(docx(), repeated_entry("word/media/image1.bin", 1024))


def declared_gigabyte_docx() -> bytes:
    """Return a Word file of a few kilobytes whose headers declare an entry of a gigabyte."""
    data = docx({"word/media/image1.png": b"\x89PNG" + bytes(1000)})
    return declare_size(data, "word/media/image1.png", 1024 * MEGABYTE)


def replace(data: bytes, entries: bytes) -> bytes:
    """Return the ZIP `data` with the entries of the ZIP `entries` in place of those of the same names."""
    with zipfile.ZipFile(io.BytesIO(entries)) as archive:
        names = tuple(archive.namelist())
    return merge(merge(data, skip=names), entries)
