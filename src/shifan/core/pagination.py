"""The paginator of every list page: Django's, but a first page that is not full is the whole list.

A list's first page is what most visits see, and at most sizes it holds the whole list: its rows
then give the count, and the page costs one query instead of the rows and a COUNT. A full first
page, and every later page, count in the database as Django's paginator does.
"""

from typing import Any

from django.core.paginator import Page
from django.core.paginator import Paginator as DjangoPaginator


class Paginator(DjangoPaginator):
    def get_page(self, number: Any) -> Page[Any]:
        try:
            first = number is None or int(number) == 1
        except (TypeError, ValueError):
            first = True  # Django's get_page answers the first page for a number it cannot read
        if first and not self.orphans:
            return self._first_page()
        return super().get_page(number)

    def _first_page(self) -> Page[Any]:
        rows = list(self.object_list[: self.per_page])
        if len(rows) < self.per_page:
            self.__dict__["count"] = len(rows)  # `count` is a cached property: this is its value
        return Page(rows, 1, self)
