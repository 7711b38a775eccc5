"""What the API answers: the fields the pages show, never the experts' or objectors' identities."""

from datetime import datetime
from typing import Any

import yaml
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field, inline_serializer
from rest_framework import serializers

from shifan.applications.models import Application, ApplicationState
from shifan.core import reference
from shifan.programs.models import Batch
from shifan.publicity.models import Announcement, DemonstrationUnit, Notice, Objection
from shifan.reviews.models import CityAction, CityDecision, FormalReview
from shifan.tracking.models import Report, Round, report_state

# The largest id the database holds (a 64-bit integer): a larger one is refused, not sent to it.
ID_MAX = 2**63 - 1


def problem_serializer() -> serializers.Serializer[Any]:
    """RFC 9457 problem details, as `application/problem+json` (built at run time: a declared
    `errors` field would hide the serializer's own `errors`)."""
    return inline_serializer(
        name="Problem",
        fields={
            "type": serializers.CharField(help_text="about:blank"),
            "title": serializers.CharField(help_text="错误的类别，中文"),
            "status": serializers.IntegerField(),
            "detail": serializers.CharField(help_text="原因，中文，可直接展示给使用者"),
            "instance": serializers.CharField(required=False, help_text="请求的路径"),
            "errors": serializers.DictField(required=False, help_text="按字段列出的错误（请求有误时）"),
        },
    )


class BatchSerializer(serializers.ModelSerializer[Batch]):
    class Meta:
        model = Batch
        fields = [
            "id",
            "name",
            "application_year",
            "opens_at",
            "closes_at",
            "city_deadline",
            "spec_key",
            "spec_version",
            "spec_digest",
            "quotas",
            "updated_at",
        ]


class BatchDetailSerializer(BatchSerializer):
    spec_yaml = serializers.CharField(source="spec_text", help_text="申报规格的 YAML 原文")
    spec = serializers.SerializerMethodField(help_text="申报规格 YAML 解析后的内容")

    class Meta(BatchSerializer.Meta):
        fields = [*BatchSerializer.Meta.fields, "spec_yaml", "spec"]

    @extend_schema_field(OpenApiTypes.OBJECT)
    def get_spec(self, batch: Batch) -> Any:
        return yaml.safe_load(batch.spec_text)


_DATETIME = serializers.DateTimeField()


def _iso(moment: datetime | None) -> str | None:
    """A datetime as DRF's DateTimeField gives it: ISO 8601 in the current time zone."""
    return _DATETIME.to_representation(moment) if moment is not None else None


class ApplicationSerializer(serializers.ModelSerializer[Application]):
    category_name = serializers.SerializerMethodField()
    state_name = serializers.CharField(source="get_state_display")
    city_name = serializers.CharField()
    eligibility_summary = serializers.DictField(
        child=serializers.IntegerField(), help_text="资格预审各结果的条数"
    )
    recommendation_rank = serializers.SerializerMethodField(help_text="地市推荐排序（未推荐为 null）")

    class Meta:
        model = Application
        fields = [
            "id",
            "number",
            "batch",
            "category",
            "category_name",
            "state",
            "state_name",
            "unit_name",
            "credit_code",
            "city_code",
            "city_name",
            "submitted_at",
            "updated_at",
            "eligibility_summary",
            "recommendation_rank",
        ]

    def to_representation(self, application: Application) -> dict[str, Any]:
        """The fields above, read straight from the row: a list page holds 100 of them, and DRF's
        field-by-field path costs about ten times as much for the same answer."""
        recommendation = getattr(application, "recommendation", None)
        city_code = application.city_code
        return {
            "id": application.pk,
            "number": application.number,
            "batch": application.batch_id,
            "category": application.category,
            "category_name": self.get_category_name(application),
            "state": application.state,
            "state_name": str(ApplicationState(application.state).label),
            "unit_name": application.unit_name,
            "credit_code": application.credit_code,
            "city_code": city_code,
            "city_name": reference.city(city_code).name if city_code else "",
            "submitted_at": _iso(application.submitted_at),
            "updated_at": _iso(application.updated_at),
            "eligibility_summary": dict(application.eligibility_summary or {}),
            "recommendation_rank": recommendation.rank if recommendation is not None else None,
        }

    def get_category_name(self, application: Application) -> str:
        names: dict[tuple[int, str], str] = self.context.get("category_names", {})
        return names.get((application.batch_id, application.category), application.category)

    def get_recommendation_rank(self, application: Application) -> int | None:
        recommendation = getattr(application, "recommendation", None)
        return recommendation.rank if recommendation is not None else None


class SnapshotSerializer(serializers.Serializer[Any]):
    sequence = serializers.IntegerField()
    submitted_at = serializers.DateTimeField()
    digest = serializers.CharField()
    spec_version = serializers.CharField()
    answers = serializers.DictField(help_text="提交时的填报内容，按字段键")
    unit = serializers.DictField(help_text="提交时的单位信息")
    attachments = serializers.ListField(child=serializers.DictField(), help_text="提交时的附件清单")


class CityDecisionSerializer(serializers.ModelSerializer[CityDecision]):
    action_name = serializers.CharField(source="get_action_display")

    class Meta:
        model = CityDecision
        fields = ["action", "action_name", "text", "field_comments", "truthfulness_confirmed", "decided_at"]


class FormalReviewSerializer(serializers.ModelSerializer[FormalReview]):
    decision_name = serializers.CharField(source="get_decision_display")

    class Meta:
        model = FormalReview
        fields = ["decision", "decision_name", "reason", "decided_at"]


class EligibilityResultSerializer(serializers.Serializer[Any]):
    checked_at = serializers.DateTimeField()
    blocking = serializers.BooleanField()
    summary = serializers.DictField(child=serializers.IntegerField())
    results = serializers.ListField(child=serializers.DictField())


class ApplicationDetailSerializer(ApplicationSerializer):
    submitted = serializers.SerializerMethodField(help_text="最近一次提交的内容（快照）")
    eligibility = serializers.SerializerMethodField(help_text="最近一次资格预审")
    city_decisions = serializers.SerializerMethodField(help_text="地市的处理记录，最近的在前")
    formal_reviews = serializers.SerializerMethodField(help_text="省厅形式审查记录，最近的在前")

    class Meta(ApplicationSerializer.Meta):
        fields = [
            *ApplicationSerializer.Meta.fields,
            "submitted",
            "eligibility",
            "city_decisions",
            "formal_reviews",
        ]

    def to_representation(self, application: Application) -> dict[str, Any]:
        return {
            **super().to_representation(application),
            "submitted": self.get_submitted(application),
            "eligibility": self.get_eligibility(application),
            "city_decisions": self.get_city_decisions(application),
            "formal_reviews": self.get_formal_reviews(application),
        }

    @extend_schema_field(SnapshotSerializer(allow_null=True))
    def get_submitted(self, application: Application) -> Any:
        snapshot = self.context.get("snapshot")
        return SnapshotSerializer(snapshot).data if snapshot is not None else None

    @extend_schema_field(EligibilityResultSerializer(allow_null=True))
    def get_eligibility(self, application: Application) -> Any:
        check = self.context.get("eligibility")
        return EligibilityResultSerializer(check).data if check is not None else None

    @extend_schema_field(CityDecisionSerializer(many=True))
    def get_city_decisions(self, application: Application) -> Any:
        return CityDecisionSerializer(self.context.get("city_decisions", []), many=True).data

    @extend_schema_field(FormalReviewSerializer(many=True))
    def get_formal_reviews(self, application: Application) -> Any:
        return FormalReviewSerializer(self.context.get("formal_reviews", []), many=True).data


class ApplicationFilterSerializer(serializers.Serializer[Any]):
    """The filters of the lists, as the pages have them."""

    batch = serializers.IntegerField(required=False, min_value=1, max_value=ID_MAX, help_text="征集批次编号")
    city = serializers.RegexField(r"^\d{6}$", required=False, help_text="城市代码（6 位），如 440100")
    category = serializers.CharField(
        required=False, allow_blank=True, max_length=20, help_text="申报类别键，如 enterprise（空：不筛选）"
    )
    state = serializers.ChoiceField(choices=ApplicationState.choices, required=False, help_text="申报状态")
    updated_since = serializers.DateTimeField(required=False, help_text="只列出此时间之后更新的（ISO 8601）")


class UnitSerializer(serializers.ModelSerializer[DemonstrationUnit]):
    status_name = serializers.CharField(source="get_status_display")

    class Meta:
        model = DemonstrationUnit
        fields = [
            "id",
            "category",
            "category_name",
            "position",
            "unit_name",
            "city_code",
            "city_name",
            "valid_from",
            "valid_until",
            "status",
            "status_name",
        ]


class AnnouncementSerializer(serializers.ModelSerializer[Announcement]):
    unit_count = serializers.IntegerField()

    class Meta:
        model = Announcement
        fields = ["id", "batch", "number", "title", "issued_on", "issuer", "unit_count", "updated_at"]


class AnnouncementDetailSerializer(serializers.ModelSerializer[Announcement]):
    units = serializers.SerializerMethodField()

    class Meta:
        model = Announcement
        fields = ["id", "batch", "number", "title", "issued_on", "issuer", "body", "units"]

    @extend_schema_field(UnitSerializer(many=True))
    def get_units(self, announcement: Announcement) -> Any:
        return UnitSerializer(self.context.get("units", []), many=True).data


class NationalUnitSerializer(UnitSerializer):
    national_priority = serializers.IntegerField(allow_null=True)
    national_note = serializers.CharField()
    submitted = serializers.SerializerMethodField(help_text="该单位申报时提交的内容（最近一次快照）")

    class Meta(UnitSerializer.Meta):
        fields = [*UnitSerializer.Meta.fields, "national_priority", "national_note", "submitted"]

    @extend_schema_field(SnapshotSerializer(allow_null=True))
    def get_submitted(self, unit: DemonstrationUnit) -> Any:
        snapshot = self.context.get("snapshots", {}).get(unit.application_id)
        return SnapshotSerializer(snapshot).data if snapshot is not None else None


class NationalRecommendationSerializer(serializers.Serializer[Any]):
    batch = serializers.IntegerField()
    batch_name = serializers.CharField()
    announcement_number = serializers.CharField(allow_null=True)
    units = NationalUnitSerializer(many=True, help_text="推荐参加国家级遴选的示范单位，按推荐优先次序")


class CreditCheckInputSerializer(serializers.Serializer[Any]):
    not_listed = serializers.BooleanField(help_text="true：未列入经营异常名录和严重违法失信企业名单")
    note = serializers.CharField(max_length=500, help_text="核查说明（如核查日期、查询结果）")


class CreditCheckSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    application = serializers.IntegerField(source="application_id")
    not_listed = serializers.BooleanField()
    note = serializers.CharField()
    checked_at = serializers.DateTimeField()


# The city's decisions of the review page (reviews.views.ACTIONS), under the same names.
CITY_DECISIONS = [
    ("recommend", CityAction.RECOMMENDED.label),
    ("decline", CityAction.DECLINED.label),
    ("return", CityAction.RETURNED.label),
    ("withdraw-recommendation", CityAction.RECOMMENDATION_WITHDRAWN.label),
]


class DecisionInputSerializer(serializers.Serializer[Any]):
    action = serializers.ChoiceField(choices=CITY_DECISIONS)
    text = serializers.CharField(
        allow_blank=True, max_length=5000, help_text="推荐意见，或退回、不予推荐、撤回推荐的理由"
    )
    truthfulness_confirmed = serializers.BooleanField(
        required=False, default=False, help_text="推荐时必填 true：已对申报材料的真实性进行复核"
    )
    field_comments = serializers.DictField(
        child=serializers.CharField(allow_blank=True, max_length=2000),
        required=False,
        default=dict,
        help_text="退回修改时的逐项意见，按字段键",
    )


class DecisionSerializer(serializers.Serializer[Any]):
    application = serializers.IntegerField()
    state = serializers.CharField()
    action = serializers.CharField()
    text = serializers.CharField()
    recommendation_rank = serializers.IntegerField(allow_null=True)


class ChartSeriesSerializer(serializers.Serializer[Any]):
    name = serializers.CharField()
    values = serializers.ListField(child=serializers.FloatField(allow_null=True))
    kind = serializers.CharField()
    shown = serializers.BooleanField()


class ChartSerializer(serializers.Serializer[Any]):
    key = serializers.CharField()
    title = serializers.CharField()
    labels = serializers.ListField(child=serializers.CharField())
    series = ChartSeriesSerializer(many=True)


class DashboardSerializer(serializers.Serializer[Any]):
    batch = serializers.IntegerField(allow_null=True)
    scope = serializers.CharField(help_text="全省或本市，及所选类别")
    charts = ChartSerializer(many=True)


class RoundSerializer(serializers.ModelSerializer[Round]):
    class Meta:
        model = Round
        fields = ["id", "title", "year", "category", "batch", "due_on", "closed_at"]


class ReportSerializer(serializers.ModelSerializer[Report]):
    unit = serializers.IntegerField(source="unit_id")
    unit_name = serializers.CharField(source="unit.unit_name")
    city_code = serializers.CharField(source="unit.city_code")
    city_name = serializers.CharField(source="unit.city_name")
    category = serializers.CharField(source="unit.category")
    state = serializers.SerializerMethodField()
    evaluation_name = serializers.CharField(source="get_evaluation_display")

    class Meta:
        model = Report
        fields = [
            "id",
            "unit",
            "unit_name",
            "city_code",
            "city_name",
            "category",
            "state",
            "submitted_at",
            "flag_count",
            "evaluation",
            "evaluation_name",
            "evaluated_at",
        ]

    def get_state(self, report: Report) -> str:
        return report_state(report.submitted_at, self.context["due_on"])


class NoticeSerializer(serializers.ModelSerializer[Notice]):
    entry_count = serializers.IntegerField(help_text="公示名单上的单位数")
    objection_count = serializers.IntegerField(help_text="收到的异议数")
    pending_count = serializers.IntegerField(help_text="尚未处理完的异议数")

    class Meta:
        model = Notice
        fields = [
            "id",
            "batch",
            "title",
            "starts_on",
            "ends_on",
            "working_days",
            "state",
            "entry_count",
            "objection_count",
            "pending_count",
        ]


class ObjectionSerializer(serializers.ModelSerializer[Objection]):
    """An objection's handling, never its author: no name, phone, e-mail, identity or grounds."""

    unit_name = serializers.CharField(source="entry.unit_name")
    application = serializers.IntegerField(source="entry.application_id")
    state_name = serializers.CharField(source="get_state_display")

    class Meta:
        model = Objection
        fields = [
            "reference",
            "application",
            "unit_name",
            "state",
            "state_name",
            "submitted_at",
            "decision_reason",
            "decided_at",
        ]


class RankedApplicationSerializer(serializers.Serializer[Any]):
    """One application's place in the expert review: the aggregate only, never an expert."""

    application = serializers.IntegerField()
    number = serializers.CharField()
    unit_name = serializers.CharField()
    rank = serializers.IntegerField()
    scores_submitted = serializers.IntegerField()
    scores_expected = serializers.IntegerField()
    raw_mean = serializers.DecimalField(max_digits=12, decimal_places=4, coerce_to_string=False)
    final = serializers.DecimalField(max_digits=12, decimal_places=4, coerce_to_string=False)
    disagreement = serializers.BooleanField(help_text="专家评分分歧超过批次设定的阈值")
    proposed = serializers.BooleanField(allow_null=True, help_text="是否列入拟认定名单（尚未勾选为 null）")


class CategoryResultsSerializer(serializers.Serializer[Any]):
    category = serializers.CharField()
    category_name = serializers.CharField()
    quota = serializers.IntegerField()
    ranking = RankedApplicationSerializer(many=True)


class ReviewResultsSerializer(serializers.Serializer[Any]):
    batch = serializers.IntegerField()
    categories = CategoryResultsSerializer(many=True)
