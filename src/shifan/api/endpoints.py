"""The endpoints of /api/v1/: reads scoped by the pages' selectors, and the city's writes.

Each endpoint reads through the selector its page uses (`applications_visible_to`,
`batches_visible_to`, `public_announcements`, `publicity.selectors.units`) with the client's
account as the user, and lets in the roles of the page it mirrors (`page_roles`). Writes call the
pages' services, so they refuse what the pages refuse, with the same reasons.
"""

import hashlib
import time
from typing import Any

from django.db import transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404
from django.utils.cache import get_conditional_response
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.exceptions import NotFound
from rest_framework.generics import GenericAPIView
from rest_framework.request import Request
from rest_framework.response import Response

from shifan.accounts.models import User
from shifan.api import serializers as api
from shifan.api.models import ApiClient
from shifan.api.pagination import ApiCursorPagination
from shifan.api.permissions import CanWrite, IsClient, page_roles
from shifan.api.problems import PROBLEM_CONTENT_TYPE, problem, problem_response
from shifan.api.services import log_call
from shifan.applications.models import Application, Snapshot
from shifan.applications.selectors import application_for, applications_visible_to, latest_snapshot
from shifan.applications.services import ApplicationError
from shifan.applications.views import CreditCheckView
from shifan.core.http import xlsx_response
from shifan.core.sheets import workbook_bytes
from shifan.dashboard.charts import BUILDERS
from shifan.dashboard.views import DashboardContext, ProgrammeView
from shifan.eligibility import services as eligibility
from shifan.eligibility.services import EligibilityError
from shifan.expert_review import selectors as expert_review
from shifan.expert_review.views import ResultsView
from shifan.programs.models import Batch
from shifan.programs.selectors import batch_for, batches_visible_to
from shifan.publicity import exports as publicity_exports
from shifan.publicity import selectors as publicity
from shifan.publicity.models import Notice
from shifan.publicity.views import NoticeView, PublicityOverviewView, UnitListView
from shifan.reviews import services as reviews
from shifan.reviews.services import ReviewError
from shifan.reviews.views import ACTIONS, DecisionView
from shifan.tracking import selectors as tracking
from shifan.tracking.views import RoundView as TrackingRoundView

PROBLEM = OpenApiResponse(api.problem_serializer(), description="RFC 9457 problem details")
PROBLEMS: dict[Any, Any] = {(status, PROBLEM_CONTENT_TYPE): PROBLEM for status in (400, 401, 403, 404, 429)}
CONFLICT = {(409, PROBLEM_CONTENT_TYPE): PROBLEM}
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


# Every endpoint: a client's token, its rate limit, an ETag on reads, and a log line per call.
# (A comment, not a docstring: the schema would give the docstring as every endpoint's description.)
class ApiView(GenericAPIView):  # type: ignore[type-arg]
    permission_classes = [IsClient]

    def initialize_request(self, request: Any, *args: Any, **kwargs: Any) -> Request:
        self._started = time.monotonic()
        return super().initialize_request(request, *args, **kwargs)

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)
        if kwargs.get("pk", 0) > api.ID_MAX:
            raise NotFound  # no row has it; the database would refuse the number itself

    def finalize_response(self, request: Request, response: Any, *args: Any, **kwargs: Any) -> Any:
        response = super().finalize_response(request, response, *args, **kwargs)
        if request.method in ("GET", "HEAD") and response.status_code == 200:
            response = _with_etag(request, response)
        client = request.auth
        if isinstance(client, ApiClient):
            log_call(
                client=client,
                method=request.method or "",
                path=request.get_full_path(),
                status=response.status_code,
                duration_ms=int((time.monotonic() - self._started) * 1000),
            )
        return response


def no_such_endpoint(request: HttpRequest) -> HttpResponse:
    body = problem(404, "没有这个接口或对象，请对照 /api/v1/schema/ 检查路径。", instance=request.path)
    return JsonResponse(
        body, status=404, content_type=PROBLEM_CONTENT_TYPE, json_dumps_params={"ensure_ascii": False}
    )


def account_of(request: Request) -> User:
    """Return the account of the client that passed `IsClient`."""
    user = request.user
    assert isinstance(user, User)
    return user


def _with_etag(request: Request, response: Any) -> Any:
    """Give a read its ETag (a digest of the body); answer 304 when the client already has it."""
    if hasattr(response, "render") and not getattr(response, "is_rendered", True):
        response.render()
    if getattr(response, "streaming", False):
        return response
    etag = '"' + hashlib.sha256(response.content).hexdigest()[:32] + '"'
    response["ETag"] = etag
    return get_conditional_response(request._request, etag=etag, response=response)


def _category_names(batch_ids: set[int]) -> dict[tuple[int, str], str]:
    names = {}
    for batch in Batch.objects.filter(pk__in=batch_ids):
        for category in batch.spec.categories:
            names[(batch.pk, category.key)] = str(category.name)
    return names


def _filters(request: Request) -> dict[str, Any]:
    filters = api.ApplicationFilterSerializer(data=request.query_params)
    filters.is_valid(raise_exception=True)
    return dict(filters.validated_data)


# Batches ---------------------------------------------------------------------------------------


class BatchListView(ApiView):
    serializer_class = api.BatchSerializer
    pagination_class = ApiCursorPagination

    def get_queryset(self) -> Any:
        return batches_visible_to(account_of(self.request)).defer("spec_text")

    @extend_schema(
        operation_id="batches_list",
        summary="征集批次列表",
        responses={200: api.BatchSerializer(many=True), **PROBLEMS},
    )
    def get(self, request: Request) -> Response:
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(self.get_serializer(page, many=True).data)


class BatchDetailView(ApiView):
    serializer_class = api.BatchDetailSerializer

    @extend_schema(
        summary="征集批次及其申报规格（YAML 原文与解析结果）",
        responses={200: api.BatchDetailSerializer, **PROBLEMS},
    )
    def get(self, request: Request, pk: int) -> Response:
        return Response(self.get_serializer(batch_for(account_of(request), pk)).data)


# Applications ----------------------------------------------------------------------------------


LIST_COLUMNS = (
    "id",
    "number",
    "batch_id",
    "category",
    "state",
    "unit_name",
    "credit_code",
    "city_code",
    "submitted_at",
    "updated_at",
    "eligibility_summary",
)


class ApplicationListView(ApiView):
    serializer_class = api.ApplicationSerializer
    pagination_class = ApiCursorPagination

    def get_queryset(self) -> Any:
        # The selector's rows, without its joins: a row of the list needs none of the batch's or the
        # organisation's columns (city_code is the application's own once it is submitted).
        queryset = (
            applications_visible_to(account_of(self.request))
            .select_related(None)
            .select_related("recommendation")
            .only(*LIST_COLUMNS, "recommendation__id", "recommendation__rank")
        )
        filters = _filters(self.request)
        if "batch" in filters:
            queryset = queryset.filter(batch_id=filters["batch"])
        if "city" in filters:
            queryset = queryset.filter(city_code=filters["city"])
        if filters.get("category"):
            queryset = queryset.filter(category=filters["category"])
        if "state" in filters:
            queryset = queryset.filter(state=filters["state"])
        if "updated_since" in filters:
            queryset = queryset.filter(updated_at__gte=filters["updated_since"])
        return queryset

    @extend_schema(
        operation_id="applications_list",
        summary="申报书列表（按角色范围）",
        parameters=[api.ApplicationFilterSerializer],
        responses={200: api.ApplicationSerializer(many=True), **PROBLEMS},
    )
    def get(self, request: Request) -> Response:
        page = self.paginate_queryset(self.get_queryset()) or []
        context = {
            **self.get_serializer_context(),
            "category_names": _category_names({a.batch_id for a in page}),
        }
        return self.get_paginated_response(api.ApplicationSerializer(page, many=True, context=context).data)


class ApplicationDetailView(ApiView):
    serializer_class = api.ApplicationDetailSerializer

    @extend_schema(
        summary="申报书：提交的内容、资格预审、地市处理",
        responses={200: api.ApplicationDetailSerializer, **PROBLEMS},
    )
    def get(self, request: Request, pk: int) -> Response:
        application = application_for(account_of(request), pk)
        context = {
            **self.get_serializer_context(),
            "category_names": _category_names({application.batch_id}),
            "snapshot": latest_snapshot(application),
            "eligibility": eligibility.latest_check(application),
            "city_decisions": list(application.city_decisions.all()),
            "formal_reviews": list(application.formal_reviews.all()),
        }
        return Response(api.ApplicationDetailSerializer(application, context=context).data)


# Announcements and the national recommendation ------------------------------------------------


class AnnouncementListView(ApiView):
    serializer_class = api.AnnouncementSerializer
    pagination_class = ApiCursorPagination

    def get_queryset(self) -> Any:
        return publicity.public_announcements().only(
            "id", "batch_id", "title", "number", "issued_on", "issuer", "updated_at"
        )

    @extend_schema(
        operation_id="announcements_list",
        summary="认定通告列表",
        responses={200: api.AnnouncementSerializer(many=True), **PROBLEMS},
    )
    def get(self, request: Request) -> Response:
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(self.get_serializer(page, many=True).data)


class AnnouncementDetailView(ApiView):
    serializer_class = api.AnnouncementDetailSerializer

    @extend_schema(
        summary="认定通告及认定的示范单位", responses={200: api.AnnouncementDetailSerializer, **PROBLEMS}
    )
    def get(self, request: Request, pk: int) -> Response:
        announcement, units = publicity.public_announcement(pk)
        context = {**self.get_serializer_context(), "units": units}
        return Response(api.AnnouncementDetailSerializer(announcement, context=context).data)


def _latest_snapshots(application_ids: list[int]) -> dict[int, Snapshot]:
    """Return the latest snapshot of each application with its content (one query)."""
    latest: dict[int, Snapshot] = {}
    for snapshot in Snapshot.objects.filter(application_id__in=application_ids).order_by("sequence"):
        latest[snapshot.application_id] = snapshot
    return latest


class NationalRecommendationView(ApiView):
    """One document per batch: the units recommended to the national selection, in priority order."""

    permission_classes = [IsClient, page_roles(UnitListView)]
    serializer_class = api.NationalRecommendationSerializer

    @extend_schema(
        summary="国家级遴选推荐文件（JSON，或 ?format=xlsx 为报送用的 Excel）",
        parameters=[
            OpenApiParameter(
                "format", str, enum=["json", "xlsx"], description="xlsx：与页面导出相同的 Excel 文件"
            )
        ],
        responses={
            (200, "application/json"): api.NationalRecommendationSerializer,
            (200, XLSX): OpenApiResponse(OpenApiTypes.BINARY, description="与页面导出相同的 Excel 文件"),
            **PROBLEMS,
        },
    )
    def get(self, request: Request, pk: int) -> Any:
        batch = batch_for(account_of(request), pk)
        units = list(publicity.units(batch_id=str(batch.pk), national="yes"))
        if request.query_params.get("format") == "xlsx":
            return xlsx_response(
                workbook_bytes(publicity_exports.units_workbook(units)),
                f"国家级遴选推荐名单-{batch.application_year}.xlsx",
            )
        announcement = getattr(batch, "announcement", None) if units else None
        context = {
            **self.get_serializer_context(),
            "snapshots": _latest_snapshots([unit.application_id for unit in units]),
        }
        document = {
            "batch": batch.pk,
            "batch_name": batch.name,
            "announcement_number": announcement.number if announcement is not None else None,
            "units": units,
        }
        return Response(api.NationalRecommendationSerializer(document, context=context).data)


# Writes ----------------------------------------------------------------------------------------


def _refusal(request: Request, error: Any) -> Response:
    """A service's refusal: beside the field it names (400), or as the reason it cannot be done (409)."""
    field = getattr(error, "field", None)
    if field:
        return problem_response(400, error.message, instance=request.path, errors={field: [error.message]})
    return problem_response(409, error.message, instance=request.path)


class CreditCheckCreateView(ApiView):
    """A credit system's check of the register for an application, as an officer records it."""

    permission_classes = [IsClient, CanWrite, page_roles(CreditCheckView)]
    serializer_class = api.CreditCheckInputSerializer

    @extend_schema(
        summary="登记信用核查结果",
        request=api.CreditCheckInputSerializer,
        responses={201: api.CreditCheckSerializer, **CONFLICT, **PROBLEMS},
    )
    def post(self, request: Request, pk: int) -> Response:
        application = application_for(account_of(request), pk)
        data = self.get_serializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            check = eligibility.record_credit_check(
                actor=account_of(request),
                application=application,
                not_listed=data.validated_data["not_listed"],
                note=data.validated_data["note"],
            )
        except EligibilityError as error:
            return _refusal(request, error)
        return Response(api.CreditCheckSerializer(check).data, status=201)


class DecisionCreateView(ApiView):
    """A city's decision on one application, through the review page's services."""

    permission_classes = [IsClient, CanWrite, page_roles(DecisionView)]
    serializer_class = api.DecisionInputSerializer

    @extend_schema(
        summary="地市处理申报书（推荐、不予推荐、退回修改、撤回推荐）",
        request=api.DecisionInputSerializer,
        responses={201: api.DecisionSerializer, **CONFLICT, **PROBLEMS},
    )
    def post(self, request: Request, pk: int) -> Response:
        application = application_for(account_of(request), pk)
        data = self.get_serializer(data=request.data)
        data.is_valid(raise_exception=True)
        action = data.validated_data["action"]
        text = data.validated_data["text"].replace("\x00", "")
        arguments: dict[str, Any] = {"actor": account_of(request), "application": application}
        if action == "recommend":
            arguments.update(
                opinion=text, truthfulness_confirmed=data.validated_data["truthfulness_confirmed"]
            )
        elif action == "return":
            arguments.update(reason=text, field_comments=data.validated_data["field_comments"])
        else:
            arguments.update(reason=text)
        try:
            with transaction.atomic():
                getattr(reviews, ACTIONS[action])(**arguments)
        except (ReviewError, ApplicationError) as error:
            return _refusal(request, error)
        application = Application.objects.select_related("recommendation").get(pk=application.pk)
        decision = application.city_decisions.first()
        recommendation = getattr(application, "recommendation", None)
        return Response(
            {
                "application": application.pk,
                "state": application.state,
                "action": decision.action if decision is not None else "",
                "text": decision.text if decision is not None else "",
                "recommendation_rank": recommendation.rank if recommendation is not None else None,
            },
            status=201,
        )


# Figures, publicity and tracking --------------------------------------------------------------


class DashboardView(ApiView):
    """The figures of the 统计分析 page, in the page's scope (a city client: its own city)."""

    permission_classes = [IsClient, page_roles(ProgrammeView)]
    serializer_class = api.DashboardSerializer

    @extend_schema(
        summary="统计分析数据（与统计页面相同的图表数据）",
        parameters=[
            OpenApiParameter("batch", int, description="征集批次编号；缺省为最近的批次"),
            OpenApiParameter("category", str, description="申报类别键（省级范围可选）"),
        ],
        responses={200: api.DashboardSerializer, **PROBLEMS},
    )
    def get(self, request: Request) -> Response:
        dashboard = DashboardContext(request._request)
        built = [BUILDERS[key](dashboard.figures) for key in dashboard.chart_keys()]
        built += dashboard.tracking_charts()
        document = {
            "batch": dashboard.batch.pk if dashboard.batch else None,
            "scope": dashboard.scope_label,
            "charts": [{"key": chart.key, **chart.as_data()} for chart in built],
        }
        return Response(api.DashboardSerializer(document).data)


class RoundListView(ApiView):
    permission_classes = [IsClient, page_roles(TrackingRoundView)]
    serializer_class = api.RoundSerializer
    pagination_class = ApiCursorPagination

    def get_queryset(self) -> Any:
        return tracking.rounds_for(account_of(self.request))

    @extend_schema(
        operation_id="tracking_rounds_list",
        summary="动态跟踪轮次列表",
        responses={200: api.RoundSerializer(many=True), **PROBLEMS},
    )
    def get(self, request: Request) -> Response:
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(self.get_serializer(page, many=True).data)


class RoundReportListView(ApiView):
    """A round's reports and their evaluations, as the round's page lists them (a city: its own)."""

    permission_classes = [IsClient, page_roles(TrackingRoundView)]
    serializer_class = api.ReportSerializer
    pagination_class = ApiCursorPagination

    @extend_schema(
        operation_id="tracking_round_reports_list",
        summary="某轮次的运行情况报告与评价",
        responses={200: api.ReportSerializer(many=True), **PROBLEMS},
    )
    def get(self, request: Request, pk: int) -> Response:
        round_ = tracking.round_for(account_of(request), pk)
        page = self.paginate_queryset(tracking.round_reports(account_of(request), round_)) or []
        context = {**self.get_serializer_context(), "due_on": round_.due_on}
        return self.get_paginated_response(api.ReportSerializer(page, many=True, context=context).data)


class NoticeListView(ApiView):
    permission_classes = [IsClient, page_roles(PublicityOverviewView)]
    serializer_class = api.NoticeSerializer
    pagination_class = ApiCursorPagination

    def get_queryset(self) -> Any:
        return publicity.notices_for_officers()

    @extend_schema(
        operation_id="notices_list",
        summary="公示列表及异议数",
        responses={200: api.NoticeSerializer(many=True), **PROBLEMS},
    )
    def get(self, request: Request) -> Response:
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(self.get_serializer(page, many=True).data)


class ObjectionListView(ApiView):
    """A notice's objections: their handling and decisions, never who raised them."""

    permission_classes = [IsClient, page_roles(NoticeView)]
    serializer_class = api.ObjectionSerializer
    pagination_class = ApiCursorPagination

    @extend_schema(
        operation_id="notice_objections_list",
        summary="公示收到的异议及处理结果（不含异议人信息）",
        responses={200: api.ObjectionSerializer(many=True), **PROBLEMS},
    )
    def get(self, request: Request, pk: int) -> Response:
        notice = get_object_or_404(Notice, pk=pk)
        page = self.paginate_queryset(publicity.objections_of(notice))
        return self.get_paginated_response(self.get_serializer(page, many=True).data)


class ReviewResultsView(ApiView):
    """The expert review's aggregated scores and ranking per category, as the results page has them."""

    permission_classes = [IsClient, page_roles(ResultsView)]
    serializer_class = api.ReviewResultsSerializer

    @extend_schema(
        summary="专家评审汇总得分与排名（不含专家信息）",
        responses={200: api.ReviewResultsSerializer, **PROBLEMS},
    )
    def get(self, request: Request, pk: int) -> Response:
        batch = batch_for(account_of(request), pk)
        results = expert_review.batch_results(batch)
        categories = []
        for category in batch.spec.categories:
            rows = expert_review.category_ranking(batch, category.key, results)
            categories.append(
                {
                    "category": category.key,
                    "category_name": str(category.name),
                    "quota": batch.quota(category.key),
                    "ranking": [
                        {
                            "application": row.application.pk,
                            "number": row.application.number,
                            "unit_name": row.application.unit_name,
                            "rank": row.rank,
                            "scores_submitted": row.submitted,
                            "scores_expected": row.expected,
                            "raw_mean": row.result.raw_mean,
                            "final": row.result.final,
                            "disagreement": row.result.disagreement,
                            "proposed": row.selection.selected if row.selection else None,
                        }
                        for row in rows
                    ],
                }
            )
        return Response(api.ReviewResultsSerializer({"batch": batch.pk, "categories": categories}).data)
