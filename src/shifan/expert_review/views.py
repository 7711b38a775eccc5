from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.core.paginator import Page
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import content_disposition_header
from django.views import View

from shifan.accounts.models import Role, User
from shifan.accounts.views import AuthenticatedRequest, ExpertMixin, ProvinceMixin
from shifan.applications import presentation as application_pages
from shifan.applications.models import Application
from shifan.applications.selectors import latest_snapshot
from shifan.applications.views import attachment_response
from shifan.core.http import posted_text, xlsx_response
from shifan.core.pagination import Paginator
from shifan.expert_review import exports, selectors, services
from shifan.expert_review.forms import HearingForm, ReasonForm, ReplaceForm
from shifan.expert_review.models import Assignment, AssignmentState
from shifan.expert_review.services import ReviewError, ScoreErrors
from shifan.programs import selectors as batch_selectors
from shifan.programs.models import Batch
from shifan.reviews.selectors import current_batch
from shifan.similarity import selectors as similarity_selectors

PLAN_PAGE_SIZE = 40


def _batch(request: AuthenticatedRequest, batch_pk: int) -> Batch:
    return batch_selectors.batch_for(request.user, batch_pk)


def _refusal(request: AuthenticatedRequest, error: ReviewError) -> None:
    messages.error(request, error.message)
    for detail in error.details:
        messages.warning(request, detail)


# ---------------------------------------------------------------------------------------------
# The expert's side


class MyAssignmentListView(ExpertMixin, View):
    def get(self, request: AuthenticatedRequest) -> HttpResponse:
        assignments = selectors.open_assignments(request.user)
        page = Paginator(assignments, 30).get_page(request.GET.get("page"))
        return render(
            request,
            "expert_review/my_assignments.html",
            {
                "page": page,
                "count": page.paginator.count,
                "done": assignments.filter(submitted_at__isnull=False).count(),
            },
        )


class ConflictCheckView(ExpertMixin, View):
    """On first opening: the applicant's name and code, to confirm no conflict or declare one."""

    def get(
        self,
        request: AuthenticatedRequest,
        pk: int,
        form: ReasonForm | None = None,
        signing_error: str = "",
    ) -> HttpResponse:
        assignment = selectors.assignment_for_expert(request.user, pk)
        return render(
            request,
            "expert_review/conflict_check.html",
            {
                "assignment": assignment,
                "application": assignment.application,
                "form": form or ReasonForm(),
                "commitment": assignment.batch.spec.defaults.expert_commitment,
                "signing_error": signing_error,
            },
            status=400 if signing_error else 200,
        )

    def post(self, request: AuthenticatedRequest, pk: int) -> HttpResponse:
        assignment = selectors.assignment_for_expert(request.user, pk)
        if request.POST.get("action") == "confirm":
            try:
                services.confirm_no_conflict(
                    actor=request.user, assignment=assignment, signed=request.POST.get("signed") == "1"
                )
            except ReviewError as error:
                return self.get(request, pk, signing_error=error.message)
            return redirect("expert_review:assignment", pk=pk)
        form = ReasonForm(request.POST)
        if form.is_valid():
            try:
                services.decline_for_conflict(
                    actor=request.user, assignment=assignment, reason=form.cleaned_data["reason"]
                )
            except ReviewError as error:
                form.add_error("reason", error.message)
            else:
                messages.success(
                    request,
                    f"已申明对{assignment.application.applicant_name}回避，该评审任务已撤销，省工信厅将另行安排。",
                )
                return redirect("expert_review:my_assignments")
        return self.get(request, pk, form=form)


class AssignmentView(ExpertMixin, View):
    """The submitted application beside the score sheet."""

    def get(
        self,
        request: AuthenticatedRequest,
        pk: int,
        posted: dict[str, Any] | None = None,
        errors: dict[str, str] | None = None,
    ) -> HttpResponse:
        assignment = selectors.assignment_for_expert(request.user, pk)
        if assignment.confirmed_at is None:
            return redirect("expert_review:conflict_check", pk=pk)
        return render(
            request,
            "expert_review/assignment.html",
            self.context(assignment, request.user, posted, errors or {}),
            status=400 if errors else 200,
        )

    def context(
        self, assignment: Assignment, user: User, posted: dict[str, Any] | None, errors: dict[str, str]
    ) -> dict[str, Any]:
        application = assignment.application
        snapshot = latest_snapshot(application)
        if snapshot is None:
            raise Http404

        def link(item: dict[str, Any]) -> str:
            return reverse(
                "expert_review:attachment", kwargs={"pk": assignment.pk, "attachment_pk": item["id"]}
            )

        context = application_pages.snapshot_page(application, snapshot, None, user, attachment_url=link)
        scores = posted["scores"] if posted else assignment.scores
        comments = posted["comments"] if posted else assignment.comments
        category = application.batch.category(application.category)
        rows = []
        for indicator in category.rubric:
            for leaf in indicator.leaves():
                rows.append(
                    {
                        "leaf": leaf,
                        "parent": indicator if not indicator.is_leaf else None,
                        "score": scores.get(leaf.key, ""),
                        "comment": comments.get(leaf.key, ""),
                        "score_error": errors.get(f"score_{leaf.key}"),
                        "comment_error": errors.get(f"comment_{leaf.key}"),
                    }
                )
        context.update(
            {
                "assignment": assignment,
                "rows": rows,
                "maximum": sum((leaf.weight for leaf in category.rubric_leaves()), Decimal(0)),
                "overall_comment": posted["overall_comment"] if posted else assignment.overall_comment,
                "overall_error": errors.get("overall_comment"),
                "errors": errors,
                "locked": assignment.submitted_at is not None,
                "similarity_flags": similarity_selectors.flags_for(user, application),
            }
        )
        return context

    def post(self, request: AuthenticatedRequest, pk: int) -> HttpResponse:
        assignment = selectors.assignment_for_expert(request.user, pk)
        leaves = list(assignment.batch.category(assignment.application.category).rubric_leaves())
        scores = {leaf.key: request.POST.get(f"score_{leaf.key}", "").strip() for leaf in leaves}
        comments = {leaf.key: posted_text(request, f"comment_{leaf.key}") for leaf in leaves}
        overall = posted_text(request, "overall_comment")
        posted: dict[str, Any] = {"scores": scores, "comments": comments, "overall_comment": overall}
        submit = request.POST.get("action") == "submit"
        try:
            services.save_scores(
                actor=request.user,
                assignment=assignment,
                scores=scores,
                comments=comments,
                overall_comment=overall,
                submit=submit,
            )
        except ScoreErrors as error:
            messages.error(request, "评分未提交：" + error.message if submit else "未保存：" + error.message)
            return self.get(request, pk, posted=posted, errors=error.errors)
        except ReviewError as error:
            # What was typed stays on the page with the refusal, not lost to a redirect.
            messages.error(request, error.message)
            return self.get(request, pk, posted=posted, errors={"_refused": error.message})
        messages.success(request, "评分已提交，感谢您的评审。" if submit else "评分已暂存，可随时回来继续。")
        if submit:
            return redirect("expert_review:my_assignments")
        return redirect("expert_review:assignment", pk=pk)


class ScoreSheetPdfView(ExpertMixin, View):
    """The expert's own score sheet as a PDF to print and sign (a draft says so on the sheet)."""

    def get(self, request: AuthenticatedRequest, pk: int) -> HttpResponse:
        from shifan.expert_review.sheet_pdf import score_sheet_filename, score_sheet_pdf

        assignment = selectors.assignment_for_expert(request.user, pk)
        if assignment.confirmed_at is None:
            raise Http404
        response = HttpResponse(score_sheet_pdf(assignment), content_type="application/pdf")
        response["Content-Disposition"] = (
            content_disposition_header(as_attachment=False, filename=score_sheet_filename(assignment)) or ""
        )
        return response


class AssignmentAttachmentView(ExpertMixin, View):
    def get(self, request: AuthenticatedRequest, pk: int, attachment_pk: int) -> FileResponse:
        assignment = selectors.assignment_for_expert(request.user, pk)
        if assignment.confirmed_at is None:
            raise Http404
        snapshot = latest_snapshot(assignment.application)
        ids = {item.get("id") for item in (snapshot.attachments if snapshot else [])}
        if attachment_pk not in ids:
            raise Http404
        attachment = assignment.application.attachments.filter(pk=attachment_pk).first()
        if attachment is None:
            raise Http404
        return attachment_response(attachment)


# ---------------------------------------------------------------------------------------------
# The province's side


class CurrentReviewView(ProvinceMixin, View):
    """The navigation's entry: the latest batch's expert review."""

    def get(self, request: AuthenticatedRequest) -> HttpResponse:
        asked = request.GET.get("batch")
        batch = current_batch(asked) if asked else selectors.batch_in_review() or current_batch(None)
        if batch is None:
            messages.info(request, "还没有征集批次。")
            return redirect("programs:batch_list")
        return redirect("expert_review:assignments", batch_pk=batch.pk)


class AssignmentPlanView(ProvinceMixin, View):
    def get(self, request: AuthenticatedRequest, batch_pk: int) -> HttpResponse:
        batch = _batch(request, batch_pk)
        query = request.GET.get("q", "").strip()
        only_missing = request.GET.get("missing") == "1"
        # One page of applications from the database, then its rows with their assignments.
        page: Page[Any] = Paginator(
            selectors.assignment_plan(batch, query=query, only_missing=only_missing), PLAN_PAGE_SIZE
        ).get_page(request.GET.get("page"))
        page.object_list = selectors.plan_rows(batch, page.object_list)
        return render(
            request,
            "expert_review/assignments.html",
            {
                "batch": batch,
                "page": page,
                "query": query,
                "only_missing": only_missing,
                **selectors.plan_figures(batch),
                "loads": selectors.expert_loads(batch),
                "last_solve": selectors.last_solve(batch),
                "manual": services.manual_proposals(batch),
                "removed": selectors.removed_assignments(batch)[:20],
                "batches": batch_selectors.batches_visible_to(request.user),
                "list_fixed": selectors.list_fixed(batch),
            },
        )

    def post(self, request: AuthenticatedRequest, batch_pk: int) -> HttpResponse:
        batch = _batch(request, batch_pk)
        action = request.POST.get("action")
        try:
            if action == "solve":
                report = services.assign_experts(
                    actor=request.user, batch=batch, drop_manual=request.POST.get("drop_manual") == "1"
                )
                messages.success(
                    request,
                    f"已为 {report.applications} 份申报分配 {report.created} 人次专家，"
                    f"用时 {report.seconds:.2f} 秒；匹配度合计 {report.match}"
                    + ("，已证明为最优方案（达到线性规划上界）。" if report.proven_optimal else "。")
                    + (f"保留了 {report.kept_manual} 项人工调整。" if report.kept_manual else ""),
                )
                if report.dropped_manual:
                    messages.info(request, "已放弃的人工调整：" + "；".join(report.dropped_manual))
                for line in report.shortfalls[:11]:
                    messages.error(request, line)
                for warning in report.warnings:
                    messages.warning(request, warning)
            elif action == "publish":
                count = services.publish_assignments(actor=request.user, batch=batch)
                messages.success(request, f"已发布 {count} 项评审任务，专家已收到通知。")
        except ReviewError as error:
            _refusal(request, error)
        return redirect("expert_review:assignments", batch_pk=batch.pk)


class ExpertReplaceView(ProvinceMixin, View):
    def get(self, request: AuthenticatedRequest, pk: int, form: ReplaceForm | None = None) -> HttpResponse:
        assignment = selectors.assignment_for_officer(request.user, pk)
        if assignment.state == AssignmentState.REMOVED:
            raise Http404
        query = request.GET.get("q", "").strip()
        # The candidates are a ranking of the whole pool (conflicts, then the fit, then the load),
        # worked out in Python from each expert's facts: inherently a computation over every
        # expert, read in a fixed number of queries and done once per request.
        rows = [
            row
            for row in services.candidates_for(assignment)
            if not query or query in row["expert"].name or query in row["expert"].employer
        ]
        return render(
            request,
            "expert_review/replace.html",
            {
                "assignment": assignment,
                "application": assignment.application,
                "page": Paginator(rows, 30).get_page(request.GET.get("page")),
                "query": query,
                "form": form or ReplaceForm(),
            },
        )

    def post(self, request: AuthenticatedRequest, pk: int) -> HttpResponse:
        assignment = selectors.assignment_for_officer(request.user, pk)
        form = ReplaceForm(request.POST)
        if form.is_valid():
            expert = User.objects.filter(pk=form.cleaned_data["expert"], role=Role.EXPERT).first()
            if expert is None:
                form.add_error(None, "请选择一位专家。")
            else:
                try:
                    services.replace_expert(
                        actor=request.user,
                        assignment=assignment,
                        expert=expert,
                        reason=form.cleaned_data["reason"],
                    )
                except ReviewError as error:
                    form.add_error("reason" if error.field == "reason" else None, error.message)
                else:
                    messages.success(
                        request, f"{assignment.application.number} 的专家已调整为{expert.name}。"
                    )
                    return redirect("expert_review:assignments", batch_pk=assignment.batch_id)
        return self.get(request, pk, form=form)


class ScoresReopenView(ProvinceMixin, View):
    def post(self, request: AuthenticatedRequest, pk: int) -> HttpResponse:
        assignment = selectors.assignment_for_officer(request.user, pk)
        form = ReasonForm(request.POST)
        if not form.is_valid():
            messages.error(request, "请填写退回重评的原因。")
        else:
            try:
                services.reopen_scores(
                    actor=request.user, assignment=assignment, reason=form.cleaned_data["reason"]
                )
            except ReviewError as error:
                messages.error(request, error.message)
            else:
                messages.success(request, f"已退回{assignment.expert.name}的评分，专家已收到通知。")
        return redirect("expert_review:scores", pk=assignment.application_id)


class ResultsView(ProvinceMixin, View):
    """Scores and ranking per category, and the proposed list within the quotas."""

    def get(
        self, request: AuthenticatedRequest, batch_pk: int, posted: dict[str, Any] | None = None
    ) -> HttpResponse:
        batch = _batch(request, batch_pk)
        categories = []
        # The ranking is inherently a computation over every submitted score of the batch
        # (standardisation reads them all): it is worked out once here and shared by the categories.
        results = selectors.batch_results(batch)
        for category in batch.spec.categories:
            rows = selectors.category_ranking(batch, category.key, results)
            quota = batch.quota(category.key)
            marked = any(row.selection for row in rows)
            again = posted if posted and posted["category"] == category.key else None
            marks = []
            for row in rows:
                pk = row.application.pk
                if again:
                    checked, reason = pk in again["selected"], again["reasons"].get(pk, "")
                elif row.selection:
                    checked, reason = row.selection.selected, row.selection.departure_reason
                else:  # nothing marked yet: suggest the ranking's top within the quota
                    checked, reason = row.rank <= quota, ""
                error = again["errors"].get(pk, "") if again else ""
                marks.append({"row": row, "checked": checked, "reason": reason, "error": error})
            categories.append(
                {
                    "category": category,
                    "marks": marks,
                    "pending": selectors.unscored(batch, category.key, results),
                    "quota": quota,
                    "selected": sum(1 for row in rows if row.selection and row.selection.selected),
                    "marked": marked,
                    "complete": bool(rows) and all(row.complete for row in rows),
                }
            )
        return render(
            request,
            "expert_review/results.html",
            {
                "batch": batch,
                "categories": categories,
                "list_fixed": selectors.list_fixed(batch),
                "reopen_form": ReasonForm(),
                "batches": batch_selectors.batches_visible_to(request.user),
            },
            status=400 if posted else 200,
        )


class ProposedListMarkView(ProvinceMixin, View):
    def post(self, request: AuthenticatedRequest, batch_pk: int, category: str) -> HttpResponse:
        batch = _batch(request, batch_pk)
        try:
            batch.category(category)
        except KeyError as error:
            raise Http404 from error
        selected = {int(pk) for pk in request.POST.getlist("selected") if pk.isdigit()}
        reasons: dict[int, str] = {
            int(key.removeprefix("reason_")): str(value)
            for key, value in request.POST.items()
            if key.startswith("reason_") and key.removeprefix("reason_").isdigit()
        }
        try:
            services.mark_proposed_list(
                actor=request.user, batch=batch, category=category, selected=selected, reasons=reasons
            )
        except ReviewError as error:
            _refusal(request, error)
            return ResultsView().get(
                request,
                batch_pk,
                posted={"category": category, "selected": selected, "reasons": reasons, "errors": error.rows},
            )
        messages.success(request, f"{batch.category(category).name}拟认定名单已保存（{len(selected)} 个）。")
        return redirect(reverse("expert_review:results", kwargs={"batch_pk": batch.pk}) + f"#{category}")


class ProposedListFixView(ProvinceMixin, View):
    def post(self, request: AuthenticatedRequest, batch_pk: int) -> HttpResponse:
        batch = _batch(request, batch_pk)
        try:
            if request.POST.get("action") == "reopen":
                services.reopen_proposed_list(
                    actor=request.user, batch=batch, reason=posted_text(request, "reason")
                )
                messages.success(request, "拟认定名单已重新开放，申报回到评审中。")
            else:
                services.fix_proposed_list(actor=request.user, batch=batch)
                messages.success(request, "拟认定名单已确定。")
        except ReviewError as error:
            _refusal(request, error)
        return redirect("expert_review:results", batch_pk=batch.pk)


class ResultsExportView(ProvinceMixin, View):
    def get(self, request: AuthenticatedRequest, batch_pk: int) -> HttpResponse:
        batch = _batch(request, batch_pk)
        return xlsx_response(exports.results_workbook(batch), f"{batch.name}-专家评审结果.xlsx")


class ApplicationScoresView(ProvinceMixin, View):
    """One application's score sheets by expert, its defences and site visits."""

    def get(self, request: AuthenticatedRequest, pk: int, form: HearingForm | None = None) -> HttpResponse:
        application = selectors.reviewed_application(request.user, pk)
        return render(request, "expert_review/scores.html", self.context(application, form))

    def context(self, application: Application, form: HearingForm | None) -> dict[str, Any]:
        batch = application.batch
        sheets = selectors.application_sheets(application)
        leaves = list(batch.category(application.category).rubric_leaves())
        matrix = [
            {
                "leaf": leaf,
                "cells": [
                    {"score": sheet.scores.get(leaf.key), "comment": sheet.comments.get(leaf.key, "")}
                    for sheet in sheets
                ],
            }
            for leaf in leaves
        ]
        return {
            "application": application,
            "batch": batch,
            "sheets": sheets,
            "matrix": matrix,
            "result": selectors.batch_results(batch).get(application.pk),
            "hearings": application.hearings.select_related("recorded_by"),
            "form": form or HearingForm(),
            "reopen_form": ReasonForm(),
            "list_fixed": selectors.list_fixed(batch),
        }

    def post(self, request: AuthenticatedRequest, pk: int) -> HttpResponse:
        application = selectors.reviewed_application(request.user, pk)
        form = HearingForm(request.POST)
        if form.is_valid():
            try:
                services.record_hearing(actor=request.user, application=application, **form.cleaned_data)
            except ReviewError as error:
                form.add_error(error.field if error.field in form.fields else None, error.message)
            else:
                messages.success(request, "已记录。")
                return redirect("expert_review:scores", pk=pk)
        return render(request, "expert_review/scores.html", self.context(application, form), status=400)
