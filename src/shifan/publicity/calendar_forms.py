from django import forms
from django.utils.translation import gettext_lazy as _

from shifan.core.forms import DateInput, DayField, StyledForm
from shifan.publicity.models import DayKind

# A notice lasts 5 to 10 working days in practice; the calculator allows some room either side.
MAX_WORKING_DAYS = 60


class OverrideForm(StyledForm):
    day = DayField(label=_("日期"), widget=DateInput())
    kind = forms.ChoiceField(label=_("类型"), choices=DayKind.choices, widget=forms.RadioSelect)
    note = forms.CharField(
        label=_("说明"), max_length=100, required=False, help_text=_("例如“元旦”“春节调休上班”。")
    )


class OverrideImportForm(StyledForm):
    text = forms.CharField(
        label=_("粘贴放假安排"),
        widget=forms.Textarea(attrs={"rows": 8, "spellcheck": "false"}),
        strip=False,
        help_text=_(
            "每行一天：日期、类型（休 / 班）、说明（可省略），用空格分隔，"
            "例如“2027-01-01 休 元旦”“2027-02-07 班 春节调休”；连续的休息日可写成"
            "“2027-02-06至2027-02-12 休 春节”。有任何一行需要修改时全部不保存。"
        ),
    )


class CalculatorForm(StyledForm):
    start = DayField(label=_("公示开始日期"), widget=DateInput())
    days = forms.IntegerField(label=_("公示工作日"), min_value=1, max_value=MAX_WORKING_DAYS, initial=5)


class YearReopenForm(StyledForm):
    reason = forms.CharField(label=_("撤销理由"), max_length=500)
