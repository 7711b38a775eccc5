from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.mixins import AccessMixin
from django.core import signing
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import UploadedFile
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import FormView

from shifan.accounts import login_guard, organisation_changes, pool, rules, selectors, services, two_factor
from shifan.accounts.forms import (
    AcceptInvitationForm,
    ChangeDecisionForm,
    ConflictForm,
    ExpertEditForm,
    ExpertForm,
    ExpertImportForm,
    ExpertProfileForm,
    InvitationForm,
    LoginForm,
    OfficerForm,
    OptionalReasonForm,
    OrganisationForm,
    PasswordResetForm,
    PastEmploymentForm,
    ReasonForm,
    RegionOverrideForm,
    RegistrationForm,
    TokenForm,
)
from shifan.accounts.middleware import two_factor_pending
from shifan.accounts.models import ChangeState, ExpertProfile, Organisation, Role, User
from shifan.accounts.services import AccountError
from shifan.core import reference, uscc
from shifan.core.captcha import SWITCH_FIELD, captcha_options
from shifan.core.http import xlsx_response
from shifan.core.pagination import Paginator

PAGE_SIZE = 25


class AuthenticatedRequest(HttpRequest):
    """A request that passed RoleRequiredMixin or a login check: `user` is a real User."""

    user: User


class RoleRequiredMixin(AccessMixin):
    """Let in only the given roles: others get 403, anonymous users the login page."""

    allowed_roles: tuple[str, ...] = ()

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        if request.user.role not in self.allowed_roles:
            raise PermissionDenied("您的角色无权访问此页面。")
        return super().dispatch(request, *args, **kwargs)  # type: ignore[misc]


def actor_of(request: HttpRequest) -> User:
    """Return the logged-in user of a request that passed the role check."""
    assert isinstance(request.user, User)
    return request.user


def require(verdict: tuple[bool, str]) -> None:
    """Refuse with the rule's reason (403) unless it allows the action."""
    allowed, reason = verdict
    if not allowed:
        raise PermissionDenied(reason)


def form_error_from(form: Any, error: AccountError | organisation_changes.ChangeRefused) -> None:
    """Show a service's refusal beside the field it names, or above the form."""
    field = error.field if error.field in form.fields else None
    form.add_error(field, error.message)


def paginate(request: HttpRequest, queryset: Any) -> Any:
    return Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))


def render_view(view_class: type[View], request: HttpRequest, **kwargs: Any) -> HttpResponse:
    """Render another page's GET with a bound form, so its errors show beside the fields."""
    view = view_class()
    view.setup(request)
    return view.get(request, **kwargs)  # type: ignore[attr-defined,no-any-return]


def safe_next(request: HttpRequest, default: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default


# Login, logout, passwords


class LoginView(auth_views.LoginView):
    form_class = LoginForm
    template_name = "accounts/login.html"
    redirect_authenticated_user = True

    def get_form_kwargs(self) -> dict[str, Any]:
        return {**super().get_form_kwargs(), **captcha_options(self.request)}

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        from shifan.accounts import sso

        return {**super().get_context_data(**kwargs), "sso_providers": sso.providers()}

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        # Counted before any password is checked: an address sending too many forms is slowed
        # down as a whole, whichever accounts it names, and no account is locked by it.
        if login_guard.over_login_rate(request):
            return self.rate_limited()
        if request.POST.get(SWITCH_FIELD):
            # The CAPTCHA's other variant asked for without script: the form comes back with it
            # and the e-mail typed; no password is checked, and the send counted above.
            return self.render_to_response(self.get_context_data(form=self.form_keeping_username()))
        return super().post(request, *args, **kwargs)  # type: ignore[no-any-return]

    def form_keeping_username(self) -> LoginForm:
        """Return the form unsent, with the e-mail the visitor typed and the CAPTCHA's variant."""
        return self.form_class(
            self.request,
            initial={"username": self.request.POST.get("username", "")},
            **captcha_options(self.request),
        )

    def rate_limited(self) -> HttpResponse:
        window = settings.SHIFAN_LOGIN_POSTS_WINDOW
        form = self.form_keeping_username()
        context = self.get_context_data(form=form, rate_limited_minutes=max(1, window // 60))
        response = self.render_to_response(context, status=429)
        response["Retry-After"] = str(window)
        return response  # type: ignore[no-any-return]

    def form_valid(self, form: Any) -> HttpResponse:
        user = form.get_user()
        previous_login = user.last_login  # logging in below moves it to now
        response = super().form_valid(form)
        login_guard.remember_failures_since_last_login(self.request, user, last_login=previous_login)
        if not two_factor_pending(user):  # else after the second factor (TwoFactorVerifyView)
            show_failed_login_notice(self.request)
        return response  # type: ignore[no-any-return]


def show_failed_login_notice(request: HttpRequest) -> None:
    """Tell an officer or expert, once, about failed logins on the account since the last login."""
    notice = login_guard.take_failed_login_notice(request)
    if notice is None:
        return
    messages.warning(
        request,
        format_html(
            '<span data-testid="failed-login-notice">{}</span> <a href="{}">{}</a>',
            _(
                "自上次登录以来，您的账号有 %(count)s 次登录失败，"
                "最近一次在 %(at)s，来自网络地址 %(address)s。"
            )
            % {
                "count": notice.count,
                "at": date_format(timezone.localtime(notice.last_at), "Y-m-d H:i"),
                "address": notice.last_address or "—",
            },
            reverse("accounts:login_failures"),
            _("查看登录失败记录"),
        ),
    )


class LogoutView(auth_views.LogoutView):
    """End the Shifan session and, after a single sign-on login, the provider's (RP-initiated logout)."""

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        from shifan.accounts import sso_views

        provider_key = request.session.get(sso_views.PROVIDER_SESSION_KEY, "")
        id_token = request.session.get(sso_views.ID_TOKEN_SESSION_KEY, "")
        sso_views.forget_session(request.session.session_key)
        response = super().post(request, *args, **kwargs)
        if provider_key:
            page = sso_views.provider_logout_page(request, provider_key=provider_key, id_token=id_token)
            if page is not None:
                return page
        return response  # type: ignore[no-any-return]


class PasswordResetView(auth_views.PasswordResetView):
    form_class = PasswordResetForm
    template_name = "accounts/password_reset.html"
    email_template_name = "accounts/mail/password_reset.txt"
    subject_template_name = "accounts/mail/password_reset_subject.txt"
    success_url = reverse_lazy("accounts:password_reset_done")
    extra_email_context = {"site_url": settings.SITE_URL}


class PasswordResetDoneView(auth_views.PasswordResetDoneView):
    template_name = "accounts/password_reset_done.html"


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    template_name = "accounts/password_reset_confirm.html"
    success_url = reverse_lazy("accounts:password_reset_complete")


class PasswordResetCompleteView(auth_views.PasswordResetCompleteView):
    template_name = "accounts/password_reset_complete.html"


class PasswordChangeView(auth_views.PasswordChangeView):
    template_name = "accounts/password_change.html"
    success_url = reverse_lazy("home")

    def form_valid(self, form: Any) -> HttpResponse:
        messages.success(self.request, _("密码已修改。"))
        return super().form_valid(form)


# Two-factor login


class TwoFactorSetupView(View):
    """Show a new TOTP secret as a QR code; confirming a code activates it and issues recovery codes."""

    template_name = "accounts/two_factor_setup.html"

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if not request.user.is_authenticated:
            return redirect(settings.LOGIN_URL)
        if two_factor.has_confirmed_device(request.user) and not request.user.is_verified():
            # A second device may only be set up after passing the first.
            return redirect("accounts:two_factor_verify")
        return super().dispatch(request, *args, **kwargs)

    def get(self, request: AuthenticatedRequest) -> HttpResponse:
        device = two_factor.pending_totp_device(request.user)
        return self._render(request, device, TokenForm())

    def post(self, request: AuthenticatedRequest) -> HttpResponse:
        device = two_factor.pending_totp_device(request.user)
        form = TokenForm(request.POST)
        wait = two_factor.seconds_to_wait(device)
        if wait:
            form.add_error(None, f"验证码错误次数较多，请 {wait} 秒后再试。")
        elif form.is_valid():
            codes = two_factor.confirm_totp_device(
                actor=request.user,
                device=device,
                token=form.cleaned_data["token"],
            )
            if codes is not None:
                from django_otp import login as otp_login

                otp_login(request, device)
                request.session["recovery_codes"] = codes
                query = urlencode({"next": safe_next(request, reverse("home"))})
                return redirect(f"{reverse('accounts:recovery_codes')}?{query}")
            form.add_error("token", "验证码不正确或已过期，请核对手机时间后重新输入。")
        return self._render(request, device, form)

    def _render(self, request: AuthenticatedRequest, device: Any, form: TokenForm) -> HttpResponse:
        return render(
            request,
            self.template_name,
            {
                "form": form,
                "qr_svg": two_factor.qr_svg(device),
                "secret": two_factor.secret_base32(device),
                "next": safe_next(request, ""),
            },
        )


class TwoFactorVerifyView(View):
    template_name = "accounts/two_factor_verify.html"

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if not request.user.is_authenticated:
            return redirect(settings.LOGIN_URL)
        return super().dispatch(request, *args, **kwargs)

    def get(self, request: AuthenticatedRequest) -> HttpResponse:
        return render(request, self.template_name, {"form": TokenForm(), "next": safe_next(request, "")})

    def post(self, request: AuthenticatedRequest) -> HttpResponse:
        form = TokenForm(request.POST)
        if form.is_valid():
            device = two_factor.verify_token(request.user, form.cleaned_data["token"])
            if device is not None:
                from django_otp import login as otp_login

                otp_login(request, device)
                # Told wherever the login leads (a link in a notice's mail, not only the home page).
                show_failed_login_notice(request)
                return redirect(safe_next(request, reverse("home")))
            form.add_error(
                "token", "验证码不正确或已过期。每个验证码只能使用一次，请输入验证器显示的新验证码。"
            )
        return render(request, self.template_name, {"form": form, "next": safe_next(request, "")})


class RecoveryCodesView(View):
    """Show fresh recovery codes once (after setup), or issue new ones on request."""

    template_name = "accounts/recovery_codes.html"

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if not request.user.is_authenticated:
            return redirect(settings.LOGIN_URL)
        if not request.user.requires_two_factor:
            raise PermissionDenied("您的账号无需两步验证。")
        return super().dispatch(request, *args, **kwargs)

    def get(self, request: AuthenticatedRequest) -> HttpResponse:
        codes = request.session.pop("recovery_codes", None)
        return render(
            request,
            self.template_name,
            {
                "codes": codes,
                "remaining": two_factor.remaining_recovery_codes(request.user),
                "next": safe_next(request, reverse("home")),
            },
        )

    def post(self, request: AuthenticatedRequest) -> HttpResponse:
        if not request.user.is_verified():
            raise PermissionDenied("请先完成两步验证。")
        codes = two_factor.issue_recovery_codes(actor=request.user)
        request.session["recovery_codes"] = codes
        return redirect("accounts:recovery_codes")


class LoginFailureListView(RoleRequiredMixin, View):
    """The failed logins on the reader's own account: when, from which address, how many."""

    allowed_roles = (Role.CITY_OFFICER, Role.PROVINCE_OFFICER, Role.EXPERT)

    def get(self, request: AuthenticatedRequest) -> HttpResponse:
        return render(
            request,
            "accounts/login_failures.html",
            {
                "by_address": selectors.failed_logins_by_address(request.user),
                "page": paginate(request, selectors.failed_logins_of(request.user)),
                "days": selectors.FAILED_LOGIN_DAYS,
                "failure_limit": settings.SHIFAN_LOGIN_FAILURE_LIMIT,
                "captcha_after": settings.SHIFAN_LOGIN_CAPTCHA_AFTER,
            },
        )


# Registration and membership


class RegistrationView(FormView):  # type: ignore[type-arg]
    form_class = RegistrationForm
    template_name = "accounts/register.html"

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if request.user.is_authenticated:
            return redirect("home")
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        form = context["form"]
        if form.is_bound and form.has_error("credit_code", "duplicate"):
            context["claim_url"] = claim_url(form.data.get("credit_code", ""))
        return context

    @staticmethod
    def register(data: dict[str, Any]) -> Any:
        """Register the organisation of a valid form (its cleaned data); return the membership."""
        return services.register_organisation(
            name=data["name"],
            credit_code=data["credit_code"],
            nature=data["nature"],
            city_code=data["city_code"],
            county_code=data["county_code"],
            address=data["address"],
            contact_name=data["contact_name"],
            contact_phone=data["contact_phone"],
            contact_email=data["contact_email"],
            admin_name=data["admin_name"],
            admin_email=data["admin_email"],
            admin_phone=data["admin_phone"],
            admin_password=data["password1"],
        )

    def form_valid(self, form: RegistrationForm) -> HttpResponse:
        data = form.cleaned_data
        try:
            membership = self.register(data)
        except AccountError as error:
            form_error_from(form, error)
            return self.form_invalid(form)
        # Not logged in: the account is of no use until the mailed link proves the address.
        self.request.session["registered_email"] = membership.user.email
        messages.success(
            self.request, _("“%(name)s”注册成功，您是本单位管理员。") % {"name": membership.organisation.name}
        )
        for warning in membership.organisation.credit_code_warnings:
            messages.warning(
                self.request, _("请注意：%(message)s 审核人员会看到此提示。") % {"message": warning.message}
            )
        return redirect("accounts:registration_sent")


def claim_url(credit_code: str) -> str:
    """Return the claim page for a code found already registered."""
    return f"{reverse('accounts:claim_create')}?{urlencode({'credit_code': credit_code.strip()[:40]})}"


class CreditCodeCheckView(View):
    """Answer the registration form's live check of a credit code (htmx), before sending."""

    def get(self, request: HttpRequest) -> HttpResponse:
        raw = request.GET.get("credit_code", "").strip()
        city_code = request.GET.get("city_code", "")
        context: dict[str, Any] = {"raw": raw}
        if raw:
            try:
                code = uscc.validate(raw)
            except uscc.CreditCodeError as error:
                context["error"] = error.message
            else:
                existing = Organisation.objects.filter(credit_code=code).first()
                if existing is not None:
                    context["error"] = services.duplicate_organisation_message(existing)
                    context["claim_url"] = claim_url(code)
                    return render(request, "accounts/_credit_code_check.html", context)
                if city_code and city_code not in {city.code for city in reference.cities()}:
                    city_code = ""
                context["warnings"] = uscc.warnings(code, city_code or None)
                context["ok"] = True
        return render(request, "accounts/_credit_code_check.html", context)


class InvitationAcceptView(View):
    template_name = "accounts/invitation_accept.html"

    def get(self, request: HttpRequest, token: str) -> HttpResponse:
        invitation = selectors.invitation_by_token(token)
        form = AcceptInvitationForm(initial={"name": invitation.name}, email=invitation.email)
        return render(request, self.template_name, {"invitation": invitation, "form": form})

    def post(self, request: HttpRequest, token: str) -> HttpResponse:
        invitation = selectors.invitation_by_token(token)
        form = AcceptInvitationForm(request.POST, email=invitation.email)
        if form.is_valid():
            try:
                membership = services.accept_invitation(
                    invitation=invitation,
                    name=form.cleaned_data["name"],
                    phone=form.cleaned_data["phone"],
                    password=form.cleaned_data["password1"],
                )
            except AccountError as error:
                form_error_from(form, error)
            else:
                login(request, membership.user, backend=settings.AUTHENTICATION_BACKENDS[-1])
                messages.success(request, _("欢迎加入“%(name)s”。") % {"name": membership.organisation.name})
                return redirect("home")
        return render(request, self.template_name, {"invitation": invitation, "form": form})


class ApplicantMixin(RoleRequiredMixin):
    allowed_roles = (Role.APPLICANT,)

    def membership(self) -> Any:
        membership = selectors.membership_of(actor_of(self.request))  # type: ignore[attr-defined]
        if membership is None:
            raise PermissionDenied("您的账号不属于任何单位。")
        return membership


class OwnOrganisationView(ApplicantMixin, View):
    template_name = "accounts/own_organisation.html"

    def get(self, request: AuthenticatedRequest, invite_form: InvitationForm | None = None) -> HttpResponse:
        membership = self.membership()
        organisation = membership.organisation
        can_manage, manage_reason = rules.can_manage_members(request.user, organisation)
        return render(
            request,
            self.template_name,
            {
                "organisation": organisation,
                "membership": membership,
                "members": selectors.members_of(organisation),
                "invitations": selectors.invitations_of(organisation)[:20],
                "can_manage": can_manage,
                "manage_reason": manage_reason,
                "invite_form": invite_form or InvitationForm(),
                "changes": selectors.organisation_changes_visible_to(request.user)[:5],
            },
        )

    def post(self, request: AuthenticatedRequest) -> HttpResponse:
        """Invite a member."""
        organisation = self.membership().organisation
        form = InvitationForm(request.POST)
        if form.is_valid():
            try:
                invitation = services.invite_member(
                    actor=request.user,
                    organisation=organisation,
                    email=form.cleaned_data["email"],
                    name=form.cleaned_data["name"],
                )
            except AccountError as error:
                form_error_from(form, error)
            else:
                messages.success(
                    request,
                    _("邀请邮件已发送至 %(email)s，%(INVITATION_VALID_DAYS)s天内有效。")
                    % {"email": invitation.email, "INVITATION_VALID_DAYS": services.INVITATION_VALID_DAYS},
                )
                return redirect("accounts:own_organisation")
        return self.get(request, invite_form=form)


class OwnOrganisationEditView(ApplicantMixin, View):
    template_name = "accounts/organisation_edit.html"

    def get(self, request: AuthenticatedRequest) -> HttpResponse:
        organisation = self.membership().organisation
        require(rules.can_edit_organisation(request.user, organisation))
        initial = {field: getattr(organisation, field) for field in services.ORGANISATION_EDITABLE_FIELDS}
        in_process = organisation_changes.numbers_in_process(organisation)
        form = OrganisationForm(
            initial=initial, needs_approval=organisation_changes.needs_approval(organisation, in_process)
        )
        return self.page(request, organisation, form, in_process)

    def post(self, request: AuthenticatedRequest) -> HttpResponse:
        organisation = self.membership().organisation
        require(rules.can_edit_organisation(request.user, organisation))
        in_process = organisation_changes.numbers_in_process(organisation)
        form = OrganisationForm(
            request.POST, needs_approval=organisation_changes.needs_approval(organisation, in_process)
        )
        if form.is_valid():
            changes = dict(form.cleaned_data)
            reason = changes.pop("change_reason", "")
            try:
                change = services.edit_organisation(
                    actor=request.user, organisation=organisation, changes=changes, change_reason=reason
                )
            except AccountError as error:
                form_error_from(form, error)
            else:
                if change is None:
                    messages.success(request, _("单位信息已保存。"))
                else:
                    messages.success(
                        request,
                        _("其他信息已保存；单位名称、所在城市或区县的变更已提交省工信厅审核，核准后生效。"),
                    )
                return redirect("accounts:own_organisation")
        return self.page(request, organisation, form, in_process)

    def page(
        self,
        request: AuthenticatedRequest,
        organisation: Organisation,
        form: OrganisationForm,
        in_process: list[str],
    ) -> HttpResponse:
        return render(
            request,
            self.template_name,
            {
                "form": form,
                "organisation": organisation,
                "in_process": in_process,
                "pending_change": organisation_changes.pending_change(organisation),
            },
        )


class MemberRemoveView(ApplicantMixin, View):
    template_name = "accounts/member_remove.html"

    def get(self, request: AuthenticatedRequest, pk: int) -> HttpResponse:
        member = selectors.member_of_own_organisation(request.user, pk)
        require(rules.can_manage_members(request.user, member.organisation))
        return render(request, self.template_name, {"member": member, "form": OptionalReasonForm()})

    def post(self, request: AuthenticatedRequest, pk: int) -> HttpResponse:
        member = selectors.member_of_own_organisation(request.user, pk)
        require(rules.can_manage_members(request.user, member.organisation))
        form = OptionalReasonForm(request.POST)
        if form.is_valid():
            try:
                services.remove_member(
                    actor=request.user, membership=member, reason=form.cleaned_data["reason"]
                )
            except AccountError as error:
                form_error_from(form, error)
            else:
                messages.success(
                    request, _("已移除成员 %(name)s，其账号已停用。") % {"name": member.user.name}
                )
                return redirect("accounts:own_organisation")
        return render(request, self.template_name, {"member": member, "form": form})


class MemberMakeAdminView(ApplicantMixin, View):
    def post(self, request: AuthenticatedRequest, pk: int) -> HttpResponse:
        member = selectors.member_of_own_organisation(request.user, pk)
        require(rules.can_manage_members(request.user, member.organisation))
        try:
            services.transfer_admin(actor=request.user, membership=member)
        except AccountError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, _("已将单位管理员转交给 %(name)s。") % {"name": member.user.name})
        return redirect("accounts:own_organisation")


class InvitationRevokeView(ApplicantMixin, View):
    def post(self, request: AuthenticatedRequest, pk: int) -> HttpResponse:
        invitation = selectors.invitation_of_own_organisation(request.user, pk)
        require(rules.can_manage_members(request.user, invitation.organisation))
        try:
            services.revoke_invitation(actor=request.user, invitation=invitation)
        except AccountError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, _("已撤销对 %(email)s 的邀请。") % {"email": invitation.email})
        return redirect("accounts:own_organisation")


# Officers: organisations


class OfficerMixin(RoleRequiredMixin):
    allowed_roles = (Role.CITY_OFFICER, Role.PROVINCE_OFFICER)


class OrganisationListView(OfficerMixin, View):
    template_name = "accounts/organisation_list.html"

    def get(self, request: AuthenticatedRequest) -> HttpResponse:
        user: User = request.user  # type: ignore[assignment]
        query = request.GET.get("q", "").strip()
        city_code = request.GET.get("city", "") if user.is_province_officer else ""
        warnings_only = request.GET.get("warnings") == "1"
        queryset = selectors.organisation_search(
            user, query=query, city_code=city_code, warnings_only=warnings_only
        )
        return render(
            request,
            self.template_name,
            {
                "page": paginate(request, queryset),
                "query": query,
                "city": city_code,
                "warnings_only": warnings_only,
                "cities": reference.cities(),
            },
        )


class OrganisationDetailView(OfficerMixin, View):
    template_name = "accounts/organisation_detail.html"

    def get(
        self, request: AuthenticatedRequest, pk: int, region_form: RegionOverrideForm | None = None
    ) -> HttpResponse:
        organisation = selectors.organisation_for(request.user, pk)
        can_override, _reason = rules.can_override_region(request.user)
        return render(
            request,
            self.template_name,
            {
                "organisation": organisation,
                "members": selectors.members_of(organisation),
                "changes": organisation.changes.select_related("decided_by")[:10],
                "can_override": can_override,
                "region_form": region_form
                or RegionOverrideForm(initial={"region_key": organisation.region_override}),
            },
        )


class OrganisationRegionView(RoleRequiredMixin, View):
    allowed_roles = (Role.PROVINCE_OFFICER,)

    def post(self, request: AuthenticatedRequest, pk: int) -> HttpResponse:
        organisation = selectors.organisation_for(request.user, pk)
        form = RegionOverrideForm(request.POST)
        if form.is_valid():
            try:
                services.override_region(
                    actor=request.user,
                    organisation=organisation,
                    region_key=form.cleaned_data["region_key"],
                    reason=form.cleaned_data["reason"],
                )
            except AccountError as error:
                form_error_from(form, error)
            else:
                messages.success(
                    request,
                    _("已将“%(name)s”的所属区域设为%(region_name)s。")
                    % {"name": organisation.name, "region_name": organisation.region_name},
                )
                return redirect("accounts:organisation_detail", pk=pk)
        return render_view(OrganisationDetailView, request, pk=pk, region_form=form)


# Province officers: accounts and the audit trail


class ProvinceMixin(RoleRequiredMixin):
    allowed_roles = (Role.PROVINCE_OFFICER,)


class AccountListView(ProvinceMixin, View):
    template_name = "accounts/account_list.html"

    def get(self, request: AuthenticatedRequest) -> HttpResponse:
        role = request.GET.get("role", "")
        query = request.GET.get("q", "").strip()
        queryset = selectors.accounts_visible_to(request.user, role=role, query=query)
        roles = [(value, label) for value, label in Role.choices if value != Role.APPLICANT]
        return render(
            request,
            self.template_name,
            {"page": paginate(request, queryset), "role": role, "query": query, "roles": roles},
        )


class OfficerCreateView(ProvinceMixin, FormView):  # type: ignore[type-arg]
    form_class = OfficerForm
    template_name = "accounts/officer_form.html"

    def form_valid(self, form: OfficerForm) -> HttpResponse:
        try:
            user = services.create_officer(actor=actor_of(self.request), **form.cleaned_data)
        except AccountError as error:
            form_error_from(form, error)
            return self.form_invalid(form)
        messages.success(
            self.request, _("已创建账号 %(user)s，设置密码的链接已发送到其邮箱。") % {"user": user}
        )
        return redirect("accounts:account_detail", pk=user.pk)


class ExpertCreateView(ProvinceMixin, FormView):  # type: ignore[type-arg]
    form_class = ExpertForm
    template_name = "accounts/expert_form.html"

    def form_valid(self, form: ExpertForm) -> HttpResponse:
        try:
            profile = services.create_expert(actor=actor_of(self.request), **form.cleaned_data)
        except AccountError as error:
            form_error_from(form, error)
            return self.form_invalid(form)
        messages.success(
            self.request,
            _("已创建专家账号 %(user)s，设置密码的链接已发送到其邮箱。") % {"user": profile.user},
        )
        return redirect("accounts:account_detail", pk=profile.user_id)


class AccountDetailView(ProvinceMixin, View):
    template_name = "accounts/account_detail.html"

    def get(self, request: AuthenticatedRequest, pk: int, form: ReasonForm | None = None) -> HttpResponse:
        account = selectors.account_for(request.user, pk)
        events = selectors.audit_events_visible_to(request.user).filter(
            target_type="accounts.user", target_id=str(pk)
        )
        return render(
            request,
            self.template_name,
            {"account": account, "form": form or ReasonForm(), "events": events[:20]},
        )

    def post(self, request: AuthenticatedRequest, pk: int) -> HttpResponse:
        account = selectors.account_for(request.user, pk)
        form = ReasonForm(request.POST)
        if form.is_valid():
            try:
                services.set_account_active(
                    actor=request.user,
                    user=account,
                    active=request.POST.get("active") == "1",
                    reason=form.cleaned_data["reason"],
                )
            except AccountError as error:
                form_error_from(form, error)
            else:
                messages.success(
                    request,
                    (_("账号 %(account)s 已启用。") if account.is_active else _("账号 %(account)s 已停用。"))
                    % {"account": account},
                )
                return redirect("accounts:account_detail", pk=pk)
        return self.get(request, pk, form=form)


AUDIT_ACTION_GROUPS = [
    ("organisation.", "单位"),
    ("member.", "单位成员"),
    ("account.", "账号与登录"),
    ("expert.", "专家"),
]


class AuditListView(ProvinceMixin, View):
    template_name = "accounts/audit_list.html"

    def get(self, request: AuthenticatedRequest) -> HttpResponse:
        action = request.GET.get("action", "")
        query = request.GET.get("q", "").strip()
        queryset = selectors.audit_events_visible_to(request.user, action=action, query=query)
        return render(
            request,
            self.template_name,
            {
                "page": paginate(request, queryset),
                "action": action,
                "query": query,
                "action_choices": AUDIT_ACTION_GROUPS,
            },
        )


# Experts: own profile and declared conflicts


class ExpertMixin(RoleRequiredMixin):
    allowed_roles = (Role.EXPERT,)


class ExpertProfileView(ExpertMixin, View):
    template_name = "accounts/expert_profile.html"

    def get(
        self,
        request: AuthenticatedRequest,
        form: ExpertProfileForm | None = None,
        conflict_form: ConflictForm | None = None,
        past_form: PastEmploymentForm | None = None,
    ) -> HttpResponse:
        profile = selectors.expert_profile_of(request.user)
        initial = {field: getattr(profile, field) for field in services.EXPERT_EDITABLE_FIELDS}
        return render(
            request,
            self.template_name,
            {
                "profile": profile,
                "form": form or ExpertProfileForm(initial=initial),
                "conflict_form": conflict_form or ConflictForm(),
                "conflicts": profile.declared_conflicts.all(),
                "past_form": past_form or PastEmploymentForm(),
                "past_employments": selectors.past_employments_of(profile),
            },
        )

    def post(self, request: AuthenticatedRequest) -> HttpResponse:
        profile = selectors.expert_profile_of(request.user)
        form = ExpertProfileForm(request.POST)
        if form.is_valid():
            try:
                services.update_expert_profile(actor=request.user, profile=profile, **form.cleaned_data)
            except AccountError as error:
                form_error_from(form, error)
            else:
                messages.success(request, _("专家信息已保存。"))
                return redirect("accounts:expert_profile")
        return self.get(request, form=form)


class ConflictDeclareView(ExpertMixin, View):
    def post(self, request: AuthenticatedRequest) -> HttpResponse:
        profile = selectors.expert_profile_of(request.user)
        form = ConflictForm(request.POST)
        if form.is_valid():
            try:
                conflict = services.declare_conflict(actor=request.user, profile=profile, **form.cleaned_data)
            except AccountError as error:
                form_error_from(form, error)
            else:
                messages.success(
                    request,
                    _("已申明对“%(organisation_name)s”回避。")
                    % {"organisation_name": conflict.organisation_name},
                )
                return redirect("accounts:expert_profile")
        return render_view(ExpertProfileView, request, conflict_form=form)


class ConflictWithdrawView(ExpertMixin, View):
    def post(self, request: AuthenticatedRequest, pk: int) -> HttpResponse:
        profile = selectors.expert_profile_of(request.user)
        conflict = profile.declared_conflicts.filter(pk=pk).first()
        if conflict is None:
            raise Http404
        services.withdraw_conflict(actor=request.user, conflict=conflict)
        messages.success(
            request,
            _("已撤回对“%(organisation_name)s”的回避申明。")
            % {"organisation_name": conflict.organisation_name},
        )
        return redirect("accounts:expert_profile")


class PastEmploymentAddView(ExpertMixin, View):
    def post(self, request: AuthenticatedRequest) -> HttpResponse:
        profile = selectors.expert_profile_of(request.user)
        form = PastEmploymentForm(request.POST)
        if add_past_employment(request, profile, form):
            return redirect("accounts:expert_profile")
        return render_view(ExpertProfileView, request, past_form=form)


class PastEmploymentRemoveView(ExpertMixin, View):
    def post(self, request: AuthenticatedRequest, pk: int) -> HttpResponse:
        profile = selectors.expert_profile_of(request.user)
        remove_past_employment(request, profile, pk)
        return redirect("accounts:expert_profile")


def add_past_employment(
    request: AuthenticatedRequest, profile: ExpertProfile, form: PastEmploymentForm
) -> bool:
    """Record the posted earlier employer; return False, with the errors on the form, if refused."""
    if not form.is_valid():
        return False
    try:
        employment = services.add_past_employment(actor=request.user, profile=profile, **form.cleaned_data)
    except AccountError as error:
        form_error_from(form, error)
        return False
    messages.success(
        request,
        _("已登记曾任职单位“%(employer)s”，评审时将自动回避该单位的申报。")
        % {"employer": employment.employer},
    )
    return True


def remove_past_employment(request: AuthenticatedRequest, profile: ExpertProfile, pk: int) -> None:
    employment = profile.past_employments.filter(pk=pk).first()
    if employment is None:
        raise Http404
    services.remove_past_employment(actor=request.user, employment=employment)
    messages.success(
        request,
        _("已删除曾任职单位“%(credit_code)s”。")
        % {"credit_code": employment.employer or employment.credit_code},
    )


# Province officers: the expert pool


class ExpertEditView(ProvinceMixin, View):
    template_name = "accounts/expert_edit.html"

    def get(
        self,
        request: AuthenticatedRequest,
        pk: int,
        form: ExpertEditForm | None = None,
        past_form: PastEmploymentForm | None = None,
    ) -> HttpResponse:
        profile = selectors.expert_profile_for(request.user, pk)
        initial = {field: getattr(profile, field) for field in services.EXPERT_EDITABLE_FIELDS}
        initial |= {"name": profile.user.name, "phone": profile.user.phone}
        return render(
            request,
            self.template_name,
            {
                "profile": profile,
                "account": profile.user,
                "form": form or ExpertEditForm(initial=initial),
                "past_form": past_form or PastEmploymentForm(),
                "past_employments": selectors.past_employments_of(profile),
            },
        )

    def post(self, request: AuthenticatedRequest, pk: int) -> HttpResponse:
        profile = selectors.expert_profile_for(request.user, pk)
        form = ExpertEditForm(request.POST)
        if form.is_valid():
            try:
                services.edit_expert(actor=request.user, profile=profile, **form.cleaned_data)
            except AccountError as error:
                form_error_from(form, error)
            else:
                messages.success(request, _("已保存专家 %(name)s 的信息。") % {"name": profile.user.name})
                return redirect("accounts:account_detail", pk=pk)
        return self.get(request, pk, form=form)


class ExpertPastEmploymentAddView(ProvinceMixin, View):
    def post(self, request: AuthenticatedRequest, pk: int) -> HttpResponse:
        profile = selectors.expert_profile_for(request.user, pk)
        form = PastEmploymentForm(request.POST)
        if add_past_employment(request, profile, form):
            return redirect("accounts:expert_edit", pk=pk)
        return render_view(ExpertEditView, request, pk=pk, past_form=form)


class ExpertPastEmploymentRemoveView(ProvinceMixin, View):
    def post(self, request: AuthenticatedRequest, pk: int, employment_pk: int) -> HttpResponse:
        profile = selectors.expert_profile_for(request.user, pk)
        remove_past_employment(request, profile, employment_pk)
        return redirect("accounts:expert_edit", pk=pk)


# The checked rows travel from the preview to the import signed: nothing is uploaded twice and
# nothing posted back can differ from what was checked and shown.
IMPORT_SALT = "shifan.accounts.expert_import"
IMPORT_VALID_SECONDS = 60 * 60
# What the preview shows of a row with errors, as written in the list.
PREVIEW_COLUMNS = (pool.NAME, pool.EMAIL, pool.EMPLOYER, pool.CITY, pool.EXPERTISE)


class ExpertImportView(ProvinceMixin, View):
    """Upload the Excel list, then see every row checked before anything is imported."""

    template_name = "accounts/expert_import.html"
    preview_template_name = "accounts/expert_import_preview.html"

    def get(self, request: AuthenticatedRequest, form: ExpertImportForm | None = None) -> HttpResponse:
        return render(
            request,
            self.template_name,
            {
                "form": form or ExpertImportForm(),
                "required_columns": pool.REQUIRED_COLUMNS,
                "optional_columns": pool.OPTIONAL_COLUMNS,
                "max_rows": pool.MAX_ROWS,
            },
        )

    def post(self, request: AuthenticatedRequest) -> HttpResponse:
        form = ExpertImportForm(request.POST, request.FILES)
        if form.is_valid():
            table = form.cleaned_data["file"]
            roles = selectors.account_roles_by_email(request.user, pool.emails_in(table))
            try:
                sheet = pool.parse(table, roles_by_email=roles)
            except pool.PoolFileError as error:
                form.add_error("file", error.message)
            else:
                upload = request.FILES.get("file")
                file_name = upload.name if isinstance(upload, UploadedFile) else ""
                return self.preview(request, sheet, file_name=file_name or "")
        return self.get(request, form=form)

    def preview(
        self, request: AuthenticatedRequest, sheet: pool.ParsedSheet, *, file_name: str
    ) -> HttpResponse:
        updates = [row.expert.email for row in sheet.rows if row.expert is not None and row.is_update]
        experts = selectors.experts_by_email(request.user, updates)
        rows = []
        for row in sheet.rows:
            changes = None
            # An expert account without a profile (none is made that way) gets one on import.
            profile = experts.get(row.expert.email) if row.expert is not None and row.is_update else None
            if row.expert is not None and profile is not None:
                known = [employment.credit_code for employment in profile.past_employments.all()]
                changes = pool.change_labels(pool.updates_for(profile, row.expert, known))
            cells = [row.cells.get(column, "") for column in PREVIEW_COLUMNS]
            rows.append({"row": row, "changes": changes, "cells": cells})
        skipped = len(sheet.error_rows)
        payload = signing.dumps(
            {
                "actor": request.user.pk,
                "file": file_name,
                "skipped": skipped,
                "rows": [expert.as_data() for expert in sheet.experts],
            },
            salt=IMPORT_SALT,
            compress=True,
        )
        return render(
            request,
            self.preview_template_name,
            {
                "rows": rows,
                "file_name": file_name,
                "payload": payload,
                "importable": len(sheet.experts),
                "new_count": sheet.count("new"),
                "update_count": sheet.count("update"),
                "skipped": skipped,
                "valid_minutes": IMPORT_VALID_SECONDS // 60,
            },
        )


class ExpertImportConfirmView(ProvinceMixin, View):
    def post(self, request: AuthenticatedRequest) -> HttpResponse:
        try:
            data = signing.loads(
                request.POST.get("payload", ""), salt=IMPORT_SALT, max_age=IMPORT_VALID_SECONDS
            )
            if data["actor"] != request.user.pk:
                raise signing.BadSignature("signed for another officer")
            rows = [pool.ExpertRow.from_data(item) for item in data["rows"]]
        except signing.SignatureExpired:
            messages.error(
                request,
                _("预览已超过 %(IMPORT_VALID_SECONDS)s 分钟，未导入任何专家，请重新上传名单。")
                % {"IMPORT_VALID_SECONDS": IMPORT_VALID_SECONDS // 60},
            )
            return redirect("accounts:expert_import")
        except (signing.BadSignature, KeyError, TypeError, ValueError):
            messages.error(request, _("导入内容无法核验（可能已被改动），未导入任何专家，请重新上传名单。"))
            return redirect("accounts:expert_import")
        try:
            result = services.import_experts(
                actor=request.user,
                rows=rows,
                file_name=str(data.get("file", "")),
                skipped=int(data.get("skipped", 0)),
            )
        except AccountError as error:
            messages.error(request, _("未导入任何专家：%(message)s") % {"message": error.message})
            return redirect("accounts:expert_import")
        parts = []
        if result.created:
            parts.append(f"新增 {result.created} 位（已发送设置密码的邮件）")
        if result.updated:
            parts.append(f"更新 {result.updated} 位")
        if result.unchanged:
            parts.append(f"{result.unchanged} 位信息无变化")
        messages.success(request, f"已导入 {len(rows)} 位专家：" + "，".join(parts) + "。")
        return redirect(f"{reverse('accounts:account_list')}?role={Role.EXPERT}")


class ExpertImportTemplateView(ProvinceMixin, View):
    def get(self, request: AuthenticatedRequest) -> HttpResponse:
        return xlsx_response(pool.template_workbook(), "专家导入模板.xlsx")


class OrganisationChangeListView(RoleRequiredMixin, View):
    """The province's queue of requested changes of organisations' names, cities and counties."""

    allowed_roles = (Role.PROVINCE_OFFICER,)
    template_name = "accounts/organisation_change_list.html"

    def get(self, request: AuthenticatedRequest) -> HttpResponse:
        state = request.GET.get("state", ChangeState.PENDING)
        if state not in ChangeState.values:
            state = ""
        query = request.GET.get("q", "").strip()
        changes = selectors.organisation_changes_visible_to(request.user, state=state, query=query)
        return render(
            request,
            self.template_name,
            {
                "page": paginate(request, changes),
                "state": state,
                "query": query,
                "states": ChangeState.choices,
            },
        )


class OrganisationChangeView(RoleRequiredMixin, View):
    allowed_roles = (Role.PROVINCE_OFFICER,)
    template_name = "accounts/organisation_change.html"

    def get(
        self, request: AuthenticatedRequest, pk: int, form: ChangeDecisionForm | None = None
    ) -> HttpResponse:
        change = selectors.organisation_change_for(request.user, pk)
        organisation = change.organisation
        return render(
            request,
            self.template_name,
            {
                "change": change,
                "organisation": organisation,
                "in_process": organisation_changes.numbers_in_process(organisation),
                "form": form or ChangeDecisionForm(),
            },
        )

    def post(self, request: AuthenticatedRequest, pk: int) -> HttpResponse:
        change = selectors.organisation_change_for(request.user, pk)
        form = ChangeDecisionForm(request.POST)
        if form.is_valid():
            approve = form.cleaned_data["decision"] == "approve"
            try:
                organisation_changes.decide_change(
                    actor=request.user, change=change, approve=approve, note=form.cleaned_data["note"]
                )
            except organisation_changes.ChangeRefused as error:
                form_error_from(form, error)
            else:
                verdict = "已核准" if approve else "已驳回"
                messages.success(
                    request,
                    _("%(verdict)s“%(name)s”的单位信息变更申请。")
                    % {"verdict": verdict, "name": change.organisation.name},
                )
                return redirect("accounts:organisation_change_list")
        return self.get(request, pk, form=form)
