from django.contrib import messages
from django.http import FileResponse, Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views import View

from shifan.accounts.models import Role
from shifan.accounts.views import AuthenticatedRequest, RoleRequiredMixin, require, safe_next
from shifan.applications import answers as answer_rules
from shifan.applications import presentation, rules, sealed_scans, selectors, services
from shifan.applications.forms import SealedScanForm
from shifan.applications.models import Application, Attachment, SealedScan
from shifan.applications.services import ApplicationError, SubmissionIncomplete
from shifan.core.http import posted_text, stored_file_response
from shifan.eligibility import services as eligibility
from shifan.eligibility.services import EligibilityError
from shifan.programs import selectors as batch_selectors


class ApplicantMixin(RoleRequiredMixin):
    allowed_roles = (Role.APPLICANT,)


class ReaderMixin(RoleRequiredMixin):
    """Applicants (their own), city officers (their city's) and province officers read applications."""

    allowed_roles = (Role.APPLICANT, Role.CITY_OFFICER, Role.PROVINCE_OFFICER)


class ApplicationListView(ApplicantMixin, View):
    def get(self, request: AuthenticatedRequest) -> HttpResponse:
        applications = list(selectors.applications_of_own_organisation(request.user))
        started = {(a.batch_id, a.category) for a in applications}
        open_batches = [
            (batch, [(category, (batch.pk, category.key) in started) for category in batch.spec.categories])
            for batch in batch_selectors.open_batches()
        ]
        return render(
            request,
            "applications/application_list.html",
            {"applications": applications, "open_batches": open_batches},
        )


class ApplicationStartView(ApplicantMixin, View):
    def post(self, request: AuthenticatedRequest) -> HttpResponse:
        batch = batch_selectors.batch_for(request.user, int(request.POST.get("batch", 0) or 0))
        try:
            application = services.start_application(
                actor=request.user, batch=batch, category=request.POST.get("category", "")
            )
        except (ApplicationError, KeyError) as error:
            messages.error(request, getattr(error, "message", "未知的申报类别。"))
            return redirect("applications:list")
        messages.success(
            request,
            _("已开始填写%(category_name)s申报书，填写内容会自动保存。")
            % {"category_name": application.category_name},
        )
        return redirect("applications:detail", pk=application.pk)


class ApplicationDetailView(ReaderMixin, View):
    """The outline with completion marks, the state, and what to do next."""

    def get(self, request: AuthenticatedRequest, pk: int) -> HttpResponse:
        application = selectors.application_for(request.user, pk)
        if not request.user.is_applicant:
            if not application.snapshots.exists():
                raise Http404
            return redirect("reviews:application", pk=pk)
        context = presentation.overview(application, request.user)
        return render(request, "applications/application_detail.html", context)


class SectionView(ApplicantMixin, View):
    """One section of the form, editable with autosave (or read-only once submitted)."""

    def get(self, request: AuthenticatedRequest, pk: int, section: str) -> HttpResponse:
        application = selectors.application_for(request.user, pk)
        try:
            context = presentation.section_page(application, section, request.user)
        except KeyError as error:
            raise Http404 from error
        return render(request, "applications/section.html", context)


class AutosaveView(ApplicantMixin, View):
    """Save the fields changed on a section page; answer with the new state of the page as JSON."""

    def post(self, request: AuthenticatedRequest, pk: int) -> JsonResponse:
        application = selectors.application_for(request.user, pk)
        try:
            base_version = int(request.POST.get("base_version", ""))
        except ValueError:
            return JsonResponse({"error": "缺少版本号，请刷新页面。"}, status=400)
        form = application.form
        keys = [key for key in request.POST.get("dirty", "").split(",") if key]
        try:
            fields = [form.field(key) for key in keys]
        except KeyError:
            return JsonResponse({"error": "页面已过期，请刷新。"}, status=400)
        editable, reason = rules.can_edit(request.user, application)
        if not editable:
            # The application was submitted (or taken out of the applicant's hands) meanwhile.
            return JsonResponse({"error": reason}, status=409)
        values = {field.key: answer_rules.parse_field(field, request.POST) for field in fields}
        try:
            result = services.save_answers(
                actor=request.user,
                application=application,
                base_version=base_version,
                values=values,
                client_id=request.POST.get("client_id", "")[:40],
            )
        except ApplicationError as error:
            return JsonResponse({"error": error.message}, status=400)
        return JsonResponse(presentation.autosave_payload(result.application, result, keys))


class AttachmentUploadView(ApplicantMixin, View):
    def post(self, request: AuthenticatedRequest, pk: int) -> HttpResponse:
        application = selectors.application_for(request.user, pk)
        field_key = request.POST.get("field", "")
        try:
            application.form.field(field_key)
        except KeyError as missing:
            raise Http404 from missing
        error = ""
        uploaded = request.FILES.get("file")
        if uploaded is None:
            error = "请选择要上传的文件。"
        else:
            try:
                services.add_attachment(
                    actor=request.user,
                    application=application,
                    field_key=field_key,
                    uploaded=uploaded,
                    title=request.POST.get("title", ""),
                )
            except ApplicationError as refusal:
                error = refusal.message
        return render(
            request,
            "applications/_attachments.html",
            presentation.attachment_context(application, field_key, request.user, error=error),
        )


class AttachmentRemoveView(ApplicantMixin, View):
    def post(self, request: AuthenticatedRequest, pk: int, attachment_pk: int) -> HttpResponse:
        application = selectors.application_for(request.user, pk)
        attachment = selectors.attachment_for(request.user, application, attachment_pk)
        error = ""
        try:
            services.remove_attachment(actor=request.user, attachment=attachment)
        except ApplicationError as refusal:
            error = refusal.message
        return render(
            request,
            "applications/_attachments.html",
            presentation.attachment_context(application, attachment.field_key, request.user, error=error),
        )


class AttachmentDownloadView(ReaderMixin, View):
    """Serve a file inline (PDF and images open in the browser), only to those who may see it."""

    def get(self, request: AuthenticatedRequest, pk: int, attachment_pk: int) -> FileResponse:
        application = selectors.application_for(request.user, pk)
        return attachment_response(selectors.attachment_for(request.user, application, attachment_pk))


def attachment_response(attachment: Attachment) -> FileResponse:
    """Serve an attachment: PDF and images inline, anything else as a download; never sniffed."""
    return stored_file_response(
        attachment.file,
        filename=attachment.original_name,
        content_type="application/pdf" if attachment.kind == "pdf" else None,
        inline=attachment.kind in {"pdf", "image"},
    )


class SealedScanUploadView(ApplicantMixin, View):
    """Upload the scan of the sealed commitment page for the current submitted version."""

    def post(self, request: AuthenticatedRequest, pk: int) -> HttpResponse:
        application = selectors.application_for(request.user, pk)
        form = SealedScanForm(request.POST, request.FILES)
        if form.is_valid():
            try:
                scan = sealed_scans.upload_sealed_scan(
                    actor=request.user, application=application, uploaded=form.cleaned_data["file"]
                )
            except ApplicationError as refusal:
                form.add_error("file" if refusal.field else None, refusal.message)
            else:
                sequence, digest = scan.snapshot.sequence, scan.snapshot.short_digest
                messages.success(
                    request,
                    _("盖章页扫描件已上传，对应第 %(sequence)s 次提交（摘要 %(digest)s）。")
                    % {"sequence": sequence, "digest": digest},
                )
                return redirect(reverse("applications:detail", kwargs={"pk": pk}) + "#sealed-scan")
        application.refresh_from_db()
        context = presentation.overview(application, request.user, sealed_scan_form=form)
        return render(request, "applications/application_detail.html", context, status=400)


class SealedScanDownloadView(ReaderMixin, View):
    """Serve a sealed scan inline to those who may read the application."""

    def get(self, request: AuthenticatedRequest, pk: int, scan_pk: int) -> FileResponse:
        application = selectors.application_for(request.user, pk)
        return sealed_scan_response(selectors.sealed_scan_for(application, scan_pk))


def sealed_scan_response(scan: SealedScan) -> FileResponse:
    return stored_file_response(
        scan.file, filename=scan.original_name, content_type=scan.content_type, inline=True
    )


class RevisionListView(ApplicantMixin, View):
    def get(self, request: AuthenticatedRequest, pk: int) -> HttpResponse:
        application = selectors.application_for(request.user, pk)
        return render(
            request, "applications/revisions.html", presentation.revisions_page(application, request.user)
        )


class RevisionRestoreView(ApplicantMixin, View):
    def post(self, request: AuthenticatedRequest, pk: int, version: int) -> HttpResponse:
        application = selectors.application_for(request.user, pk)
        try:
            services.restore_revision(actor=request.user, application=application, version=version)
        except ApplicationError as error:
            messages.error(request, error.message)
        else:
            messages.success(
                request,
                _("已恢复到第 %(version)s 版的内容（作为新版本保存，原有版本仍在历史中）。")
                % {"version": version},
            )
        return redirect("applications:revisions", pk=pk)


class SubmitView(ApplicantMixin, View):
    """Review what is missing, then submit for good."""

    def get(self, request: AuthenticatedRequest, pk: int) -> HttpResponse:
        application = selectors.application_for(request.user, pk)
        return render(
            request, "applications/submit.html", presentation.submit_page(application, request.user)
        )

    def post(self, request: AuthenticatedRequest, pk: int) -> HttpResponse:
        application = selectors.application_for(request.user, pk)
        try:
            snapshot = services.submit_application(actor=request.user, application=application)
        except SubmissionIncomplete:
            messages.error(request, _("申报书尚未填写完整或有填写错误，请按下列提示修改。"))
            return redirect("applications:submit", pk=pk)
        except ApplicationError as error:
            messages.error(request, error.message)
            return redirect("applications:detail", pk=pk)
        messages.success(
            request,
            _(
                "申报书已提交，申报编号 %(number)s。提交的内容已锁定，地市工信局将进行审核。"
                "请按“盖章页扫描件”中的步骤打印、盖章并上传真实性承诺页。"
            )
            % {"number": snapshot.number},
        )
        return redirect("applications:detail", pk=pk)


class WithdrawView(ApplicantMixin, View):
    def post(self, request: AuthenticatedRequest, pk: int) -> HttpResponse:
        application = selectors.application_for(request.user, pk)
        require(rules.can_withdraw(request.user, application))
        try:
            services.withdraw_application(
                actor=request.user, application=application, reason=posted_text(request, "reason")
            )
        except ApplicationError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, _("申报书已撤回，可修改后在截止时间前重新提交。"))
        return redirect("applications:detail", pk=pk)


class SnapshotView(ReaderMixin, View):
    """A submitted version, read-only; with `?compare=N`, the differences from version N highlighted."""

    def get(self, request: AuthenticatedRequest, pk: int, sequence: int) -> HttpResponse:
        application = selectors.application_for(request.user, pk)
        snapshot = selectors.snapshot_for(application, sequence)
        compare = request.GET.get("compare", "")
        previous = selectors.snapshot_for(application, int(compare)) if compare.isdigit() else None
        return render(
            request,
            "applications/snapshot.html",
            presentation.snapshot_page(application, snapshot, previous, request.user),
        )


class CreditCheckView(RoleRequiredMixin, View):
    """An officer records the result of looking the applicant up in the national credit register."""

    allowed_roles = (Role.CITY_OFFICER, Role.PROVINCE_OFFICER)

    def post(self, request: AuthenticatedRequest, pk: int) -> HttpResponse:
        application = selectors.application_for(request.user, pk)
        clean = request.POST.get("clean")
        if clean not in {"yes", "no"}:
            messages.error(request, _("请选择核查结果。"))
        else:
            try:
                eligibility.record_credit_check(
                    actor=request.user,
                    application=application,
                    not_listed=clean == "yes",
                    note=request.POST.get("note", ""),
                )
            except EligibilityError as error:
                messages.error(request, error.message)
            else:
                messages.success(request, _("已登记信用核查结果，资格预审已按核查结果更新。"))
        return redirect("applications:detail", pk=pk)


class JudgmentView(RoleRequiredMixin, View):
    """A city officer or an assigned expert records a judgment of a needs-judgment item."""

    allowed_roles = (Role.CITY_OFFICER, Role.EXPERT)

    def post(self, request: AuthenticatedRequest, pk: int) -> HttpResponse:
        if request.user.is_city_officer:
            application = selectors.application_for(request.user, pk)
        else:  # an expert: only an application assigned to them (one row whatever the assignments)
            application = get_object_or_404(
                Application.objects.select_related("batch", "organisation").filter(
                    pk__in=Application.objects.filter(pk=pk, expert_assignments__expert=request.user).values(
                        "pk"
                    )
                )
            )
        role = eligibility.judge_role(request.user, application)
        if role is None:
            raise Http404
        default = (
            reverse("reviews:application", kwargs={"pk": pk})
            if role == "city"
            else reverse("expert_review:my_assignments")
        )
        try:
            eligibility.record_judgment(
                actor=request.user,
                application=application,
                rule_key=request.POST.get("rule", ""),
                verdict=request.POST.get("verdict", ""),
                note=posted_text(request, "note"),
                snapshot_id=int(snapshot)
                if (snapshot := request.POST.get("snapshot", "")).isdigit()
                else None,
            )
        except EligibilityError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, "已记录判断。")
        return redirect(f"{safe_next(request, default)}#judgments")


class BatchEligibilityView(RoleRequiredMixin, View):
    """The province's page for a batch's rule parameters and re-running the checks."""

    allowed_roles = (Role.PROVINCE_OFFICER,)

    def get(self, request: AuthenticatedRequest, pk: int) -> HttpResponse:
        batch = batch_selectors.batch_for(request.user, pk)
        return render(
            request, "applications/batch_eligibility.html", presentation.batch_eligibility_page(batch)
        )

    def post(self, request: AuthenticatedRequest, pk: int) -> HttpResponse:
        batch = batch_selectors.batch_for(request.user, pk)
        reason = posted_text(request, "reason")
        try:
            if request.POST.get("action") == "parameters":
                values = {}
                for item in eligibility.rule_parameters(batch):
                    raw = request.POST.get(f"{item['rule'].name}__{item['name']}", "").strip()
                    try:
                        values[(item["rule"].name, item["name"])] = float(raw)
                    except ValueError:
                        messages.error(
                            request,
                            _("“%(label)s”的参数 %(name)s 应为数字。")
                            % {"label": item["rule"].label, "name": item["name"]},
                        )
                        return redirect("applications:batch_eligibility", pk=pk)
                eligibility.correct_parameters(actor=request.user, batch=batch, values=values, reason=reason)
                messages.success(request, _("参数已保存。请重新运行资格预审，使已提交的申报书按新参数检查。"))
            else:
                count = services.rerun_eligibility(actor=request.user, batch=batch, reason=reason)
                messages.success(
                    request,
                    _("已重新运行 %(count)s 份申报书的资格预审，原结果保留在审计记录中。") % {"count": count},
                )
        except (ApplicationError, EligibilityError) as error:
            messages.error(request, error.message)
        return redirect("applications:batch_eligibility", pk=pk)
