"""Errors as RFC 9457 problem details (`application/problem+json`), titled in Chinese.

Every refusal of the API goes through `problem_response`: DRF's own (authentication,
permission, validation, throttling, not found) and the services' refusals, which keep the
message the pages show beside the field (`errors`) or above the form (`detail`).
"""

from typing import Any

from django.utils.translation import gettext as _
from rest_framework.response import Response
from rest_framework.views import exception_handler

PROBLEM_CONTENT_TYPE = "application/problem+json"


def _titles() -> dict[int, str]:
    return {
        400: _("请求有误"),
        401: _("未认证"),
        403: _("无权操作"),
        404: _("未找到"),
        405: _("不支持的请求方法"),
        406: _("无法提供所请求的格式"),
        409: _("操作被拒绝"),
        415: _("不支持的内容类型"),
        429: _("请求过于频繁"),
    }


def problem(status: int, detail: str, *, instance: str = "", errors: Any = None) -> dict[str, Any]:
    body: dict[str, Any] = {
        "type": "about:blank",
        "title": _titles().get(status, _("请求未能完成")),
        "status": status,
        "detail": detail,
    }
    if instance:
        body["instance"] = instance
    if errors is not None:
        body["errors"] = errors
    return body


def problem_response(status: int, detail: str, *, instance: str = "", errors: Any = None) -> Response:
    return Response(
        problem(status, detail, instance=instance, errors=errors),
        status=status,
        content_type=PROBLEM_CONTENT_TYPE,
    )


def problem_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    response = exception_handler(exc, context)
    if response is None:
        return None
    request = context.get("request")
    instance = request.path if request is not None else ""
    data = response.data
    if isinstance(data, dict) and set(data) == {"detail"}:
        body = problem(response.status_code, str(data["detail"]), instance=instance)
    else:
        body = problem(
            response.status_code,
            _("请求的内容有误，请按 errors 中的说明修改。"),
            instance=instance,
            errors=data,
        )
    response.data = body
    response.content_type = PROBLEM_CONTENT_TYPE
    return response
