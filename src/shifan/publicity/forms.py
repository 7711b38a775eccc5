from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from shifan.core.captcha import ImageOrTextCaptchaField, ImageOrTextCaptchaInput
from shifan.core.forms import DateInput, StyledForm
from shifan.publicity.models import InquiryAddressee, ObjectorKind


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files from one input; the service checks each one's kind and size."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> Any:
        if isinstance(data, list | tuple):
            return [super(MultipleFileField, self).clean(item, initial) for item in data]
        return [super().clean(data, initial)] if data else []


class NoticeForm(StyledForm):
    title = forms.CharField(label=_("公示标题"), max_length=200)
    starts_on = forms.DateField(label=_("公示开始日期"), widget=DateInput())
    working_days = forms.IntegerField(
        label=_("公示工作日"),
        min_value=1,
        max_value=30,
        help_text=_("按国家法定节假日安排（含调休上班日）计算截止日期。"),
    )
    contact_office = forms.CharField(label=_("联系处室"), max_length=100)
    contact_phone = forms.CharField(label=_("联系电话"), max_length=40)
    contact_email = forms.EmailField(label=_("电子邮箱"), required=False)
    contact_address = forms.CharField(label=_("通讯地址"), max_length=200, required=False)
    objection_rules = forms.CharField(
        label=_("异议受理方式"), widget=forms.Textarea(attrs={"rows": 4}), max_length=2000
    )
    accept_uncovered = forms.BooleanField(
        label=_("已知晓：截止日期所在年度的节假日安排尚未收录，按周一至周五计算"), required=False
    )


class CancelNoticeForm(StyledForm):
    reason = forms.CharField(label=_("撤销原因"), widget=forms.Textarea(attrs={"rows": 2}), max_length=300)


class NoticeEndForm(StyledForm):
    reason = forms.CharField(
        label=_("理由"),
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("保留原截止日期时必填。"),
    )


class ObjectionForm(StyledForm):
    entry = forms.TypedChoiceField(label=_("被异议单位"), coerce=int)
    kind = forms.ChoiceField(
        label=_("以何种名义提出"), choices=ObjectorKind.choices, widget=forms.RadioSelect, initial="person"
    )
    # Left blank, the anonymity rule is the answer, not a bare "required".
    name = forms.CharField(
        label=_("姓名或单位名称"),
        max_length=200,
        help_text=_("个人填写真实姓名；单位填写单位全称。"),
        error_messages={
            "required": _("异议须实名提出，匿名异议不予受理：个人请填写真实姓名，单位请填写单位全称。")
        },
    )
    phone = forms.CharField(
        label=_("联系电话"),
        max_length=30,
        error_messages={"required": _("异议须实名提出，请留下联系电话，以便核实和告知处理结果。")},
    )
    email = forms.EmailField(label=_("电子邮箱（选填，用于接收处理结果）"), required=False)
    id_number = forms.CharField(label=_("身份证号码（个人，选填）"), max_length=18, required=False)
    credit_code = forms.CharField(label=_("统一社会信用代码（单位必填）"), max_length=18, required=False)
    contact_person = forms.CharField(label=_("联系人（单位必填）"), max_length=100, required=False)
    grounds = forms.CharField(
        label=_("异议事实和理由"),
        widget=forms.Textarea(attrs={"rows": 6}),
        max_length=5000,
        help_text=_("请写明具体事实、理由及可供核查的线索。"),
        error_messages={"required": _("请写明异议的具体事实和理由；没有事实和理由的异议不予受理。")},
    )
    evidence = MultipleFileField(
        label=_("证明材料（选填）"),
        required=False,
        help_text=_("最多 5 个文件，每个不超过 10 MB；PDF、图片或 Word 文档。"),
    )
    captcha = ImageOrTextCaptchaField(
        label=_("验证码"),
        widget=ImageOrTextCaptchaInput(attrs={"autocomplete": "off", "inputmode": "text"}),
        error_messages={
            "invalid": _("验证码不正确，请重新输入。"),
            "required": _("请输入验证码。"),
            "incomplete": _("请输入验证码。"),
        },
    )

    def __init__(
        self,
        *args: Any,
        entries: list[Any],
        captcha_variant: str | None = None,
        captcha_switch_url: str = "",
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        # The image, or the question in words for a person who cannot see it (shifan.core.captcha).
        self.fields["captcha"].widget.show(captcha_variant, switch_url=captcha_switch_url)
        choices = [("", "请选择")] + [
            (entry.pk, f"{entry.category_name} {entry.position}. {entry.unit_name}（{entry.city_name}）")
            for entry in entries
            if entry.removed_at is None
        ]
        self.fields["entry"].choices = choices  # type: ignore[attr-defined]


class ObjectionStatusForm(StyledForm):
    reference = forms.CharField(label=_("受理编号"), max_length=24)
    phone = forms.CharField(label=_("提交时填写的联系电话"), max_length=30)


class InquiryForm(StyledForm):
    addressee = forms.ChoiceField(label=_("核查对象"), choices=InquiryAddressee.choices)
    question = forms.CharField(
        label=_("需要说明的事项"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=2000,
        help_text=_("对方只看到此处文字，看不到异议人信息和异议原文；请勿写入异议人身份。"),
    )
    due_on = forms.DateField(label=_("答复期限"), widget=DateInput(), required=False)


class DecisionForm(StyledForm):
    findings = forms.CharField(label=_("核查情况"), widget=forms.Textarea(attrs={"rows": 4}), max_length=5000)
    outcome = forms.ChoiceField(
        label=_("处理结果"),
        choices=[("dismissed", _("异议不成立，保留在名单中")), ("upheld", _("异议成立，移出拟认定名单"))],
        widget=forms.RadioSelect,
    )
    reason = forms.CharField(
        label=_("处理意见"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=2000,
        help_text=_("将告知异议人和被异议单位；请勿写入异议人身份。"),
    )
    despite_unanswered = forms.BooleanField(label=_("不待核查答复，现在处理"), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # The objection page also holds the findings form: its 核查情况 field keeps id_findings.
        kwargs.setdefault("auto_id", "id_decision_%s")
        super().__init__(*args, **kwargs)


class FindingsForm(StyledForm):
    findings = forms.CharField(label=_("核查情况"), widget=forms.Textarea(attrs={"rows": 4}), max_length=5000)


class AnswerForm(StyledForm):
    answer = forms.CharField(label=_("情况说明"), widget=forms.Textarea(attrs={"rows": 6}), max_length=5000)
    evidence = MultipleFileField(
        label=_("附件（选填）"),
        required=False,
        help_text=_("如盖章的核查报告、证明材料；最多 5 个文件，每个不超过 10 MB，PDF、图片或 Word 文档。"),
    )


class AnnouncementForm(StyledForm):
    number = forms.CharField(label=_("文号"), max_length=60, help_text=_("如：粤工信融合函〔2024〕12号"))
    title = forms.CharField(label=_("通告标题"), max_length=200)
    issued_on = forms.DateField(label=_("发布日期"), widget=DateInput())
    body = forms.CharField(label=_("通告正文"), widget=forms.Textarea(attrs={"rows": 8}), max_length=5000)


class NationalForm(StyledForm):
    recommended = forms.BooleanField(label=_("推荐参加工业和信息化部服务型制造示范遴选"), required=False)
    priority = forms.IntegerField(
        label=_("优先次序"), min_value=1, max_value=999, required=False, help_text=_("1 为最优先。")
    )
    note = forms.CharField(
        label=_("推荐理由"), widget=forms.Textarea(attrs={"rows": 3}), max_length=2000, required=False
    )
