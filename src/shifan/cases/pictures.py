"""Pictures of a typical case: JPEG or PNG only, checked by content, size and pixels; thumbnails.

The content is checked twice: by its magic bytes (`core.filetypes`, as for attachments)
and by decoding it with Pillow, which also gives the size in pixels. A picture that does not
decode, or whose pixel count would make decoding it expensive, is refused before anything is
stored.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

from shifan.core.filetypes import (
    MAX_IMAGE_PIXELS,
    CheckedFile,
    UploadRefused,
    content_type,
    image_size,
    read_checked,
)

if TYPE_CHECKING:
    from django.core.files.uploadedfile import UploadedFile

MAX_SIZE_MB: Final = 5
MAX_PIXELS: Final = MAX_IMAGE_PIXELS
MAX_PICTURES: Final = 12
THUMBNAIL_WIDTH: Final = 640
EXTENSIONS: Final = {"image/jpeg": ".jpg", "image/png": ".png"}


@dataclass(frozen=True)
class CheckedPicture:
    content_type: str
    extension: str
    width: int
    height: int


def read_picture(uploaded: UploadedFile) -> tuple[CheckedFile, CheckedPicture]:
    """Read an uploaded picture and return it with what it is; raise UploadRefused if it is not accepted."""
    checked = read_checked(uploaded, accept=("image",), max_size_mb=MAX_SIZE_MB, unnamed="图片")
    return checked, _inspect(checked.data)


def _inspect(data: bytes) -> CheckedPicture:
    from PIL import Image, UnidentifiedImageError

    media_type = content_type(data[:16], "image")
    if media_type not in EXTENSIONS:
        raise UploadRefused("只接受 JPEG 或 PNG 图片。")
    width, height = image_size(data, max_pixels=MAX_PIXELS)
    try:
        with Image.open(io.BytesIO(data)) as image:
            image.verify()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        raise UploadRefused("图片已损坏或无法识别，请重新导出后上传。") from None
    return CheckedPicture(media_type, EXTENSIONS[media_type], width, height)


def thumbnail(data: bytes, media_type: str) -> bytes | None:
    """Return a copy at most THUMBNAIL_WIDTH wide in the same format, or None if it is small already."""
    from PIL import Image, ImageOps

    with Image.open(io.BytesIO(data)) as original:
        if original.width <= THUMBNAIL_WIDTH:
            return None
        if original.format == "JPEG":
            # Decode at a reduced scale (still at least the thumbnail's size): several times faster.
            original.draft("RGB", (THUMBNAIL_WIDTH, THUMBNAIL_WIDTH))
        image = ImageOps.exif_transpose(original)
        image.thumbnail((THUMBNAIL_WIDTH, THUMBNAIL_WIDTH * 4))
        output = io.BytesIO()
        if media_type == "image/jpeg":
            image.convert("RGB").save(output, "JPEG", quality=85, optimize=True)
        else:
            image.save(output, "PNG", optimize=True)
        return output.getvalue()
