"""Public notice pages (no login), objections, and the province officers' handling of both."""

from datetime import date
from typing import Any

from django import forms
from django.contrib import messages
from django.core import signing
from django.core.cache import cache
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language
from django.views import View

from shifan.accounts.models import Role
from shifan.accounts.views import (
    AuthenticatedRequest,
    ProvinceMixin,
    RoleRequiredMixin,
    actor_of,
    paginate,
    render_view,
)
from shifan.core import reference
from shifan.core.captcha import captcha_options
from shifan.core.context_processors import PROCESS_KEY
from shifan.core.http import (
    PUBLIC_MAX_AGE,
    client_address,
    over_rate_limit,
    public_copy,
    public_page,
    refused,
    show_refusal,
    stored_file_response,
    xlsx_response,
)
from shifan.core.sheets import workbook_bytes
from shifan.programs.models import Batch
from shifan.publicity import exports, selectors, services
from shifan.publicity.forms import (
    AnnouncementForm,
    AnswerForm,
    CancelNoticeForm,
    DecisionForm,
    FindingsForm,
    InquiryForm,
    NationalForm,
    NoticeEndForm,
    NoticeForm,
    ObjectionForm,
    ObjectionStatusForm,
)
from shifan.publicity.models import (
    DEFAULT_OBJECTION_RULES,
    DemonstrationUnit,
    Notice,
    Objection,
    ObjectionState,
    ObjectorKind,
)
from shifan.publicity.services import ObjectorDetails, PublicityError

STATUS_LOOKUPS_PER_10_MINUTES = 20


# ---------------------------------------------------------------------------------------------
# Public pages


class PublicNoticeListView(View):
    """The notices and announcements, served from the copy rendered for what they are now."""

    def get(self, request: HttpRequest) -> HttpResponse:
        today = timezone.localdate()

        def page() -> HttpResponse:
            notices = list(selectors.public_notices(today))
            announcements = list(selectors.public_announcements()[:20])
            return render(
                request,
                "publicity/public_notices.html",
                {"notices": notices, "announcements": announcements, "today": today},
            )

        return public_copy("public_notices", selectors.public_lists_version(today), page)


class PublicNoticeView(View):
    """The notice as published. On a deadline day it is read far more often than it changes, so the
    rendered page is cached under the notice's `updated_at` (which every change of the notice or
    of its list moves), the day (the phase follows it) and the language. For `FRESH_SECONDS` after
    that check the page is served without asking the database at all: browsers and proxies may
    keep it for `PUBLIC_MAX_AGE` anyway. The services that change a notice drop that copy
    (`services.base.forget_public_notice`); other processes with their own cache follow within
    `FRESH_SECONDS`."""

    FRESH_SECONDS = 5

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        today = timezone.localdate()
        fresh_key = selectors.fresh_public_notice_key(pk, today, get_language())
        content = cache.get(fresh_key)
        if content is None:
            content = self._content(request, pk, today)
            cache.set(fresh_key, content, self.FRESH_SECONDS)
        return public_page(HttpResponse(content))

    def _content(self, request: HttpRequest, pk: int, today: date) -> bytes:
        notice = selectors.started_notice(pk, today)
        key = f"publicity:public_notice:{pk}:{notice.updated_at.timestamp()}:{today}:{get_language()}"
        content = cache.get(key)
        if content is None:
            entries = selectors.notice_entries(notice)
            content = render(
                request,
                "publicity/public_notice.html",
                {
                    "notice": notice,
                    "groups": selectors.grouped(entries),
                    "phase": notice.phase(today),
                    "refusal": services.objection_window_refusal(notice, today),
                },
            ).content
            cache.set(key, content, PUBLIC_MAX_AGE)
        return bytes(content)


class ObjectionCreateView(View):
    template_name = "publicity/objection_form.html"

    def _notice(self, pk: int) -> tuple[Notice, list[Any]]:
        return selectors.public_notice(pk)

    def get(self, request: HttpRequest, pk: int, form: ObjectionForm | None = None) -> HttpResponse:
        notice, entries = self._notice(pk)
        if form is None:
            entry = request.GET.get("entry", "")
            form = ObjectionForm(
                entries=entries,
                initial={"entry": entry if entry.isdigit() else ""},
                **captcha_options(request),
            )
        return render(
            request,
            self.template_name,
            {"notice": notice, "form": form, "refusal": services.objection_window_refusal(notice)},
        )

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        notice, entries = self._notice(pk)
        form = ObjectionForm(request.POST, request.FILES, entries=entries, **captcha_options(request))
        if not form.is_valid():
            return refused(self.get(request, pk, form))
        data = form.cleaned_data
        entry = next((e for e in entries if e.pk == data["entry"]), None)
        if entry is None:
            raise Http404
        details = ObjectorDetails(
            kind=data["kind"],
            name=data["name"],
            phone=data["phone"],
            grounds=data["grounds"],
            email=data["email"],
            id_number=data["id_number"] if data["kind"] == ObjectorKind.PERSON else "",
            credit_code=data["credit_code"] if data["kind"] == ObjectorKind.ORGANISATION else "",
            contact_person=data["contact_person"] if data["kind"] == ObjectorKind.ORGANISATION else "",
        )
        try:
            objection = services.file_objection(
                notice=notice,
                entry=entry,
                details=details,
                evidence=data["evidence"],
                ip_address=client_address(request) or None,
            )
        except PublicityError as error:
            show_refusal(form, error)
            # A used captcha cannot be used again: the page shows a fresh one.
            data = request.POST.copy()
            data["captcha_1"] = ""
            form.data = data
            return refused(self.get(request, pk, form))
        token = signing.dumps(objection.reference, salt="publicity.objection_received")
        return redirect("publicity:objection_received", token=token)


class ObjectionReceivedView(View):
    def get(self, request: HttpRequest, token: str) -> HttpResponse:
        try:
            reference_number = signing.loads(token, salt="publicity.objection_received", max_age=3600)
        except signing.BadSignature:
            raise Http404("链接已失效。") from None
        objection = selectors.objection_received(reference_number)
        return render(request, "publicity/objection_received.html", {"objection": objection})


class ObjectionStatusView(View):
    """Anyone with a reference and its phone sees the state and the decision, nothing else."""

    def get(self, request: HttpRequest) -> HttpResponse:
        form = ObjectionStatusForm(request.GET or None)
        objection = None
        if form.is_bound and form.is_valid():
            if over_rate_limit(request, "publicity.status", STATUS_LOOKUPS_PER_10_MINUTES, 600):
                form.add_error(None, "查询过于频繁，请 10 分钟后再试。")
            else:
                objection = selectors.objection_by_reference(
                    form.cleaned_data["reference"], form.cleaned_data["phone"]
                )
                if objection is None:
                    form.add_error(None, "没有找到与受理编号和联系电话相符的异议，请核对后再查。")
        return render(request, "publicity/objection_status.html", {"form": form, "objection": objection})


class PublicAnnouncementView(View):
    """The announcement as issued, with the units revoked since marked and dated. The announcement
    and its units' names, cities and validity are written once, by `services.publish_announcement`;
    only a revocation changes the page, so the rendered page is kept per language and per
    revocation count and latest date (one small query) for as long as the process runs its code."""

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        revision = selectors.announcement_revision(pk)
        key = f"publicity:public_announcement:{PROCESS_KEY}:{pk}:{revision}:{get_language()}"
        content = cache.get(key)
        if content is None:
            announcement, units = selectors.public_announcement(pk)
            content = render(
                request,
                "publicity/public_announcement.html",
                {
                    "announcement": announcement,
                    "groups": selectors.grouped(units),  # type: ignore[arg-type]
                    "paragraphs": [line for line in announcement.body.splitlines() if line.strip()],
                },
            ).content
            cache.set(key, content, PUBLIC_MAX_AGE)
        return public_page(HttpResponse(content))


# ---------------------------------------------------------------------------------------------
# Province officers


class PublicityOverviewView(ProvinceMixin, View):
    def get(self, request: AuthenticatedRequest) -> HttpResponse:
        for notice in selectors.notices_behind_their_dates():
            services.sync_notice(notice=notice)
        return render(
            request,
            "publicity/overview.html",
            {
                "awaiting": selectors.batches_awaiting_notice(),
                "notices": selectors.notices_for_officers(),
                "today": timezone.localdate(),
            },
        )


class NoticeCreateView(ProvinceMixin, View):
    template_name = "publicity/notice_form.html"

    def get(
        self, request: AuthenticatedRequest, batch_pk: int, form: NoticeForm | None = None
    ) -> HttpResponse:
        batch = get_object_or_404(selectors.batches_awaiting_notice(), pk=batch_pk)
        # In the order the notice will publish: category, then the review's rank.
        proposed = batch.applications.filter(state="proposed").select_related("organisation")
        proposed = proposed.order_by("category", "selection__rank", "number")
        if form is None and "preview" in request.GET:
            form = NoticeForm(request.GET)
        if form is None:
            form = NoticeForm(
                initial={
                    "title": services.notice_title(batch),
                    "starts_on": timezone.localdate(),
                    "working_days": batch.notice_working_days,
                    "contact_office": "省工业和信息化厅生产服务业处",
                    "objection_rules": DEFAULT_OBJECTION_RULES,
                }
            )
        period = None
        if form.is_bound and form.is_valid():
            period = services.notice_period(
                starts_on=form.cleaned_data["starts_on"], working_days=form.cleaned_data["working_days"]
            )
        return render(
            request,
            self.template_name,
            {"batch": batch, "form": form, "proposed": proposed, "period": period},
        )

    def post(self, request: AuthenticatedRequest, batch_pk: int) -> HttpResponse:
        batch = get_object_or_404(Batch, pk=batch_pk)
        form = NoticeForm(request.POST)
        if not form.is_valid():
            return refused(self.get(request, batch_pk, form))
        data = form.cleaned_data
        try:
            notice = services.open_notice(
                actor=actor_of(request),
                batch=batch,
                starts_on=data["starts_on"],
                title=data["title"],
                working_days=data["working_days"],
                contact_office=data["contact_office"],
                contact_phone=data["contact_phone"],
                contact_email=data["contact_email"],
                contact_address=data["contact_address"],
                objection_rules=data["objection_rules"],
                accept_uncovered=data["accept_uncovered"],
            )
        except PublicityError as error:
            show_refusal(form, error)
            return refused(self.get(request, batch_pk, form))
        messages.success(
            request,
            f"公示已发布：{notice.starts_on:%Y-%m-%d} 至 {notice.ends_on:%Y-%m-%d}，"
            f"共 {notice.working_days} 个工作日。",
        )
        return redirect("publicity:notice", pk=notice.pk)


class NoticeView(ProvinceMixin, View):
    def get(
        self,
        request: AuthenticatedRequest,
        pk: int,
        cancel_form: CancelNoticeForm | None = None,
        end_form: NoticeEndForm | None = None,
    ) -> HttpResponse:
        notice = services.sync_notice(notice=get_object_or_404(Notice, pk=pk))
        state = request.GET.get("state", "")
        query = request.GET.get("q", "").strip()
        entries = list(notice.entries.order_by("category", "position"))
        return render(
            request,
            "publicity/notice.html",
            {
                "notice": notice,
                "phase": notice.phase(),
                "groups": selectors.grouped(entries),
                "page": paginate(request, selectors.objections_of(notice, state=state, query=query)),
                "state": state,
                "query": query,
                "states": ObjectionState.choices,
                "cancel_form": cancel_form or CancelNoticeForm(),
                "calendar_end": services.end_review(notice),
                "end_form": end_form or NoticeEndForm(),
                "announcement_refusal": services.announcement_refusal(notice),
                "announcement": getattr(notice, "announcement", None),
            },
        )


class NoticeEndView(ProvinceMixin, View):
    """The province's decision on a notice whose end a holiday override moved: extend, or keep."""

    def post(self, request: AuthenticatedRequest, pk: int) -> HttpResponse:
        notice = get_object_or_404(Notice, pk=pk)
        form = NoticeEndForm(request.POST)
        if form.is_valid():
            extend = request.POST.get("decision") == "extend"
            try:
                notice = services.settle_notice_end(
                    actor=actor_of(request), notice=notice, extend=extend, reason=form.cleaned_data["reason"]
                )
            except PublicityError as error:
                show_refusal(form, error)
            else:
                if extend:
                    messages.success(request, f"公示截止日期已改为 {notice.ends_on:%Y-%m-%d}。")
                else:
                    messages.success(request, f"已保留原截止日期 {notice.ends_on:%Y-%m-%d}，理由已记录。")
                return redirect("publicity:notice", pk=pk)
        return refused(render_view(NoticeView, request, pk=pk, end_form=form))


class NoticeCancelView(ProvinceMixin, View):
    def post(self, request: AuthenticatedRequest, pk: int) -> HttpResponse:
        notice = get_object_or_404(Notice, pk=pk)
        form = CancelNoticeForm(request.POST)
        if form.is_valid():
            try:
                services.cancel_notice(
                    actor=actor_of(request), notice=notice, reason=form.cleaned_data["reason"]
                )
            except PublicityError as error:
                show_refusal(form, error)
            else:
                messages.success(request, "公示已撤销，名单保持已确定状态，可重新发布。")
                return redirect("publicity:overview")
        return refused(render_view(NoticeView, request, pk=pk, cancel_form=form))


class ObjectionExportView(ProvinceMixin, View):
    def get(self, request: AuthenticatedRequest, pk: int) -> HttpResponse:
        notice = get_object_or_404(Notice, pk=pk)
        return xlsx_response(
            workbook_bytes(exports.objections_workbook(notice)), f"{notice.title}异议登记表.xlsx"
        )


class ObjectionView(ProvinceMixin, View):
    template_name = "publicity/objection.html"

    def get(self, request: AuthenticatedRequest, pk: int, **forms: Any) -> HttpResponse:
        objection = selectors.objection_for_officer(pk)
        return render(
            request,
            self.template_name,
            {
                "objection": objection,
                "inquiries": objection.inquiries.select_related("asked_by", "answered_by"),
                # The objector's evidence; files sent with an answer show under their inquiry.
                "evidence": objection.evidence.filter(inquiry__isnull=True),
                "inquiry_form": forms.get("inquiry_form") or InquiryForm(),
                "findings_form": forms.get("findings_form")
                or FindingsForm(initial={"findings": objection.findings}),
                "decision_form": forms.get("decision_form")
                or DecisionForm(initial={"findings": objection.findings}),
            },
        )


class ObjectionEvidenceView(ProvinceMixin, View):
    def get(self, request: AuthenticatedRequest, pk: int, evidence_pk: int) -> FileResponse:
        objection = selectors.objection_for_officer(pk)
        item = get_object_or_404(objection.evidence, pk=evidence_pk)
        return stored_file_response(item.file, filename=item.original_name)


class ObjectionActionView(ProvinceMixin, View):
    """One step on an objection; a refusal shows the objection page again with the form's errors."""

    form_class: type[forms.Form]
    form_name: str
    done: str

    def act(self, actor: Any, objection: Objection, data: dict[str, Any]) -> None:
        raise NotImplementedError

    def done_url(self, objection: Objection) -> str:
        return reverse("publicity:objection", kwargs={"pk": objection.pk})

    def post(self, request: AuthenticatedRequest, pk: int) -> HttpResponse:
        objection = selectors.objection_for_officer(pk)
        form = self.form_class(request.POST)
        if form.is_valid():
            try:
                self.act(actor_of(request), objection, form.cleaned_data)
            except PublicityError as error:
                show_refusal(form, error)
            else:
                messages.success(request, self.done)
                return redirect(self.done_url(objection))
        return refused(render_view(ObjectionView, request, pk=pk, **{self.form_name: form}))


class InquirySendView(ObjectionActionView):
    form_class = InquiryForm
    form_name = "inquiry_form"
    done = "核查请求已发出。"

    def act(self, actor: Any, objection: Objection, data: dict[str, Any]) -> None:
        services.send_inquiry(
            actor=actor,
            objection=objection,
            addressee=data["addressee"],
            question=data["question"],
            due_on=data["due_on"],
        )


class FindingsView(ObjectionActionView):
    form_class = FindingsForm
    form_name = "findings_form"
    done = "核查情况已保存。"

    def act(self, actor: Any, objection: Objection, data: dict[str, Any]) -> None:
        services.record_findings(actor=actor, objection=objection, findings=data["findings"])


class DecisionView(ObjectionActionView):
    form_class = DecisionForm
    form_name = "decision_form"
    done = "异议已处理，已通知异议人和被异议单位。"

    def act(self, actor: Any, objection: Objection, data: dict[str, Any]) -> None:
        services.decide_objection(
            actor=actor,
            objection=objection,
            upheld=data["outcome"] == "upheld",
            findings=data["findings"],
            reason=data["reason"],
            despite_unanswered=data.get("despite_unanswered", False),
        )

    def done_url(self, objection: Objection) -> str:
        return reverse("publicity:notice", kwargs={"pk": objection.notice_id})


class AnnouncementCreateView(ProvinceMixin, View):
    template_name = "publicity/announcement_form.html"

    def get(
        self, request: AuthenticatedRequest, pk: int, form: AnnouncementForm | None = None
    ) -> HttpResponse:
        notice = services.sync_notice(notice=get_object_or_404(Notice.objects.select_related("batch"), pk=pk))
        if form is None:
            defaults = services.announcement_defaults(notice)
            form = AnnouncementForm(initial={**defaults, "issued_on": timezone.localdate()})
        return render(
            request,
            self.template_name,
            {
                "notice": notice,
                "form": form,
                "refusal": services.announcement_refusal(notice),
                "groups": selectors.grouped(list(notice.entries.filter(removed_at=None))),
            },
        )

    def post(self, request: AuthenticatedRequest, pk: int) -> HttpResponse:
        notice = get_object_or_404(Notice, pk=pk)
        form = AnnouncementForm(request.POST)
        if not form.is_valid():
            return refused(self.get(request, pk, form))
        try:
            announcement = services.publish_announcement(
                actor=actor_of(request), notice=notice, **form.cleaned_data
            )
        except PublicityError as error:
            show_refusal(form, error)
            return refused(self.get(request, pk, form))
        # The public page is the confirmation. It shows no messages (it keeps no session state
        # for proxies to cache), so a message here would pop up later on an unrelated page.
        return redirect("publicity:public_announcement", pk=announcement.pk)


class UnitListView(ProvinceMixin, View):
    def get(self, request: AuthenticatedRequest) -> HttpResponse:
        filters = {
            "batch_id": request.GET.get("batch", ""),
            "category": request.GET.get("category", ""),
            "city_code": request.GET.get("city", ""),
            "national": request.GET.get("national", ""),
            "query": request.GET.get("q", "").strip(),
        }
        queryset = selectors.units(**filters)
        if request.GET.get("format") == "xlsx":
            return xlsx_response(
                workbook_bytes(exports.units_workbook(queryset)), "广东省服务型制造示范单位.xlsx"
            )
        return render(
            request,
            "publicity/units.html",
            {
                "page": paginate(request, queryset),
                "filters": filters,
                "batches": Batch.objects.filter(announcement__isnull=False).order_by("-application_year"),
                "cities": reference.cities(),
                "export_query": request.GET.urlencode(),
            },
        )


class UnitNationalView(ProvinceMixin, View):
    template_name = "publicity/unit_national.html"

    def get(self, request: AuthenticatedRequest, pk: int, form: NationalForm | None = None) -> HttpResponse:
        unit = get_object_or_404(DemonstrationUnit.objects.select_related("announcement"), pk=pk)
        if form is None:
            form = NationalForm(
                initial={
                    "recommended": unit.national_recommended,
                    "priority": unit.national_priority or services.next_priority(),
                    "note": unit.national_note,
                }
            )
        return render(request, self.template_name, {"unit": unit, "form": form})

    def post(self, request: AuthenticatedRequest, pk: int) -> HttpResponse:
        unit = get_object_or_404(DemonstrationUnit, pk=pk)
        form = NationalForm(request.POST)
        if form.is_valid():
            try:
                services.recommend_nationally(actor=actor_of(request), unit=unit, **form.cleaned_data)
            except PublicityError as error:
                show_refusal(form, error)
            else:
                messages.success(request, "已保存国家级遴选推荐。")
                return redirect(reverse("publicity:units") + "?national=yes")
        return refused(self.get(request, pk, form))


# ---------------------------------------------------------------------------------------------
# City officers and units: answering inquiries


class InquiryMixin(RoleRequiredMixin):
    allowed_roles = (Role.CITY_OFFICER, Role.APPLICANT)


class InquiryListView(InquiryMixin, View):
    def get(self, request: AuthenticatedRequest) -> HttpResponse:
        return render(
            request,
            "publicity/inquiries.html",
            {"page": paginate(request, selectors.inquiries_for(request.user))},
        )


class InquiryView(InquiryMixin, View):
    def get(self, request: AuthenticatedRequest, pk: int, form: AnswerForm | None = None) -> HttpResponse:
        inquiry = selectors.inquiry_for(request.user, pk)
        return render(request, "publicity/inquiry.html", {"inquiry": inquiry, "form": form or AnswerForm()})

    def post(self, request: AuthenticatedRequest, pk: int) -> HttpResponse:
        inquiry = selectors.inquiry_for(request.user, pk)
        form = AnswerForm(request.POST, request.FILES)
        if form.is_valid():
            try:
                services.answer_inquiry(
                    actor=actor_of(request),
                    inquiry=inquiry,
                    answer=form.cleaned_data["answer"],
                    files=form.cleaned_data["evidence"],
                )
            except PublicityError as error:
                show_refusal(form, error)
            else:
                messages.success(request, "情况说明已提交省工业和信息化厅。")
                return redirect("publicity:inquiry", pk=pk)
        return refused(self.get(request, pk, form))
