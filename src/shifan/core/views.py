from typing import Any
from uuid import UUID

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import gettext as _
from django.views import View, defaults

from shifan.accounts.views import ProvinceMixin
from shifan.core import failed_work, notices
from shifan.core.pagination import Paginator


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


def _failed_work_filters(source: Any) -> tuple[str, str]:
    kind = failed_work.MAIL if source.get("kind") == failed_work.MAIL else failed_work.TASKS
    return kind, source.get("q", "").strip()


class FailedWorkView(ProvinceMixin, View):
    """The background tasks and mails that failed, newest first, each with its 重试 button."""

    def get(self, request: HttpRequest) -> HttpResponse:
        kind, query = _failed_work_filters(request.GET)
        page = Paginator(failed_work.failed_work(kind=kind, query=query), 30).get_page(
            request.GET.get("page")
        )
        rows = [failed_work.FailedRow.of(result) for result in page]
        return render(
            request, "core/failed_work.html", {"page": page, "rows": rows, "kind": kind, "query": query}
        )


class FailedWorkRetryView(ProvinceMixin, View):
    def post(self, request: HttpRequest, pk: UUID) -> HttpResponse:
        kind, query = _failed_work_filters(request.POST)
        try:
            failed_work.retry_failed_task(actor=request.user, task_result_id=str(pk))
        except failed_work.RetryRefused as refusal:
            messages.error(request, refusal.message)
        else:
            messages.success(
                request, _("邮件已重新排队发送。") if kind == failed_work.MAIL else _("任务已重新排队执行。")
            )
        filters = urlencode({"kind": kind, **({"q": query} if query else {})})
        return redirect(f"{reverse('failed_work')}?{filters}")


def bench_ceiling(request: HttpRequest) -> HttpResponse:
    """Return a few bytes: the load benchmark's ceiling, the throughput of the stack without a page.

    Routed only with SHIFAN_BENCH_CEILING on (shifan/urls.py); it reads nothing and renders nothing.
    """
    return HttpResponse(b"ok", content_type="text/plain")


def bench_one_query(request: HttpRequest) -> HttpResponse:
    """Return one row's key: bare Django's one-query page, the page benchmark's yardstick.

    Routed only with SHIFAN_BENCH_CEILING on, as `bench_ceiling`; one query through the ORM
    (a compiled queryset, as a page's own queries are), nothing rendered.
    """
    first = ContentType.objects.order_by("pk").values_list("pk", flat=True).first()
    return HttpResponse(str(first).encode(), content_type="text/plain")


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    """Answer a request Django refused while reading it; a body over the limits gets a 413 page.

    Django raises these while it parses the body (the CSRF check is the first to read it), before
    any view runs: a body whose fields pass DATA_UPLOAD_MAX_MEMORY_SIZE, or with more fields or
    files than the settings allow. Other bad requests (an unknown host name among them, which must
    not be rendered with the page layout) keep Django's own answer.
    """
    if isinstance(exception, RequestDataTooBig):
        status = 413
        title = _("提交的内容过大")
        message = _(
            "本次提交的内容超过服务器接收的上限（文字 %(text)s MB，单个文件 %(file)s MB），未能保存。"
            "请返回上一页，删减内容或改传较小的文件后重试。"
        ) % {
            "text": settings.DATA_UPLOAD_MAX_MEMORY_SIZE // (1024 * 1024),
            "file": settings.SHIFAN_UPLOAD_MAX_MB,
        }
    elif isinstance(exception, TooManyFilesSent):
        status = 400
        title = _("一次上传的文件过多")
        message = _("一次最多上传 %(count)s 个文件，本次提交未能保存。请返回上一页，减少文件后重试。") % {
            "count": settings.DATA_UPLOAD_MAX_NUMBER_FILES
        }
    elif isinstance(exception, TooManyFieldsSent):
        status = 400
        title = _("提交的内容过多")
        message = _("本次提交的栏目数超过服务器接收的上限，未能保存。请返回上一页，删减后重试。")
    else:
        return defaults.bad_request(request, exception)
    referer = request.META.get("HTTP_REFERER", "")
    back = referer if url_has_allowed_host_and_scheme(referer, allowed_hosts={request.get_host()}) else ""
    return render(
        request, "request_refused.html", {"title": title, "message": message, "back": back}, status=status
    )
