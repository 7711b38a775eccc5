"""Pages of single sign-on: the redirect to a provider, its callback, the pre-filled registration and
claim, the back-channel logout endpoint, and the provider's logout after Shifan's."""

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.views import View
from django.views.decorators.csrf import csrf_exempt

from shifan.accounts import sso, sso_services, verification
from shifan.accounts.middleware import SSO_SECOND_FACTOR_SESSION_KEY
from shifan.accounts.models import SsoSession, User
from shifan.accounts.services import AccountError
from shifan.accounts.sso_services import Assertion
from shifan.accounts.verification_views import ClaimCreateView
from shifan.accounts.views import RegistrationView, form_error_from, safe_next
from shifan.core import reference
from shifan.core.services import record_event

ASSERTION_SESSION_KEY = "sso_assertion"
NEXT_SESSION_KEY = "sso_next"
# What Shifan's logout needs to end the provider's session too (RP-initiated logout).
PROVIDER_SESSION_KEY = "sso_provider"
ID_TOKEN_SESSION_KEY = "sso_id_token"


def provider_or_404(key: str) -> sso.Provider:
    provider = sso.provider(key)
    if provider is None:
        raise Http404("没有该统一身份认证服务。")
    return provider


def refused(request: HttpRequest, provider: sso.Provider, message: str, *, status: int = 403) -> HttpResponse:
    return render(
        request,
        "accounts/sso_refused.html",
        {"provider": provider, "message": message},
        status=status,
    )


class SsoLoginView(View):
    """Send the visitor to the provider's login page (state, nonce and PKCE kept in the session)."""

    def get(self, request: HttpRequest, key: str) -> HttpResponse:
        provider = provider_or_404(key)
        if request.user.is_authenticated:
            return redirect("home")
        request.session[NEXT_SESSION_KEY] = safe_next(request, "")
        redirect_uri = request.build_absolute_uri(reverse("accounts:sso_callback", args=[provider.key]))
        try:
            return sso.start_login(request, provider, redirect_uri=redirect_uri)
        except sso.SsoError as error:
            return refused(request, provider, error.message, status=502)


class SsoCallbackView(View):
    """The provider's redirect back: check everything, then log in, refuse, register or claim."""

    def get(self, request: HttpRequest, key: str) -> HttpResponse:
        provider = provider_or_404(key)
        try:
            token = sso.finish_login(request, provider)
        except sso.SsoError as error:
            return refused(request, provider, error.message, status=400)
        assertion = Assertion.from_claims(provider, token["userinfo"])
        # After the provider's answer is in: no transaction waits on the network.
        with transaction.atomic():
            outcome = sso_services.sign_in(provider=provider, assertion=assertion)
            if outcome.kind == "refused":
                record_event(
                    actor=None,
                    action="account.sso_refused",
                    target_label=f"{provider.key}:{assertion.subject}",
                    reason=outcome.message,
                )
                return refused(request, provider, outcome.message)
            if outcome.kind == "login":
                assert outcome.user is not None
                log_in(request, provider, assertion, user=outcome.user, id_token=token.get("id_token", ""))
                target = request.session.pop(NEXT_SESSION_KEY, "") or reverse("home")
                return redirect(target)
        request.session[ASSERTION_SESSION_KEY] = assertion.as_session()
        if outcome.kind == "register":
            return redirect("accounts:sso_register", key=provider.key)
        return redirect("accounts:sso_claim", key=provider.key)


def log_in(
    request: HttpRequest, provider: sso.Provider, assertion: Assertion, *, user: User, id_token: str
) -> None:
    """Open the Shifan session, noting what logout and the second factor need to know."""
    login(request, user, backend="shifan.accounts.backends.AccountBackend")
    if assertion.second_factor:
        # The provider asked for a second factor: Shifan does not ask its own (middleware).
        request.session[SSO_SECOND_FACTOR_SESSION_KEY] = user.pk
    request.session[PROVIDER_SESSION_KEY] = provider.key
    request.session[ID_TOKEN_SESSION_KEY] = id_token
    request.session.save()
    assert request.session.session_key is not None
    sso_services.remember_session(
        provider=provider, assertion=assertion, session_key=request.session.session_key
    )
    record_event(
        actor=user,
        action="account.sso_login",
        target=user,
        after={"provider": provider.key, "second_factor": assertion.second_factor},
    )


def pending_assertion(request: HttpRequest, provider: sso.Provider) -> Assertion:
    data = request.session.get(ASSERTION_SESSION_KEY)
    if not data or data.get("provider") != provider.key or not data.get("credit_code"):
        raise Http404("没有待处理的企业身份认证登录，请从登录页重新登录。")
    return Assertion.from_session(data)


class SsoRegistrationView(RegistrationView):
    """Register the organisation whose code the provider asserted, the form filled in from its claims."""

    template_name = "accounts/register.html"

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        self.provider = provider_or_404(kwargs["key"])
        if request.user.is_authenticated:
            return redirect("home")
        self.assertion = pending_assertion(request, self.provider)
        return super().dispatch(request, *args, **kwargs)

    def get_initial(self) -> dict[str, Any]:
        a = self.assertion
        # The code's registration area (positions 3–8) gives the city, when it is one here.
        city_code = a.credit_code[2:6] + "00"
        return {
            "city_code": city_code if city_code in {city.code for city in reference.cities()} else "",
            "name": a.organisation_name,
            "credit_code": a.credit_code,
            "contact_name": a.name,
            "contact_email": a.email,
            "contact_phone": a.phone,
            "admin_name": a.name,
            "admin_email": a.email,
            "admin_phone": a.phone,
        }

    def get_form(self, form_class: Any = None) -> Any:
        form = super().get_form(form_class)
        # The code is the one the provider asserted: shown, not editable, never taken from the post.
        form.fields["credit_code"].disabled = True
        return form

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return {**super().get_context_data(**kwargs), "sso_provider": self.provider}

    def form_valid(self, form: Any) -> HttpResponse:
        try:
            # One transaction: no organisation registered here without its identity bound.
            with transaction.atomic():
                membership = self.register({**form.cleaned_data, "credit_code": self.assertion.credit_code})
                sso_services.bind_registered(
                    provider=self.provider, assertion=self.assertion, membership=membership
                )
        except AccountError as error:
            form_error_from(form, error)
            return self.form_invalid(form)
        self.request.session.pop(ASSERTION_SESSION_KEY, None)
        user = User.objects.get(pk=membership.user_id)
        with transaction.atomic():
            log_in(self.request, self.provider, self.assertion, user=user, id_token="")
        messages.success(
            self.request,
            _("“%(organisation)s”注册成功，已经%(provider)s核验，您是本单位管理员。")
            % {"organisation": membership.organisation.name, "provider": self.provider.name},
        )
        return redirect("home")


class SsoClaimView(ClaimCreateView):
    """Claim a code someone else registered and nobody verified, the provider's assertion as evidence."""

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        self.provider = provider_or_404(kwargs.pop("key"))
        self.assertion = pending_assertion(request, self.provider)
        return super().dispatch(request, *args, **kwargs)

    def prepare(self, form: Any) -> Any:
        form.fields["credit_code"].disabled = True
        for name in ("licence", "authorisation"):
            form.fields[name].required = False
            form.fields[name].help_text = _("可不上传：%(provider)s已认证该代码，作为认领依据。") % {
                "provider": self.provider.name
            }
        return form

    def get(self, request: HttpRequest, form: Any = None) -> HttpResponse:
        from shifan.accounts.verification_forms import ClaimForm
        from shifan.core.captcha import captcha_options

        a = self.assertion
        if form is None:
            form = ClaimForm(
                initial={
                    "credit_code": a.credit_code,
                    "organisation_name": a.organisation_name,
                    "claimant_name": a.name,
                    "claimant_email": a.email,
                    "claimant_phone": a.phone,
                },
                **captcha_options(request),
            )
        self.prepare(form)
        return render(request, self.template_name, {"form": form, "sso_provider": self.provider})

    def post(self, request: HttpRequest) -> HttpResponse:
        from shifan.accounts.verification_forms import ClaimForm
        from shifan.core.captcha import captcha_options

        form = self.prepare(
            ClaimForm(
                request.POST,
                request.FILES,
                initial={"credit_code": self.assertion.credit_code},
                **captcha_options(request),
            )
        )
        if form.is_valid():
            data = form.cleaned_data
            try:
                verification.file_claim(
                    credit_code=self.assertion.credit_code,
                    organisation_name=data["organisation_name"],
                    claimant_name=data["claimant_name"],
                    claimant_email=data["claimant_email"],
                    claimant_phone=data["claimant_phone"],
                    statement=data["statement"],
                    licence=data.get("licence"),
                    authorisation=data.get("authorisation"),
                    sso_evidence=self.assertion.evidence(self.provider),
                )
            except AccountError as error:
                form_error_from(form, error)
            else:
                request.session.pop(ASSERTION_SESSION_KEY, None)
                request.session["claim_email"] = data["claimant_email"].strip().lower()
                return redirect("accounts:claim_sent")
        return self.get(request, form=form)


@method_decorator(csrf_exempt, name="dispatch")
class BackchannelLogoutView(View):
    """The provider ended a session: end the Shifan sessions opened with it (Back-Channel Logout 1.0)."""

    def post(self, request: HttpRequest, key: str) -> HttpResponse:
        provider = provider_or_404(key)
        try:
            claims = sso.verify_logout_token(provider, request.POST.get("logout_token", ""))
        except sso.SsoError as error:
            return JsonResponse({"error": "invalid_request", "error_description": error.message}, status=400)
        with transaction.atomic():
            ended = sso_services.end_sessions(
                provider=provider, sid=str(claims.get("sid") or ""), subject=str(claims.get("sub") or "")
            )
            record_event(
                actor=None,
                action="account.sso_backchannel_logout",
                target_label=f"{provider.key}:{claims.get('sub') or claims.get('sid')}",
                after={"sessions_ended": ended},
            )
        response = HttpResponse(status=200)
        response["Cache-Control"] = "no-store"
        return response


def provider_logout_page(request: HttpRequest, *, provider_key: str, id_token: str) -> HttpResponse | None:
    """Return the page that takes a logged-out visitor on to the provider's logout, if it has one.

    A page rather than a redirect: the logout is a form, and the Content Security Policy's
    `form-action 'self'` would stop the browser following a form's redirect to another site.
    """
    provider = sso.provider(provider_key)
    if provider is None or not id_token:
        return None
    post_logout = request.build_absolute_uri(reverse(settings.LOGOUT_REDIRECT_URL))
    url = sso.end_session_url(provider, id_token=id_token, post_logout_redirect_uri=post_logout)
    if url is None:
        return None
    return render(request, "accounts/sso_logout.html", {"provider": provider, "url": url})


def forget_session(session_key: str | None) -> None:
    if session_key:
        SsoSession.objects.filter(session_key=session_key).delete()
