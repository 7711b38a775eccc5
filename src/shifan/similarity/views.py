"""The pairs side by side (city, province, experts), and the province's list and decisions."""

from typing import Any

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View

from shifan.accounts.models import Role
from shifan.accounts.views import AuthenticatedRequest, ProvinceMixin, RoleRequiredMixin
from shifan.core.http import posted_text
from shifan.core.pagination import Paginator
from shifan.programs.models import Batch
from shifan.similarity import selectors, services
from shifan.similarity.models import PairDecision, SimilarPair

DECISIONS = [
    (PairDecision.EXPLAINED, PairDecision.EXPLAINED.label),
    (PairDecision.TO_CHECK, PairDecision.TO_CHECK.label),
    (PairDecision.RETURNED, PairDecision.RETURNED.label),
]


SORT_LABELS = [
    ("score", gettext_lazy("相似度从高到低")),
    ("-score", gettext_lazy("相似度从低到高")),
    ("number", gettext_lazy("申报编号")),
    ("found", gettext_lazy("发现时间")),
    ("decision", gettext_lazy("处理结果")),
]


class PairView(RoleRequiredMixin, View):
    """Two applications' (or an application's and a case's) alike sections side by side."""

    allowed_roles = (Role.CITY_OFFICER, Role.PROVINCE_OFFICER, Role.EXPERT)

    def get(self, request: AuthenticatedRequest, pk: int) -> HttpResponse:
        pair = selectors.pair_for(request.user, pk)
        return render(request, "similarity/pair.html", self.context(request, pair, errors={}))

    @staticmethod
    def context(request: AuthenticatedRequest, pair: SimilarPair, errors: dict[str, str]) -> dict[str, Any]:
        user = request.user
        show_units = selectors.shows_units(user, pair)
        left_label = selectors.side_label(pair, pair.application, show_unit=show_units)
        right_label = selectors.side_label(pair, pair.other_application, show_unit=show_units)
        if not show_units:  # an expert: which side is the application it reviews
            reviewed = selectors.reviewed_by(user)
            if pair.application_id in reviewed:
                left_label = _("本申报书")
            if pair.other_application_id in reviewed:
                right_label = _("本申报书")
        return {
            "pair": pair,
            "left_label": left_label,
            "right_label": right_label,
            "passages": selectors.passages(pair),
            "score_percent": round(pair.score * 100),
            "can_decide": user.is_province_officer,
            # The province's note may name the other unit: an expert reads it only where the units show.
            "show_decision_note": show_units,
            "decisions": DECISIONS,
            "errors": errors,
            "posted": request.POST if request.method == "POST" else {},
        }


class DecideView(ProvinceMixin, View):
    def post(self, request: AuthenticatedRequest, pk: int) -> HttpResponse:
        pair = selectors.pair_for(request.user, pk)
        try:
            services.decide(
                actor=request.user,
                pair=pair,
                decision=request.POST.get("decision", ""),
                note=posted_text(request, "note"),
            )
        except services.SimilarityError as error:
            errors = {error.field or "decision": error.message}
            return render(
                request, "similarity/pair.html", PairView.context(request, pair, errors), status=400
            )
        messages.success(request, "已记录处理结果。")
        return redirect(reverse("similarity:pair", args=[pair.pk]))


class BatchPairsView(ProvinceMixin, View):
    """Every flagged pair of a batch: sortable, paginated, with its decision."""

    def get(self, request: AuthenticatedRequest, batch_pk: int) -> HttpResponse:
        batch = get_object_or_404(Batch, pk=batch_pk)
        sort = request.GET.get("sort", "score")
        if sort not in selectors.SORTS:
            sort = "score"
        decision_filter = request.GET.get("decision", "")
        decision: str | None = None  # every pair
        if decision_filter == "pending":
            decision = PairDecision.PENDING
        elif decision_filter in PairDecision.values:
            decision = decision_filter
        pairs = selectors.batch_pairs(request.user, batch, sort=sort, decision=decision)
        page = Paginator(pairs, 30).get_page(request.GET.get("page"))
        return render(
            request,
            "similarity/batch.html",
            {
                "batch": batch,
                "page": page,
                "sort": sort,
                "decision_filter": decision_filter,
                "decisions": [("pending", PairDecision.PENDING.label), *DECISIONS],
                "sorts": SORT_LABELS,
            },
        )


class BatchCheckView(ProvinceMixin, View):
    def post(self, request: AuthenticatedRequest, batch_pk: int) -> HttpResponse:
        batch = get_object_or_404(Batch, pk=batch_pk)
        services.request_batch_check(actor=request.user, batch=batch)
        messages.success(request, "已开始检测本批次的相似内容，完成后列表自动更新。")
        return redirect(reverse("similarity:batch", args=[batch.pk]))
