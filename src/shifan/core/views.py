from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views import View

from shifan.core import notices


class NoticeListView(LoginRequiredMixin, View):
    def get(self, request: HttpRequest) -> HttpResponse:
        page = Paginator(notices.notices_of(request.user), 25).get_page(request.GET.get("page"))
        return render(request, "core/notice_list.html", {"page": page})

    def post(self, request: HttpRequest) -> HttpResponse:
        notices.mark_read(user=request.user)
        return redirect("notices")


class NoticeOpenView(LoginRequiredMixin, View):
    """Mark a notice read and go where it points."""

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        notice = notices.notices_of(request.user).filter(pk=pk).first()
        if notice is None:
            raise Http404
        notices.mark_read(user=request.user, notice=notice)
        if notice.url and url_has_allowed_host_and_scheme(notice.url, allowed_hosts={request.get_host()}):
            return redirect(notice.url)
        return redirect("notices")


def bench_ceiling(request: HttpRequest) -> HttpResponse:
    """Return a few bytes: the load benchmark's ceiling, the throughput of the stack without a page.

    Routed only with SHIFAN_BENCH_CEILING on (shifan/urls.py); it reads nothing and renders nothing.
    """
    return HttpResponse(b"ok", content_type="text/plain")
