from decimal import Decimal
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from shifan.core.forms import StyledForm, set_choices
from shifan.programs.models import AggregationRule
from shifan.programs.registry import spec_files


class DateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format="%Y-%m-%dT%H:%M", **kwargs)


class BatchForm(StyledForm):
    name = forms.CharField(
        label=_("批次名称"), max_length=200, help_text=_("如：2024年广东省服务型制造示范征集")
    )
    opens_at = forms.DateTimeField(label=_("开始申报"), widget=DateTimeInput())
    closes_at = forms.DateTimeField(label=_("申报截止"), widget=DateTimeInput())
    city_deadline = forms.DateTimeField(label=_("地市推荐截止"), widget=DateTimeInput())
    quota_enterprise = forms.IntegerField(label=_("示范企业名额"), min_value=0)
    quota_platform = forms.IntegerField(label=_("示范平台名额"), min_value=0)
    notice_working_days = forms.IntegerField(label=_("公示期（工作日）"), min_value=1, max_value=30)
    experts_per_application = forms.IntegerField(label=_("每份申报评审专家数"), min_value=1, max_value=15)
    same_city_conflict = forms.BooleanField(label=_("专家回避与申报单位同城市的申报"), required=False)
    recognition_valid_years = forms.IntegerField(label=_("认定有效期（年）"), min_value=1, max_value=10)
    expert_max_load = forms.IntegerField(
        label=_("每位专家最多评审份数"), min_value=1, max_value=200, initial=20
    )
    review_deadline = forms.DateTimeField(
        label=_("专家评审截止"),
        required=False,
        widget=DateTimeInput(),
        help_text=_(
            "专家提交评分的截止时间，显示在专家的评审任务上；截止前 3 天、前 1 天和逾期时提醒尚未提交的专家。"
        ),
    )
    aggregation_rule = forms.ChoiceField(
        label=_("专家分汇总方法"), choices=AggregationRule.choices, initial=AggregationRule.TRIMMED_MEAN
    )
    standardise_scores = forms.BooleanField(
        label=_("按专家个人尺度标准化"),
        required=False,
        help_text=_("把每位专家的总分按其在本批次的平均分和离散程度换算，抵消评分偏严或偏松。"),
    )
    disagreement_threshold = forms.DecimalField(
        label=_("分歧提示阈值（标准差，分）"),
        min_value=Decimal(1),
        max_value=Decimal(50),
        decimal_places=2,
        initial=Decimal(10),
        help_text=_("同一申报各专家总分的标准差达到此值时提示分歧较大。"),
    )

    similar_units_to_experts = forms.BooleanField(
        label=_("专家可见相似申报的编号和单位"),
        required=False,
        help_text=_("不勾选时，专家只看到相似内容的提示和相似段落，看不到另一份申报的编号和单位。"),
    )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        opens_at, closes_at, deadline = (
            cleaned.get("opens_at"),
            cleaned.get("closes_at"),
            cleaned.get("city_deadline"),
        )
        if opens_at and closes_at and closes_at <= opens_at:
            self.add_error("closes_at", _("申报截止时间应晚于开始时间。"))
        if closes_at and deadline and deadline < closes_at:
            self.add_error("city_deadline", _("地市推荐截止时间不能早于申报截止时间。"))
        review_deadline = cleaned.get("review_deadline")
        if review_deadline and deadline and review_deadline <= deadline:
            self.add_error("review_deadline", _("专家评审截止时间应晚于地市推荐截止时间。"))
        return cleaned


class NewBatchForm(BatchForm):
    spec_file = forms.ChoiceField(
        label=_("申报规格文件"), help_text=_("programs/ 目录下经过校验的规格文件。")
    )

    field_order = ["spec_file", "name"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        set_choices(
            self,
            "spec_file",
            [
                (item.path.name, f"{item.spec.name}（{item.spec.key} v{item.spec.version}）")
                if item.spec
                else (item.path.name, f"{item.path.name}（有误，不能使用）")
                for item in spec_files()
            ],
        )
