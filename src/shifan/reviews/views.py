from typing import Any

from django.contrib import messages
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View

from shifan.accounts.models import Role
from shifan.accounts.views import AuthenticatedRequest, RoleRequiredMixin
from shifan.applications import presentation as application_pages
from shifan.applications import selectors as application_selectors
from shifan.applications.models import Application, ApplicationState
from shifan.applications.services import ApplicationError
from shifan.core import reference
from shifan.core.http import posted_text, xlsx_response
from shifan.core.pagination import Paginator
from shifan.programs import selectors as batch_selectors
from shifan.reviews import exports, selectors, services
from shifan.reviews.services import ReviewError
from shifan.similarity import selectors as similarity_selectors

OFFICERS = (Role.CITY_OFFICER, Role.PROVINCE_OFFICER)
OUTCOME_FILTERS = [("fail", "有不符合项"), ("warning", "有请注意项"), ("judgment", "需专家判断")]
REVIEW_STATES = [
    ApplicationState.SUBMITTED,
    ApplicationState.RETURNED,
    ApplicationState.DECLINED,
    ApplicationState.RECOMMENDED,
    ApplicationState.ACCEPTED,
]


# What a row of the queue shows (reviews/queue.html): the name, credit code and city as submitted,
# with the organisation's as they are now for the rare row submitted without them.
QUEUE_ROW = (
    "id",
    "batch_id",
    "organisation_id",
    "category",
    "state",
    "number",
    "submitted_at",
    "unit_name",
    "credit_code",
    "city_code",
    "eligibility_summary",
    "organisation__id",
    "organisation__name",
    "organisation__credit_code",
    "organisation__city_code",
    "recommendation__id",
    "recommendation__application_id",
    "recommendation__rank",
)


class QueueView(RoleRequiredMixin, View):
    """Submitted applications of a batch: the city's own, or all for the province."""

    allowed_roles = OFFICERS

    def get(self, request: AuthenticatedRequest) -> HttpResponse:
        # The menu of batches and the batch shown: every opened batch is visible to an officer.
        batches = list(batch_selectors.batches_visible_to(request.user))
        batch = selectors.current_batch(request.GET.get("batch"), among=batches)
        filters = {
            key: request.GET.get(key, "") for key in ("q", "category", "state", "outcome", "city", "sort")
        }
        rows = (
            selectors.review_queue(
                request.user,
                batch,
                query=filters["q"].strip(),
                category=filters["category"],
                state=filters["state"],
                outcome=filters["outcome"],
                city_code=filters["city"],
                sort=filters["sort"] or "submitted",
            )
            if batch
            else Application.objects.none()
        )
        can_act = (
            services.city_can_act(batch, request.user.city_code)
            if batch and request.user.is_city_officer
            else None
        )
        # A row shows neither the answers (some 25 kB each) nor anything of the batch but its
        # category names: the rows are read with what they show and given the batch this page holds.
        rows = rows.select_related(None).select_related("organisation", "recommendation").only(*QUEUE_ROW)
        page = Paginator(rows, 30).get_page(request.GET.get("page"))
        if batch is not None:
            for application in page:
                application.batch = batch
        return render(
            request,
            "reviews/queue.html",
            {
                "batch": batch,
                "batches": batches,
                "page": page,
                "filters": filters,
                "states": [(state.value, state.label) for state in REVIEW_STATES],
                "outcomes": OUTCOME_FILTERS,
                "categories": [(c.key, c.name) for c in batch.spec.categories] if batch else [],
                "cities": reference.cities(),
                "can_act": can_act,
            },
        )


class ApplicationReviewView(RoleRequiredMixin, View):
    """The latest submitted version with the eligibility results and the officer's actions."""

    allowed_roles = OFFICERS

    def get(self, request: AuthenticatedRequest, pk: int) -> HttpResponse:
        application = application_selectors.application_for(request.user, pk)
        snapshot = application_selectors.latest_snapshot(application)
        if snapshot is None:
            raise Http404
        compare = request.GET.get("compare")
        if compare is None:  # by default, a resubmission is compared with the submission before it
            previous = application.snapshots.filter(sequence=snapshot.sequence - 1).first()
        else:
            previous = (
                application.snapshots.filter(sequence=int(compare)).first() if compare.isdigit() else None
            )
        context = application_pages.snapshot_page(application, snapshot, previous, request.user)
        context.update(self.panel(request, application))
        context["similarity_flags"] = similarity_selectors.flags_for(request.user, application)
        return render(request, "applications/snapshot.html", context)

    def panel(self, request: AuthenticatedRequest, application: Any) -> dict[str, Any]:
        user = request.user
        can_act, reason = (
            services.city_can_act(application.batch, user.city_code) if user.is_city_officer else (True, "")
        )
        labels = {f.key: f.label for f in application.form.fields()}
        history = [
            {
                "at": d.decided_at,
                "by": d.decided_by.name,
                "what": d.get_action_display(),
                "text": d.text,
                "comments": [(labels.get(key, key), comment) for key, comment in d.field_comments.items()],
            }
            for d in application.city_decisions.select_related("decided_by")
        ] + [
            {
                "at": r.decided_at,
                "by": r.decided_by.name,
                "what": r.get_decision_display(),
                "text": r.reason,
                "comments": [],
            }
            for r in application.formal_reviews.select_related("decided_by")
        ]
        return {
            "review_panel": "reviews/_panel.html",
            "can_act": can_act,
            "cannot_act_reason": reason,
            "history": sorted(history, key=lambda item: item["at"], reverse=True),
            "recommendation": getattr(application, "recommendation", None),
            "field_choices": [(f.key, f.label) for f in application.form.fields()],
            "sealed_scan": application_selectors.sealed_scan_status(application),
        }


ACTIONS = {
    "return": "return_application",
    "decline": "decline_application",
    "recommend": "recommend_application",
    "withdraw-recommendation": "withdraw_recommendation",
    "accept": "accept_application",
    "return-to-city": "return_to_city",
    "return-to-applicant": "return_to_applicant",
}
MESSAGES = {
    "return": gettext_lazy("已退回申报单位修改，并已通知申报单位。"),
    "decline": gettext_lazy("已决定不予推荐，并已通知申报单位。"),
    "recommend": gettext_lazy("已推荐，排在本市同类别推荐的最后，可在“推荐结果”中调整排序。"),
    "withdraw-recommendation": gettext_lazy("已撤回推荐，申报书回到待处理列表。"),
    "accept": gettext_lazy("已受理。"),
    "return-to-city": gettext_lazy("已退回地市重新审核，并已通知地市工信局。"),
    "return-to-applicant": gettext_lazy("已退回申报单位补充材料，并已通知申报单位。"),
}


class DecisionView(RoleRequiredMixin, View):
    """One decision on one application; the service decides whether it is allowed now."""

    allowed_roles = OFFICERS

    def post(self, request: AuthenticatedRequest, pk: int, action: str) -> HttpResponse:
        if action not in ACTIONS:
            raise Http404
        application = application_selectors.application_for(request.user, pk)
        service = getattr(services, ACTIONS[action])
        arguments: dict[str, Any] = {"actor": request.user, "application": application}
        text = posted_text(request, "text")
        if action == "recommend":
            arguments.update(opinion=text, truthfulness_confirmed=request.POST.get("truthfulness") == "on")
        elif action == "return":
            comments = {}
            for index in range(10):
                key = posted_text(request, f"comment_field_{index}")
                if key:
                    comments[key] = posted_text(request, f"comment_text_{index}")
            arguments.update(reason=text, field_comments=comments)
        elif action != "accept":
            arguments.update(reason=text)
        try:
            service(**arguments)
        except (ReviewError, ApplicationError) as error:  # not allowed now, or not from this state
            messages.error(request, error.message)
        else:
            messages.success(request, MESSAGES[action])
        return redirect("reviews:application", pk=pk)


class CityRecommendationsView(RoleRequiredMixin, View):
    """The city's ranking per category, the 推荐汇总表, the 推荐函 and sending the set."""

    allowed_roles = (Role.CITY_OFFICER,)

    def get(self, request: AuthenticatedRequest, batch_pk: int) -> HttpResponse:
        batch = batch_selectors.batch_for(request.user, batch_pk)
        grouped = selectors.recommendations(batch, request.user.city_code)
        can_act, reason = services.city_can_act(batch, request.user.city_code)
        waiting = selectors.review_queue(request.user, batch, state=ApplicationState.SUBMITTED)
        return render(
            request,
            "reviews/city_recommendations.html",
            {
                "batch": batch,
                "categories": [(c, grouped.get(c.key, [])) for c in batch.spec.categories],
                "submission": services.city_submission(batch, request.user.city_code),
                "can_act": can_act,
                "cannot_act_reason": reason,
                "waiting": waiting.count(),
                "letter_discrepancies": selectors.letter_discrepancies(batch, request.user.city_code).get(
                    request.user.city_code, []
                ),
            },
        )

    def post(self, request: AuthenticatedRequest, batch_pk: int) -> HttpResponse:
        batch = batch_selectors.batch_for(request.user, batch_pk)
        action = request.POST.get("action")
        try:
            if action == "rank":
                category = request.POST.get("category", "")
                current = selectors.recommendations(batch, request.user.city_code).get(category, [])
                ranks = []
                for item in current:
                    raw = request.POST.get(f"rank_{item.application_id}", "")
                    try:
                        ranks.append((float(raw), item.rank, item.application_id))
                    except ValueError:
                        raise ReviewError("排序须填写数字。") from None
                order = [pk for _rank, _old, pk in sorted(ranks)]
                services.rank_recommendations(actor=request.user, batch=batch, category=category, order=order)
                messages.success(request, _("排序已保存。"))
            elif action == "letter":
                uploaded = request.FILES.get("letter")
                if uploaded is None:
                    raise ReviewError("请选择推荐函文件（PDF）。")
                services.upload_letter(actor=request.user, batch=batch, uploaded=uploaded)
                messages.success(request, _("推荐函已上传。"))
            elif action == "submit":
                services.submit_city_set(actor=request.user, batch=batch)
                messages.success(request, _("推荐结果已报送省工信厅。"))
        except ReviewError as error:
            messages.error(request, error.message)
        return redirect("reviews:city_recommendations", batch_pk=batch.pk)


class SummaryExportView(RoleRequiredMixin, View):
    """The 推荐汇总表 (.xlsx) of the officer's city, or of any city for the province (?city=)."""

    allowed_roles = OFFICERS

    def get(self, request: AuthenticatedRequest, batch_pk: int) -> HttpResponse:
        batch = batch_selectors.batch_for(request.user, batch_pk)
        city_code = request.user.city_code if request.user.is_city_officer else request.GET.get("city", "")
        try:
            city = reference.city(city_code)
        except KeyError as error:
            raise Http404 from error
        data = exports.recommendation_summary(batch, city_code, selectors.recommendations(batch, city_code))
        return xlsx_response(data, f"{city.name}推荐汇总表-{batch.application_year}.xlsx")


class LetterView(RoleRequiredMixin, View):
    allowed_roles = OFFICERS

    def get(self, request: AuthenticatedRequest, batch_pk: int, city_code: str) -> FileResponse:
        batch = batch_selectors.batch_for(request.user, batch_pk)
        submission = selectors.city_submission_for(request.user, batch, city_code)
        if not submission.letter:
            raise Http404
        return FileResponse(
            submission.letter.open("rb"), filename=submission.letter_name, content_type="application/pdf"
        )


class ProgressView(RoleRequiredMixin, View):
    """The province's per-city table for a batch, with the sets sent and the reopen action."""

    allowed_roles = (Role.PROVINCE_OFFICER,)

    def get(self, request: AuthenticatedRequest, batch_pk: int) -> HttpResponse:
        batch = batch_selectors.batch_for(request.user, batch_pk)
        rows = selectors.city_progress(batch)
        discrepancies = selectors.letter_discrepancies(batch)
        for row in rows:
            row["letter_discrepancies"] = discrepancies.get(row["city"].code, [])
        totals = {
            key: sum(row[key] for row in rows)
            for key in ("submitted", "returned", "declined", "recommended", "accepted", "total")
        }
        return render(
            request,
            "reviews/progress.html",
            {
                "batch": batch,
                "rows": rows,
                "totals": totals,
                "sent": sum(1 for r in rows if r["submission"] and r["submission"].submitted_at),
            },
        )

    def post(self, request: AuthenticatedRequest, batch_pk: int) -> HttpResponse:
        batch = batch_selectors.batch_for(request.user, batch_pk)
        try:
            reference.city(request.POST.get("city", ""))
            services.reopen_city_set(
                actor=request.user,
                batch=batch,
                city_code=request.POST["city"],
                reason=posted_text(request, "reason"),
            )
        except KeyError as error:
            raise Http404 from error
        except ReviewError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, _("已退回该市推荐结果，并已通知该市工信局。"))
        return redirect("reviews:progress", batch_pk=batch.pk)


class ReceiptView(RoleRequiredMixin, View):
    """The printable acceptance receipt (受理回执) of an accepted application."""

    allowed_roles = (Role.APPLICANT, Role.CITY_OFFICER, Role.PROVINCE_OFFICER)

    def get(self, request: AuthenticatedRequest, pk: int) -> HttpResponse:
        application = application_selectors.application_for(request.user, pk)
        accepted = application_pages.acceptance(application)
        if accepted is None:
            raise Http404
        snapshot = application_selectors.latest_snapshot(application)
        recommendation = getattr(application, "recommendation", None)
        return render(
            request,
            "reviews/receipt.html",
            {
                "application": application,
                "acceptance": accepted,
                "snapshot": snapshot,
                "recommendation": recommendation,
            },
        )
