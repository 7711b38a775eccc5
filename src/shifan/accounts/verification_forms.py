"""Forms of the organisation's verification and of claims: parsing only; the services decide."""

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from shifan.accounts.forms import CreditCodeField
from shifan.accounts.verification import DOCUMENT_MAX_MB, Decision
from shifan.core.captcha import ImageOrTextCaptchaField, ImageOrTextCaptchaInput
from shifan.core.forms import StyledForm

# What the file picker offers; the content is what the service checks.
SCAN_PICKER = "application/pdf,image/jpeg,image/png,.pdf,.jpg,.jpeg,.png"


def _scan_field(label: Any, *, required: bool) -> forms.FileField:
    return forms.FileField(
        label=label,
        required=required,
        help_text=_("PDF、JPEG 或 PNG，不超过 %(mb)s MB。") % {"mb": DOCUMENT_MAX_MB},
        widget=forms.ClearableFileInput(attrs={"accept": SCAN_PICKER}),
        error_messages={"required": _("请上传扫描件。")},
    )


class DocumentsForm(StyledForm):
    """The administrator's two scans; one already handed in may be left out (the service checks)."""

    licence = _scan_field(_("营业执照（或登记证书）扫描件"), required=False)
    authorisation = _scan_field(_("授权书扫描件"), required=False)


class VerificationDecisionForm(StyledForm):
    decision = forms.ChoiceField(
        label=_("核验结论"),
        choices=[
            (Decision.VERIFY, _("核验通过")),
            (Decision.RETURN, _("退回补正")),
            (Decision.REFUSE, _("不予核验")),
        ],
        widget=forms.RadioSelect,
    )
    reason = forms.CharField(
        label=_("理由"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=1000,
        required=False,
        help_text=_("退回补正或不予核验时必填，申报单位会看到。"),
    )


def documents_seen(value: str) -> list[int]:
    """Return the ids of the scans a verification page showed (its hidden `documents` input)."""
    return sorted(int(part) for part in value.split(",") if part.strip().isdigit())


class ClaimForm(StyledForm):
    credit_code = CreditCodeField(help_text=_("被他人注册的本单位代码，见营业执照。"))
    organisation_name = forms.CharField(label=_("单位名称"), max_length=200, help_text=_("与营业执照一致。"))
    claimant_name = forms.CharField(label=_("您的姓名"), max_length=100)
    claimant_email = forms.EmailField(
        label=_("您的电子邮箱"), help_text=_("认领成立后，以此邮箱开通单位管理员账号。")
    )
    claimant_phone = forms.CharField(label=_("您的手机号"), max_length=30)
    statement = forms.CharField(
        label=_("认领说明"),
        widget=forms.Textarea(attrs={"rows": 5}),
        max_length=3000,
        help_text=_("说明该代码为本单位所有、您受本单位委托办理的情况，以及如何联系本单位核实。"),
    )
    licence = _scan_field(_("营业执照（或登记证书）扫描件"), required=True)
    authorisation = _scan_field(_("授权书扫描件（加盖单位公章，授权您为本单位管理员）"), required=True)
    captcha = ImageOrTextCaptchaField(
        label=_("验证码"),
        widget=ImageOrTextCaptchaInput(attrs={"autocomplete": "off", "inputmode": "text"}),
        error_messages={"invalid": _("验证码不正确，请重新输入。")},
    )

    def __init__(
        self, *args: Any, captcha_variant: str | None = None, captcha_switch_url: str = "", **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        # The image, or the question in words for a person who cannot see it (shifan.core.captcha).
        self.fields["captcha"].widget.show(captcha_variant, switch_url=captcha_switch_url)


class ClaimDecisionForm(StyledForm):
    decision = forms.ChoiceField(
        label=_("处理结论"),
        choices=[("uphold", _("认领成立")), ("reject", _("驳回认领"))],
        widget=forms.RadioSelect,
    )
    reason = forms.CharField(
        label=_("处理意见"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=1000,
        help_text=_("双方都会看到。"),
    )
