"""Pages of dynamic tracking: rounds and their reports for officers, the report page for units."""

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views import View

from shifan.accounts.models import Role
from shifan.accounts.views import AuthenticatedRequest, ProvinceMixin, RoleRequiredMixin, paginate
from shifan.core import reference
from shifan.core.http import posted_text, public_page, stored_file_response, xlsx_response
from shifan.core.sheets import workbook_bytes
from shifan.tracking import exports, presentation, selectors, services
from shifan.tracking.forms import AttachmentForm, EvaluationForm, RevokeForm, RoundForm
from shifan.tracking.models import Evaluation, Report, ReportState
from shifan.tracking.services import FieldErrors, TrackingError


class OfficerMixin(RoleRequiredMixin):
    allowed_roles = (Role.PROVINCE_OFFICER, Role.CITY_OFFICER)


class ReaderMixin(RoleRequiredMixin):
    allowed_roles = (Role.PROVINCE_OFFICER, Role.CITY_OFFICER, Role.APPLICANT)


class ApplicantMixin(RoleRequiredMixin):
    allowed_roles = (Role.APPLICANT,)


class RoundListView(OfficerMixin, View):
    def get(self, request: AuthenticatedRequest) -> HttpResponse:
        page = paginate(request, selectors.rounds_for(request.user))
        today = timezone.localdate()
        summaries = selectors.round_summaries(page.object_list, request.user, today)
        rows = [{"round": round_, **summaries[round_.pk]} for round_ in page.object_list]
        return render(request, "tracking/rounds.html", {"page": page, "rows": rows, "today": today})


class RoundCreateView(ProvinceMixin, View):
    template_name = "tracking/round_form.html"

    def get(
        self, request: AuthenticatedRequest, form: RoundForm | None = None, refusal: str = ""
    ) -> HttpResponse:
        return render(request, self.template_name, {"form": form or RoundForm(), "refusal": refusal})

    def post(self, request: AuthenticatedRequest) -> HttpResponse:
        form = RoundForm(request.POST)
        if not form.is_valid():
            response = self.get(request, form)
            response.status_code = 400
            return response
        data = form.cleaned_data
        try:
            round_ = services.open_round(
                actor=request.user,
                title=data["title"],
                year=data["year"],
                due_on=data["due_on"],
                category=data["category"] or "",
                batch=data["batch"],
                reminder_days=data["reminder_days"] or [],
                note=data["note"],
            )
        except FieldErrors as error:
            for name, message in error.errors.items():
                form.add_error(name if name in form.fields else None, message)
            return self.get(request, form)
        except TrackingError as error:
            return self.get(request, form, error.message)
        messages.success(
            request,
            _("已发起“%(title)s”，已通知 %(count)s 家示范单位。")
            % {"title": round_.title, "count": round_.reports.count()},
        )
        return redirect("tracking:round", pk=round_.pk)


class RoundView(OfficerMixin, View):
    def get(self, request: AuthenticatedRequest, pk: int) -> HttpResponse:
        round_ = selectors.round_for(request.user, pk)
        today = timezone.localdate()
        filters = {
            "state": request.GET.get("state", ""),
            "flagged": request.GET.get("flagged", ""),
            "evaluation": request.GET.get("evaluation", ""),
            "city_code": request.GET.get("city", "") if request.user.is_province_officer else "",
            "query": request.GET.get("q", "").strip(),
        }
        reports = selectors.round_reports(request.user, round_, today=today, **filters)
        if request.GET.get("format") == "xlsx":
            return xlsx_response(
                workbook_bytes(
                    exports.round_workbook(round_, reports.select_related("unit__application__batch"), today)
                ),
                f"{round_.title}.xlsx",
            )
        page = paginate(request, reports)
        return render(
            request,
            "tracking/round.html",
            {
                "round": round_,
                "page": page,
                "rows": [
                    {"report": r, "state": r.state(today), "label": r.state_label(today)}
                    for r in page.object_list
                ],
                "summary": selectors.round_summaries([round_], request.user, today)[round_.pk],
                "filters": filters,
                "states": ReportState.choices,
                "evaluations": Evaluation.choices,
                "cities": reference.cities(),
                "export_query": request.GET.urlencode(),
                "overdue": round_.is_overdue(today),
            },
        )


class RoundCloseView(ProvinceMixin, View):
    def post(self, request: AuthenticatedRequest, pk: int) -> HttpResponse:
        round_ = selectors.round_for(request.user, pk)
        try:
            services.close_round(actor=request.user, round_=round_)
        except TrackingError as error:
            messages.error(request, error.message)
        else:
            messages.success(
                request, _("“%(title)s”已结束：不再接受提交，也不再提醒。") % {"title": round_.title}
            )
        return redirect("tracking:round", pk=pk)


class OwnReportsView(ApplicantMixin, View):
    def get(self, request: AuthenticatedRequest) -> HttpResponse:
        today = timezone.localdate()
        reports = list(selectors.reports_of_units(request.user))
        rows = [{"report": r, "state": r.state(today), "label": r.state_label(today)} for r in reports]
        return render(request, "tracking/own_reports.html", {"rows": rows})


class ReportView(ReaderMixin, View):
    template_name = "tracking/report.html"

    def get(
        self,
        request: AuthenticatedRequest,
        pk: int,
        errors: dict[str, str] | None = None,
        evaluation_form: EvaluationForm | None = None,
    ) -> HttpResponse:
        report = selectors.report_for(request.user, pk)
        today = timezone.localdate()
        form = services.report_form(report)
        refusal = services.report_refusal(request.user, report)
        editable = request.user.is_applicant and not refusal
        context: dict[str, Any] = {
            "report": report,
            "round": report.round,
            "unit": report.unit,
            "state": report.state(today),
            "state_label": report.state_label(today),
            "editable": editable,
            "refusal": refusal,
            "attachments": list(report.attachments.all()),
            "attachment_form": AttachmentForm(),
        }
        if editable:
            context["sections"] = presentation.form_sections(form, report.answers or {}, errors or {})
            context["error_count"] = len(errors or {})
        else:
            context["read_only"] = presentation.read_only_sections(form, report)
        if request.user.is_province_officer:
            context["evaluation_refusal"] = services.evaluation_refusal(report, today)
            context["evaluation_form"] = evaluation_form or EvaluationForm(
                initial={"evaluation": report.evaluation, "reason": report.evaluation_reason}
            )
        return render(request, self.template_name, context)

    def post(self, request: AuthenticatedRequest, pk: int) -> HttpResponse:
        if not request.user.is_applicant:
            raise PermissionDenied("只有示范单位可以填报。")
        report = selectors.report_for(request.user, pk)
        try:
            if request.POST.get("action") == "submit":
                report = services.submit_report(actor=request.user, report=report, data=request.POST)
                if report.state() == ReportState.LATE:
                    messages.warning(request, _("报告已提交（逾期提交）。"))
                else:
                    messages.success(request, _("报告已提交。"))
                return redirect("tracking:report", pk=pk)
            report, errors = services.save_report(actor=request.user, report=report, data=request.POST)
        except FieldErrors as error:
            messages.error(request, _("报告已暂存，但还不能提交：%(message)s") % {"message": error.message})
            response = self.get(request, pk, errors=error.errors)
            response.status_code = 400
            return response
        except TrackingError as error:
            messages.error(request, error.message)
            return redirect("tracking:report", pk=pk)
        if errors:
            messages.warning(
                request, _("已暂存。有 %(errors)s 处需要修改，见各栏下方。") % {"errors": len(errors)}
            )
            return self.get(request, pk, errors=errors)
        messages.success(request, _("已暂存。"))
        return redirect("tracking:report", pk=pk)


class AttachmentAddView(ApplicantMixin, View):
    def post(self, request: AuthenticatedRequest, pk: int) -> HttpResponse:
        report = selectors.report_for(request.user, pk)
        form = AttachmentForm(request.POST, request.FILES)
        if not form.is_valid():
            messages.error(request, _("请选择要上传的文件。"))
            return redirect("tracking:report", pk=pk)
        try:
            attachment = services.add_report_attachment(
                actor=request.user,
                report=report,
                field_key=request.POST.get("field", ""),
                uploaded=form.cleaned_data["file"],
            )
        except TrackingError as error:
            messages.error(request, _("上传失败：%(message)s") % {"message": error.message})
        else:
            messages.success(
                request, _("已上传 %(original_name)s。") % {"original_name": attachment.original_name}
            )
        return redirect(reverse("tracking:report", args=[pk]) + "#attachments")


class AttachmentView(ReaderMixin, View):
    def get(self, request: AuthenticatedRequest, pk: int, attachment_pk: int) -> FileResponse:
        report = selectors.report_for(request.user, pk)
        attachment = get_object_or_404(report.attachments, pk=attachment_pk)
        return stored_file_response(
            attachment.file, filename=attachment.original_name, content_type=attachment.content_type
        )


class AttachmentRemoveView(ApplicantMixin, View):
    def post(self, request: AuthenticatedRequest, pk: int, attachment_pk: int) -> HttpResponse:
        report = selectors.report_for(request.user, pk)
        attachment = get_object_or_404(report.attachments, pk=attachment_pk)
        try:
            services.remove_report_attachment(actor=request.user, attachment=attachment)
        except TrackingError as error:
            messages.error(request, error.message)
        else:
            messages.success(
                request, _("已删除 %(original_name)s。") % {"original_name": attachment.original_name}
            )
        return redirect(reverse("tracking:report", args=[pk]) + "#attachments")


class ReportEvaluateView(ProvinceMixin, View):
    def post(self, request: AuthenticatedRequest, pk: int) -> HttpResponse:
        report = selectors.report_for(request.user, pk)
        form = EvaluationForm(request.POST)
        if not form.is_valid():
            return _report_with(request, pk, form)
        evaluation, reason = form.cleaned_data["evaluation"], form.cleaned_data["reason"]
        if evaluation == Evaluation.REVOKE:
            # Revocation is irreversible: the next page asks to confirm it.
            return render(request, "tracking/revoke_confirm.html", _revoke_context(report, reason))
        try:
            services.evaluate_report(actor=request.user, report=report, evaluation=evaluation, reason=reason)
        except FieldErrors as error:
            for name, message in error.errors.items():
                form.add_error(name if name in form.fields else None, message)
            return _report_with(request, pk, form)
        except TrackingError as error:
            messages.error(request, error.message)
        else:
            messages.success(
                request, _("已评价为“%(label)s”，并已通知该单位。") % {"label": Evaluation(evaluation).label}
            )
        return redirect("tracking:report", pk=pk)


def _report_with(request: AuthenticatedRequest, pk: int, form: EvaluationForm) -> HttpResponse:
    view = ReportView()
    view.setup(request)
    response = view.get(request, pk, evaluation_form=form)
    response.status_code = 400
    return response


def _revoke_context(report: Report, reason: str, form: RevokeForm | None = None) -> dict[str, Any]:
    return {
        "report": report,
        "unit": report.unit,
        "form": form or RevokeForm(initial={"reason": reason}),
        "reason": reason,
    }


class RevokeConfirmView(ProvinceMixin, View):
    def post(self, request: AuthenticatedRequest, pk: int) -> HttpResponse:
        report = selectors.report_for(request.user, pk)
        form = RevokeForm(request.POST)
        if not form.is_valid():
            return render(
                request,
                "tracking/revoke_confirm.html",
                _revoke_context(report, posted_text(request, "reason"), form),
                status=400,
            )
        try:
            services.evaluate_report(
                actor=request.user,
                report=report,
                evaluation=Evaluation.REVOKE,
                reason=form.cleaned_data["reason"],
            )
        except TrackingError as error:
            messages.error(request, error.message)
        else:
            messages.success(
                request,
                _("已撤销%(unit_name)s的示范称号，已通知该单位并在公开页面公布。")
                % {"unit_name": report.unit.unit_name},
            )
        return redirect("tracking:report", pk=pk)


class PublicRevocationsView(View):
    def get(self, request: Any) -> HttpResponse:
        page = paginate(request, selectors.revocations())
        return public_page(render(request, "tracking/public_revocations.html", {"page": page}))
