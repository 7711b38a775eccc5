"""Typical-case forms: parsing and field messages in Chinese; the services check the rest."""

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from shifan.cases import pictures
from shifan.cases.services import CAPTION_MAX, SUMMARY_MAX, TITLE_MAX
from shifan.core.forms import StyledForm


class CaseForm(StyledForm):
    title = forms.CharField(
        label=_("案例标题"), max_length=TITLE_MAX, error_messages={"required": _("请填写案例标题。")}
    )
    summary = forms.CharField(
        label=_("摘要"),
        max_length=SUMMARY_MAX,
        error_messages={"required": _("请填写摘要。")},
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("一两句话，列在案例库中。"),
    )
    mode = forms.ChoiceField(
        label=_("服务型制造模式"),
        error_messages={
            "required": _("请选择服务型制造模式。"),
            "invalid_choice": _("请从工作方案的九种模式中选择。"),
        },
    )
    body = forms.CharField(
        label=_("案例正文"),
        widget=forms.Textarea(attrs={"rows": 14}),
        help_text=_("纯文本，每行一段。"),
        error_messages={"required": _("请填写案例正文。")},
    )

    def __init__(self, *args: Any, modes: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["mode"].choices = [("", "请选择"), *modes]  # type: ignore[attr-defined]


class NewCaseForm(CaseForm):
    unit = forms.TypedChoiceField(
        label=_("示范单位"),
        coerce=int,
        error_messages={
            "required": _("请选择示范单位。"),
            "invalid_choice": _("该单位不是有效的示范单位（可能已撤销示范资格），请重新选择。"),
        },
    )
    field_order = ["unit", "title", "summary", "mode", "body"]

    def __init__(self, *args: Any, units: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["unit"].choices = [  # type: ignore[attr-defined]
            ("", "请选择"),
            *[(unit.pk, f"{unit.unit_name}（{unit.city_name} · {unit.category_name}）") for unit in units],
        ]


class PictureForm(StyledForm):
    picture = forms.FileField(
        label=_("图片"),
        help_text=_("JPEG 或 PNG，不超过 %(mb)s MB。") % {"mb": pictures.MAX_SIZE_MB},
        widget=forms.ClearableFileInput(attrs={"accept": "image/jpeg,image/png"}),
        error_messages={"required": _("请选择图片文件。")},
    )
    caption = forms.CharField(
        label=_("图片说明"), max_length=CAPTION_MAX, error_messages={"required": _("请填写图片说明。")}
    )


class WithdrawForm(StyledForm):
    reason = forms.CharField(
        label=_("撤下原因"),
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=300,
        error_messages={"required": _("请填写撤下原因。")},
    )
