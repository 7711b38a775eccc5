"""Small HTTP helpers shared by the download views."""

from urllib.parse import quote

from django.http import HttpResponse

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def attachment_disposition(filename: str, fallback: str = "download") -> str:
    """Return a Content-Disposition with the Chinese name (RFC 5987) and an ASCII one for old clients."""
    extension = filename.rpartition(".")[2] if "." in filename else ""
    ascii_name = fallback if "." in fallback or not extension else f"{fallback}.{extension}"
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename)}"


def xlsx_response(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=XLSX)
    response["Content-Disposition"] = attachment_disposition(filename)
    return response
