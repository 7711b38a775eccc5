"""Cursor pagination: stable under inserts, and each page costs the same however deep it is."""

from rest_framework.pagination import CursorPagination


class ApiCursorPagination(CursorPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 100
    ordering = "-id"
    invalid_cursor_message = "cursor 参数无效，请使用上一页返回的 next 或 previous 链接。"
