"""Small HTTP helpers shared by the download views."""

from urllib.parse import quote

from django.http import HttpResponse

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def attachment_disposition(filename: str) -> str:
    """Return a Content-Disposition that keeps a Chinese file name in every current browser."""
    return f"attachment; filename*=UTF-8''{quote(filename)}"


def xlsx_response(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=XLSX)
    response["Content-Disposition"] = attachment_disposition(filename)
    return response
