from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from shifan.core.forms import DateInput, StyledForm
from shifan.expert_review.models import HearingKind


class ReasonForm(StyledForm):
    reason = forms.CharField(label=_("理由"), widget=forms.Textarea(attrs={"rows": 2}), max_length=300)


class ReplaceForm(StyledForm):
    expert = forms.IntegerField(widget=forms.HiddenInput)
    reason = forms.CharField(
        label=_("调整理由"),
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=300,
        required=False,
        help_text=_("任务已发布时必填，将通知原专家和新专家。"),
    )


class HearingForm(StyledForm):
    kind = forms.ChoiceField(label=_("方式"), choices=HearingKind.choices)
    held_on = forms.DateField(label=_("日期"), widget=DateInput())
    panel = forms.CharField(
        label=_("参加人员"), max_length=500, help_text=_("专家组成员、省市工信部门人员等。")
    )
    record = forms.CharField(label=_("情况记录"), widget=forms.Textarea(attrs={"rows": 4}))
    adjustment = forms.DecimalField(
        label=_("分数调整"),
        max_digits=5,
        decimal_places=2,
        min_value=Decimal(-20),
        max_value=Decimal(20),
        initial=Decimal(0),
        help_text=_("正数加分、负数减分，±20 分以内；不调整填 0。"),
    )
    reason = forms.CharField(
        label=_("调整理由"), max_length=500, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
