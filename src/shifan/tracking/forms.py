"""Forms of dynamic tracking: parsing and messages in Chinese (reports use the spec's own fields)."""

from typing import Any

from django import forms
from django.utils import timezone

from shifan.core.forms import StyledForm
from shifan.programs.models import Batch
from shifan.tracking.models import REASONED_EVALUATIONS, Evaluation


class RoundForm(StyledForm):
    title = forms.CharField(label="报告名称", max_length=200, error_messages={"required": "请填写报告名称。"})
    year = forms.IntegerField(
        label="报告年度", min_value=2000, max_value=2100, error_messages={"required": "请填写报告年度。"}
    )
    due_on = forms.DateField(
        label="截止日期",
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={"required": "请选择截止日期。", "invalid": "请输入有效日期。"},
    )
    category = forms.ChoiceField(
        label="类别",
        required=False,
        choices=[("", "全部类别"), ("enterprise", "示范企业"), ("platform", "示范平台")],
    )
    batch = forms.ModelChoiceField(
        label="认定批次", required=False, queryset=Batch.objects.none(), empty_label="全部批次"
    )
    reminder_days = forms.CharField(
        label="提前提醒（天）",
        initial="7,1",
        required=False,
        help_text="截止前几天提醒未提交的单位，用逗号分隔；逾期次日另行提醒一次。",
    )
    note = forms.CharField(label="说明", required=False, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        batch_field = self.fields["batch"]
        assert isinstance(batch_field, forms.ModelChoiceField)
        batch_field.queryset = Batch.objects.filter(announcement__isnull=False).order_by("-application_year")
        if not self.is_bound:
            year = timezone.localdate().year - 1
            self.initial.setdefault("year", year)
            self.initial.setdefault("title", f"{year}年度服务型制造示范单位运行情况报告")

    def clean_reminder_days(self) -> list[int]:
        text = (self.cleaned_data.get("reminder_days") or "").replace("，", ",")
        try:
            days = [int(part) for part in text.split(",") if part.strip()]
        except ValueError:
            raise forms.ValidationError("请填写天数，用逗号分隔，如 7,1。") from None
        if any(day < 1 or day > 60 for day in days):
            raise forms.ValidationError("提前提醒天数应在 1 至 60 天之间。")
        return days


class EvaluationForm(StyledForm):
    evaluation = forms.ChoiceField(
        label="评价结果",
        choices=Evaluation.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "请选择评价结果。"},
    )
    reason = forms.CharField(
        label="理由",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="评价为关注、整改或撤销时必填。撤销的理由将公开。",
    )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        evaluation = cleaned.get("evaluation")
        if evaluation in REASONED_EVALUATIONS and not (cleaned.get("reason") or "").strip():
            self.add_error("reason", f"评价为“{Evaluation(evaluation).label}”时请写明理由。")
        return cleaned


class RevokeForm(StyledForm):
    reason = forms.CharField(widget=forms.HiddenInput, error_messages={"required": "请写明撤销理由。"})
    confirm = forms.BooleanField(
        label="我已核实，确认撤销该单位的示范称号（不可撤回）",
        error_messages={"required": "请勾选确认。"},
    )


class AttachmentForm(StyledForm):
    file = forms.FileField(label="选择文件", error_messages={"required": "请选择要上传的文件。"})
