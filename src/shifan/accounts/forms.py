from typing import Any

from django import forms
from django.conf import settings
from django.contrib.auth import forms as auth_forms
from django.contrib.auth import password_validation
from django.contrib.auth.forms import AuthenticationForm
from django.template.loader import render_to_string
from django.urls import reverse_lazy
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from shifan.accounts import login_guard, pool
from shifan.accounts.models import ExpertiseField, Organisation, OrganisationNature, Role, User
from shifan.accounts.services import AccountError, check_email_free, duplicate_organisation_message
from shifan.core import reference, uploads, uscc
from shifan.core.captcha import TEXT, VARIANTS, ImageOrTextCaptchaField, ImageOrTextCaptchaInput
from shifan.core.forms import StyledForm, StyledFormMixin, set_choices
from shifan.core.mail import queue_mail


class CreditCodeField(forms.CharField):
    """A 统一社会信用代码: normalised, checked, with the reason in Chinese when it is wrong."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("max_length", 40)  # room for spaces and full-width input before normalising
        kwargs.setdefault("label", "统一社会信用代码")
        super().__init__(**kwargs)
        self.widget.attrs.update({"autocomplete": "off", "spellcheck": "false", "data-credit-code": ""})

    def clean(self, value: Any) -> str:
        value = super().clean(value)
        if not value:
            return ""
        try:
            return uscc.validate(value)
        except uscc.CreditCodeError as error:
            raise forms.ValidationError(error.message, code=error.code) from error


class CityCountyMixin(forms.Form):
    city_code = forms.ChoiceField(label=_("所在城市"), choices=())
    county_code = forms.ChoiceField(label=_("区县"), choices=())

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        set_choices(self, "city_code", [("", "请选择城市"), *reference.city_choices()])
        grouped = [
            (city.name, [(county.code, county.name) for county in reference.counties(city.code)])
            for city in reference.cities()
        ]
        set_choices(self, "county_code", [("", "请选择区县"), *grouped])
        # app.js narrows the county list to the chosen city.
        self.fields["county_code"].widget.attrs["data-county-for"] = "id_city_code"

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        city_code, county_code = cleaned.get("city_code"), cleaned.get("county_code")
        if city_code and county_code and reference.county(county_code).city_code != city_code:
            self.add_error("county_code", "所选区县不属于所选城市，请重新选择。")
        return cleaned


class NewPasswordMixin(forms.Form):
    """Two password fields, checked against each other and the validators for `password_user()`."""

    password1 = forms.CharField(
        label=_("密码"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=password_validation.password_validators_help_text_html(),
    )
    password2 = forms.CharField(
        label=_("确认密码"), strip=False, widget=forms.PasswordInput(attrs={"autocomplete": "new-password"})
    )

    def password_user(self, cleaned: dict[str, Any]) -> User:
        raise NotImplementedError

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        password1, password2 = cleaned.get("password1"), cleaned.get("password2")
        if password1 and password2 and password1 != password2:
            self.add_error("password2", _("两次输入的密码不一致。"))
        elif password1:
            try:
                password_validation.validate_password(password1, self.password_user(cleaned))
            except forms.ValidationError as error:
                self.add_error("password1", error)
        return cleaned


class RegistrationForm(StyledFormMixin, NewPasswordMixin, CityCountyMixin):
    name = forms.CharField(label=_("单位名称"), max_length=200, help_text=_("与营业执照或登记证书一致。"))
    credit_code = CreditCodeField(help_text=_("18位，见营业执照或登记证书。"))
    address = forms.CharField(label=_("注册地址"), max_length=300)
    nature = forms.ChoiceField(
        label=_("单位性质"),
        choices=OrganisationNature.choices,
        help_text=_("示范平台的运营主体可以是事业单位或社会组织。"),
    )
    contact_name = forms.CharField(label=_("联系人"), max_length=100)
    contact_phone = forms.CharField(label=_("联系电话"), max_length=30)
    contact_email = forms.EmailField(label=_("联系邮箱"))
    admin_name = forms.CharField(label=_("您的姓名"), max_length=100)
    admin_email = forms.EmailField(label=_("登录邮箱"), help_text=_("用于登录和接收通知。"))
    admin_phone = forms.CharField(label=_("您的手机号"), max_length=30)

    field_order = [
        "name",
        "credit_code",
        "nature",
        "city_code",
        "county_code",
        "address",
        "contact_name",
        "contact_phone",
        "contact_email",
        "admin_name",
        "admin_email",
        "admin_phone",
        "password1",
        "password2",
    ]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Check the code as it is typed, and again when the city changes (htmx; the server checks on send).
        live_check = {
            "hx-get": reverse_lazy("accounts:credit_code_check"),
            "hx-target": "#credit-code-check",
            "hx-include": "#id_credit_code, #id_city_code",
            "hx-sync": "this:replace",
        }
        self.fields["credit_code"].widget.attrs.update(
            live_check, **{"hx-trigger": "input changed delay:400ms, change"}
        )
        self.fields["city_code"].widget.attrs.update(live_check, **{"hx-trigger": "change"})

    def clean_credit_code(self) -> str:
        code = self.cleaned_data["credit_code"]
        existing = Organisation.objects.filter(credit_code=code).first()
        if existing is not None:
            raise forms.ValidationError(duplicate_organisation_message(existing), code="duplicate")
        return code

    def clean_admin_email(self) -> str:
        email = self.cleaned_data["admin_email"].strip().lower()
        try:
            check_email_free(email)
        except AccountError as error:
            raise forms.ValidationError(error.message) from error
        return email

    def password_user(self, cleaned: dict[str, Any]) -> User:
        return User(email=cleaned.get("admin_email", ""), name=cleaned.get("admin_name", ""))

    def credit_code_warnings(self) -> list[uscc.CreditCodeWarning]:
        code, city_code = self.cleaned_data.get("credit_code"), self.cleaned_data.get("city_code")
        return uscc.warnings(code, city_code) if code else []


class OrganisationForm(StyledFormMixin, CityCountyMixin):
    name = forms.CharField(label=_("单位名称"), max_length=200)
    nature = forms.ChoiceField(label=_("单位性质"), choices=OrganisationNature.choices)
    address = forms.CharField(label=_("注册地址"), max_length=300)
    contact_name = forms.CharField(label=_("联系人"), max_length=100)
    contact_phone = forms.CharField(label=_("联系电话"), max_length=30)
    contact_email = forms.EmailField(label=_("联系邮箱"))
    change_reason = forms.CharField(
        label=_("变更理由"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_(
            "本单位已通过核验或有申报书正在审核：单位名称、所在城市或区县的变更须写明理由，"
            "经省工信厅核准后生效；已提交的申报书仍按提交时的信息办理。其他信息保存后即生效。"
        ),
    )

    field_order = ["name", "nature", "city_code", "county_code", "address", "contact_name", "contact_phone"]

    def __init__(self, *args: Any, needs_approval: bool = False, **kwargs: Any) -> None:
        # The reason is asked only where a change waits for the province (organisation_changes).
        super().__init__(*args, **kwargs)
        if not needs_approval:
            del self.fields["change_reason"]


class ChangeDecisionForm(StyledForm):
    decision = forms.ChoiceField(
        label=_("审核结果"),
        choices=[("approve", _("核准变更")), ("reject", _("不予核准"))],
        widget=forms.RadioSelect,
    )
    note = forms.CharField(
        label=_("审核意见"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("不予核准时必填，申报单位可见。"),
    )


class LoginForm(StyledFormMixin, AuthenticationForm):
    """The login form; it asks for a CAPTCHA before checking a password when `login_guard` says so.

    A missing or wrong CAPTCHA refuses the form without checking the password, so it is neither
    a failed login nor a hint about the password. The CAPTCHA is the image or, for a person who
    cannot see it, a question in words (`shifan.core.captcha`): either is asked after the same
    failures and checked the same way, once. A visitor who chose a variant (`captcha_variant`) is
    asked for it even before the form names an account with failures, so that the switch shows it.
    """

    error_messages = {
        "invalid_login": _(
            "邮箱或密码不正确。"
            "同一账号在同一网络地址连续输错 %(limit)s 次，将在该地址暂停登录 %(minutes)s 分钟。"
        ),
        "inactive": "该账号已停用，请联系管理员。",
    }

    def __init__(
        self,
        request: Any = None,
        *args: Any,
        captcha_variant: str | None = None,
        captcha_switch_url: str = "",
        **kwargs: Any,
    ) -> None:
        super().__init__(request, *args, **kwargs)
        self.captcha_variant = captcha_variant
        self.captcha_switch_url = captcha_switch_url
        # Who is asked: every visitor from an address with recent failures; on sending, also
        # whoever names an account with recent failures from anywhere.
        username = self.data.get("username", "") if self.is_bound else ""
        if captcha_variant in VARIANTS or (
            request is not None and login_guard.captcha_required(request, username)
        ):
            self.ask_for_captcha()

    def ask_for_captcha(self) -> None:
        field = ImageOrTextCaptchaField(
            label=_("验证码"),
            widget=ImageOrTextCaptchaInput(
                attrs={"autocomplete": "off", "inputmode": "text", "class": "form-control"}
            ),
            error_messages={
                "invalid": _("验证码不正确，请重新输入。"),
                "required": (
                    _("请填写文字题的答案。") if self.captcha_variant == TEXT else _("请输入图中的验证码。")
                ),
            },
            # The same for both variants: it sits outside the block that app.js swaps.
            help_text=_("该账号或您所在的网络地址近期登录失败较多，请先填写验证码再登录。"),
        )
        # The switch sends the form: the e-mail typed comes back with the other variant (LoginView).
        field.widget.show(self.captcha_variant, switch_url=self.captcha_switch_url, switch_sends_form=True)
        self.fields["captcha"] = field

    def clean_username(self) -> str:
        return login_guard.normalised_username(self.cleaned_data.get("username"))

    def clean(self) -> dict[str, Any]:
        if "captcha" in self.fields and "captcha" not in self.cleaned_data:
            return self.cleaned_data  # the CAPTCHA is refused beside its field; no password is checked
        try:
            return super().clean()
        except forms.ValidationError:
            if (
                "captcha" not in self.fields
                and self.request is not None
                and login_guard.captcha_required(self.request, self.cleaned_data.get("username"))
            ):
                self.ask_for_captcha()  # this failure was one too many: the next try needs it
            raise

    def get_invalid_login_error(self) -> forms.ValidationError:
        return forms.ValidationError(
            self.error_messages["invalid_login"],
            code="invalid_login",
            params={
                "limit": settings.SHIFAN_LOGIN_FAILURE_LIMIT,
                "minutes": int(settings.AXES_COOLOFF_TIME.total_seconds() // 60),
            },
        )


class PasswordResetForm(StyledFormMixin, auth_forms.PasswordResetForm):
    """The password reset form: its mail goes through the queue and the worker, as every mail does."""

    def send_mail(
        self,
        subject_template_name: str,
        email_template_name: str,
        context: dict[str, Any],
        from_email: str | None,
        to_email: str,
        html_email_template_name: str | None = None,
    ) -> None:
        # A subject is one line: a template's trailing newline would be a header injection.
        subject = "".join(render_to_string(subject_template_name, context).splitlines())
        queue_mail(to=[to_email], subject=subject, template=email_template_name, context=context)


class InvitationForm(StyledForm):
    name = forms.CharField(label=_("姓名"), max_length=100)
    email = forms.EmailField(label=_("电子邮箱"))


class AcceptInvitationForm(StyledFormMixin, NewPasswordMixin):
    name = forms.CharField(label=_("姓名"), max_length=100)
    phone = forms.CharField(label=_("手机号"), max_length=30)

    field_order = ["name", "phone", "password1", "password2"]

    def __init__(self, *args: Any, email: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.email = email

    def password_user(self, cleaned: dict[str, Any]) -> User:
        return User(email=self.email, name=cleaned.get("name", ""))


class ReasonForm(StyledForm):
    reason = forms.CharField(label=_("理由"), widget=forms.Textarea(attrs={"rows": 2}), max_length=1000)


class OptionalReasonForm(StyledForm):
    reason = forms.CharField(
        label=_("理由（可选）"), widget=forms.Textarea(attrs={"rows": 2}), required=False
    )


class RegionOverrideForm(StyledForm):
    region_key = forms.ChoiceField(label=_("所属区域"), choices=())
    reason = forms.CharField(label=_("调整理由"), widget=forms.Textarea(attrs={"rows": 2}), max_length=1000)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        set_choices(
            self,
            "region_key",
            [
                ("", "按所在城市（不调整）"),
                *((region.key, region.name) for region in reference.regions()),
            ],
        )
        self.fields["region_key"].required = False


class OfficerForm(StyledForm):
    role = forms.ChoiceField(
        label=_("角色"),
        choices=[
            (Role.CITY_OFFICER, Role.CITY_OFFICER.label),
            (Role.PROVINCE_OFFICER, Role.PROVINCE_OFFICER.label),
        ],
    )
    city_code = forms.ChoiceField(label=_("所属城市（地市工信局必填）"), choices=(), required=False)
    name = forms.CharField(label=_("姓名"), max_length=100)
    email = forms.EmailField(label=_("电子邮箱"))
    phone = forms.CharField(label=_("联系电话"), max_length=30, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        set_choices(self, "city_code", [("", "—"), *reference.city_choices()])

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if cleaned.get("role") == Role.CITY_OFFICER and not cleaned.get("city_code"):
            self.add_error("city_code", "地市工信局账号必须选择城市。")
        return cleaned

    def clean_email(self) -> str:
        email = self.cleaned_data["email"].strip().lower()
        if User.objects.filter(email__iexact=email).exists():
            raise forms.ValidationError("该电子邮箱已有账号。")
        return email


class ExpertProfileForm(StyledForm):
    employer = forms.CharField(label=_("工作单位"), max_length=200)
    employer_credit_code = CreditCodeField(label=_("工作单位统一社会信用代码"), required=False)
    city_code = forms.ChoiceField(label=_("所在城市"), choices=(), required=False)
    title = forms.CharField(label=_("职称"), max_length=100, required=False)
    expertise = forms.MultipleChoiceField(
        label=_("专业领域"),
        choices=ExpertiseField.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    industries = forms.MultipleChoiceField(
        label=_("熟悉行业（制造业大类）"),
        choices=(),
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        set_choices(self, "city_code", [("", "广东省外或不适用"), *reference.city_choices()])
        set_choices(self, "industries", reference.industry_choices(manufacturing_only=True))


class ExpertForm(ExpertProfileForm):
    name = forms.CharField(label=_("姓名"), max_length=100)
    email = forms.EmailField(label=_("电子邮箱"))
    phone = forms.CharField(label=_("联系电话"), max_length=30)

    field_order = ["name", "email", "phone", "employer", "employer_credit_code", "city_code", "title"]

    def clean_email(self) -> str:
        email = self.cleaned_data["email"].strip().lower()
        if User.objects.filter(email__iexact=email).exists():
            raise forms.ValidationError("该电子邮箱已有账号。")
        return email


class ExpertEditForm(ExpertProfileForm):
    """The province's edit of an expert: the account's name and phone with the profile."""

    name = forms.CharField(label=_("姓名"), max_length=100)
    phone = forms.CharField(label=_("联系电话"), max_length=30)

    field_order = ["name", "phone", "employer", "employer_credit_code", "city_code", "title"]


class PastEmploymentForm(StyledForm):
    # Shown on pages with other forms that have a credit code and an employer: the prefix keeps ids apart.
    prefix = "past"

    employer = forms.CharField(
        label=_("曾任职单位名称"),
        max_length=200,
        required=False,
        help_text=_("已在本系统注册的单位可不填，系统自动补全。"),
    )
    credit_code = CreditCodeField(label=_("曾任职单位统一社会信用代码"))
    until_year = forms.IntegerField(label=_("离职年份"), required=False, min_value=1950)

    def clean_until_year(self) -> int | None:
        year = self.cleaned_data["until_year"]
        this_year = timezone.localdate().year
        if year is not None and year > this_year:
            raise forms.ValidationError(f"离职年份不能晚于今年（{this_year}年）。")
        return year


class ExpertImportForm(StyledForm):
    file = forms.FileField(
        label=_("专家名单（Excel .xlsx）"),
        help_text=_("不超过 5 MB、2000 行。请使用导入模板，表头在第一行，每行一位专家。"),
        widget=forms.ClearableFileInput(
            attrs={"accept": ".xlsx,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}
        ),
    )

    def clean_file(self) -> list[tuple[Any, ...]]:
        """Return the first sheet's rows; refuse other kinds of file and files over the limits."""
        upload = self.cleaned_data["file"]
        if not upload.name.lower().endswith(".xlsx"):
            raise forms.ValidationError(
                "请上传 Excel 的 .xlsx 文件（.xls 或 CSV 请先在 Excel 中另存为 .xlsx）。"
            )
        # Refused by the size the upload declares, or stopped while it streamed, before anything is read.
        limit = pool.MAX_FILE_BYTES // (1024 * 1024)
        try:
            uploads.refuse_oversized(upload, max_size_mb=limit)
        except uploads.UploadRefused as refusal:
            raise forms.ValidationError(refusal.message) from refusal
        if upload.size > pool.MAX_FILE_BYTES:
            megabytes = upload.size / (1024 * 1024)
            raise forms.ValidationError(f"文件过大：{megabytes:.1f} MB，上限 {limit} MB。")
        try:
            return pool.read_workbook(upload.read())
        except pool.PoolFileError as error:
            raise forms.ValidationError(error.message) from error


class ConflictForm(StyledForm):
    credit_code = CreditCodeField(label=_("回避单位统一社会信用代码"))
    organisation_name = forms.CharField(
        label=_("回避单位名称"),
        max_length=200,
        required=False,
        help_text=_("已在本系统注册的单位可不填，系统自动补全。"),
    )
    reason = forms.CharField(
        label=_("回避理由"), max_length=300, help_text=_("如：曾任职、亲属任职、近三年有业务往来。")
    )


class TokenForm(StyledForm):
    token = forms.CharField(
        label=_("验证码"),
        max_length=16,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}
        ),
        help_text=_("输入身份验证器应用显示的6位数字；也可输入一个恢复码。"),
    )
