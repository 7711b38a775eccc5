"""Who may call what: a client, its writes, and the roles of the page an endpoint mirrors."""

from typing import Any

from rest_framework.permissions import BasePermission
from rest_framework.request import Request

from shifan.api.models import ApiClient


class IsClient(BasePermission):
    message = "请在 Authorization 头中提供有效的接口令牌。"

    def has_permission(self, request: Request, view: Any) -> bool:
        return isinstance(request.auth, ApiClient)


class CanWrite(BasePermission):
    message = "该客户端为只读，不能写入；如需写入请联系省工信厅。"

    def has_permission(self, request: Request, view: Any) -> bool:
        return isinstance(request.auth, ApiClient) and request.auth.can_write


def page_roles(page_view: Any) -> type[BasePermission]:
    """Return a permission letting in the roles the page `page_view` lets in (its `allowed_roles`)."""

    class PageRoles(BasePermission):
        message = "该客户端的范围无权访问此接口。"

        def has_permission(self, request: Request, view: Any) -> bool:
            return getattr(request.user, "role", None) in page_view.allowed_roles

    PageRoles.__name__ = f"RolesOf{page_view.__name__}"
    return PageRoles
