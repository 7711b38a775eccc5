"""Pages of the e-mail check, the organisation's verification and claims (`accounts.verification`)."""

from collections.abc import Mapping
from typing import Any

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views import View

from shifan.accounts import rules, selectors, services, verification
from shifan.accounts.models import ClaimState, DocumentKind, VerificationDocument, VerificationState
from shifan.accounts.services import AccountError
from shifan.accounts.verification_forms import (
    ClaimDecisionForm,
    ClaimForm,
    DocumentsForm,
    VerificationDecisionForm,
    documents_seen,
)
from shifan.accounts.views import (
    ApplicantMixin,
    AuthenticatedRequest,
    OfficerMixin,
    form_error_from,
    paginate,
)
from shifan.core.captcha import captcha_options
from shifan.core.http import over_rate_limit, stored_file_response

# Claims are filed without an account: a visitor may file a few an hour, whatever the CAPTCHA.
CLAIMS_PER_HOUR = 5
EMAIL_RESENDS_PER_HOUR = 5


def document_rows(documents: Mapping[str, VerificationDocument]) -> list[tuple[str, str, Any]]:
    """Return (kind, label, document or None) for each kind of scan, in a fixed order."""
    return [(kind, str(label), documents.get(kind)) for kind, label in DocumentKind.choices]


# The e-mail address


class RegistrationSentView(View):
    """Tell a newly registered administrator to open the mailed link; nothing works before."""

    def get(self, request: HttpRequest) -> HttpResponse:
        return render(
            request,
            "accounts/registration_sent.html",
            {"email": request.session.get("registered_email", ""), "days": services.EMAIL_LINK_MAX_AGE.days},
        )


class EmailVerifyView(View):
    """Open the mailed link: the address is verified, or the page says why the link is refused."""

    def get(self, request: HttpRequest, token: str) -> HttpResponse:
        try:
            user = services.verify_email(token=token)
        except AccountError as error:
            return render(request, "accounts/email_verify_failed.html", {"reason": error.message}, status=400)
        next_page = reverse("accounts:own_verification")
        logged_in_as_owner = request.user.is_authenticated and request.user.pk == user.pk
        return render(
            request,
            "accounts/email_verified.html",
            {
                "verified_user": user,
                "next_url": next_page
                if logged_in_as_owner
                else f"{reverse('accounts:login')}?{urlencode({'next': next_page})}",
                "logged_in_as_owner": logged_in_as_owner,
            },
        )


class EmailUnverifiedView(LoginRequiredMixin, View):
    """Where an account whose address is not yet verified is held; it may ask for the link again."""

    def get(self, request: AuthenticatedRequest) -> HttpResponse:
        if request.user.email_verified:
            return redirect("home")
        return render(
            request,
            "accounts/email_unverified.html",
            {"days": services.EMAIL_LINK_MAX_AGE.days},
        )

    def post(self, request: AuthenticatedRequest) -> HttpResponse:
        if over_rate_limit(request, "email-resend", EMAIL_RESENDS_PER_HOUR, 3600):
            messages.error(request, _("发送过于频繁，请一小时后再试，或检查垃圾邮件箱。"))
            return redirect("accounts:email_unverified")
        try:
            services.resend_email_verification(user=request.user)
        except AccountError as error:
            messages.info(request, error.message)
            return redirect("home")
        messages.success(request, _("验证邮件已重新发送至 %(email)s。") % {"email": request.user.email})
        return redirect("accounts:email_unverified")


# The organisation's own documents


class OwnVerificationView(ApplicantMixin, View):
    template_name = "accounts/own_verification.html"

    def get(self, request: AuthenticatedRequest, form: DocumentsForm | None = None) -> HttpResponse:
        organisation = self.membership().organisation
        can_hand_in, hand_in_reason = rules.can_hand_in_documents(request.user, organisation)
        return render(
            request,
            self.template_name,
            {
                "organisation": organisation,
                "documents": document_rows(verification.current_documents(organisation)),
                "form": form or DocumentsForm(),
                "can_hand_in": can_hand_in,
                "hand_in_reason": hand_in_reason,
                "max_mb": verification.DOCUMENT_MAX_MB,
            },
        )

    def post(self, request: AuthenticatedRequest) -> HttpResponse:
        organisation = self.membership().organisation
        form = DocumentsForm(request.POST, request.FILES)
        if form.is_valid():
            try:
                verification.hand_in_documents(
                    actor=request.user,
                    organisation=organisation,
                    licence=form.cleaned_data["licence"],
                    authorisation=form.cleaned_data["authorisation"],
                )
            except AccountError as error:
                form_error_from(form, error)
            else:
                messages.success(
                    request,
                    _("核验材料已提交，请等待%(name)s工业和信息化局核验。核验结果会通过站内通知和邮件告知。")
                    % {"name": organisation.city.name},
                )
                return redirect("accounts:own_verification")
        return self.get(request, form=form)


class VerificationDocumentView(LoginRequiredMixin, View):
    """Show a scan to its readers (selectors decide: members, the city's officers, the province)."""

    def get(self, request: AuthenticatedRequest, pk: int) -> FileResponse:
        document = selectors.verification_document_for(request.user, pk)
        return stored_file_response(
            document.file, filename=document.original_name, content_type=document.content_type, inline=True
        )


# Officers: the queue and the decision


VERIFICATION_TABS = (
    (VerificationState.PENDING, "待核验"),
    (VerificationState.RETURNED, "退回补正"),
    (VerificationState.REFUSED, "不予核验"),
)


class VerificationListView(OfficerMixin, View):
    def get(self, request: AuthenticatedRequest) -> HttpResponse:
        query = request.GET.get("q", "").strip()
        state = request.GET.get("state", VerificationState.PENDING)
        if state not in dict(VERIFICATION_TABS):
            state = VerificationState.PENDING
        queryset = selectors.organisations_awaiting_verification(request.user, query=query, state=state)
        return render(
            request,
            "accounts/verification_list.html",
            {
                "page": paginate(request, queryset),
                "query": query,
                "state": state,
                "tabs": VERIFICATION_TABS,
                "open_claims": selectors.claims_visible_to(request.user, state=ClaimState.OPEN).count(),
            },
        )


class VerificationDetailView(OfficerMixin, View):
    def get(
        self, request: AuthenticatedRequest, pk: int, form: VerificationDecisionForm | None = None
    ) -> HttpResponse:
        organisation = selectors.organisation_to_verify(request.user, pk)
        can_verify, verify_reason = rules.can_verify(request.user, organisation)
        documents = verification.current_documents(organisation)
        return render(
            request,
            "accounts/verification_detail.html",
            {
                "organisation": organisation,
                "documents": document_rows(documents),
                # The decision is about the scans shown here, not any handed in since.
                "documents_seen": ",".join(str(document.pk) for document in documents.values()),
                "members": selectors.members_of(organisation),
                "claims": organisation.claims.filter(state=ClaimState.OPEN),
                "form": form or VerificationDecisionForm(),
                "can_verify": can_verify,
                "verify_reason": verify_reason,
            },
        )

    def post(self, request: AuthenticatedRequest, pk: int) -> HttpResponse:
        organisation = selectors.organisation_to_verify(request.user, pk)
        form = VerificationDecisionForm(request.POST)
        if form.is_valid():
            try:
                organisation = verification.decide_verification(
                    actor=request.user,
                    organisation=organisation,
                    decision=form.cleaned_data["decision"],
                    reason=form.cleaned_data["reason"],
                    documents_seen=documents_seen(request.POST.get("documents", "")),
                )
            except AccountError as error:
                form_error_from(form, error)
            else:
                messages.success(
                    request,
                    _("“%(name)s”：%(get_verification_state_display)s。")
                    % {
                        "name": organisation.name,
                        "get_verification_state_display": organisation.get_verification_state_display(),
                    },
                )
                return redirect("accounts:verification_list")
        return self.get(request, pk, form=form)


# Claims


class ClaimCreateView(View):
    """File a claim on a code someone else registered; no account needed (the claimant has none)."""

    template_name = "accounts/claim_form.html"

    def get(self, request: HttpRequest, form: ClaimForm | None = None) -> HttpResponse:
        if form is None:
            form = ClaimForm(
                initial={"credit_code": request.GET.get("credit_code", "")[:40]}, **captcha_options(request)
            )
        return render(request, self.template_name, {"form": form})

    def post(self, request: HttpRequest) -> HttpResponse:
        form = ClaimForm(request.POST, request.FILES, **captcha_options(request))
        if over_rate_limit(request, "claim", CLAIMS_PER_HOUR, 3600):
            form.add_error(None, "提交过于频繁，请一小时后再试。")
            return self.get(request, form=form)
        if form.is_valid():
            data = form.cleaned_data
            try:
                verification.file_claim(
                    credit_code=data["credit_code"],
                    organisation_name=data["organisation_name"],
                    claimant_name=data["claimant_name"],
                    claimant_email=data["claimant_email"],
                    claimant_phone=data["claimant_phone"],
                    statement=data["statement"],
                    licence=data["licence"],
                    authorisation=data["authorisation"],
                )
            except AccountError as error:
                form_error_from(form, error)
            else:
                request.session["claim_email"] = data["claimant_email"].strip().lower()
                return redirect("accounts:claim_sent")
        return self.get(request, form=form)


class ClaimSentView(View):
    def get(self, request: HttpRequest) -> HttpResponse:
        return render(request, "accounts/claim_sent.html", {"email": request.session.get("claim_email", "")})


class ClaimListView(OfficerMixin, View):
    def get(self, request: AuthenticatedRequest) -> HttpResponse:
        query = request.GET.get("q", "").strip()
        state = request.GET.get("state", ClaimState.OPEN)
        if state not in ClaimState.values:
            state = ClaimState.OPEN
        queryset = selectors.claims_visible_to(request.user, state=state, query=query)
        return render(
            request,
            "accounts/claim_list.html",
            {"page": paginate(request, queryset), "query": query, "state": state, "states": ClaimState},
        )


class ClaimDetailView(OfficerMixin, View):
    def get(
        self, request: AuthenticatedRequest, pk: int, form: ClaimDecisionForm | None = None
    ) -> HttpResponse:
        claim = selectors.claim_for(request.user, pk)
        can_decide, decide_reason = rules.can_decide_claim(request.user, claim)
        return render(
            request,
            "accounts/claim_detail.html",
            {
                "claim": claim,
                "organisation": claim.organisation,
                "claim_documents": document_rows(
                    {document.kind: document for document in claim.documents.order_by("uploaded_at", "id")}
                ),
                "documents": document_rows(verification.current_documents(claim.organisation)),
                "members": selectors.members_of(claim.organisation),
                "form": form or ClaimDecisionForm(),
                "can_decide": can_decide,
                "decide_reason": decide_reason,
            },
        )

    def post(self, request: AuthenticatedRequest, pk: int) -> HttpResponse:
        claim = selectors.claim_for(request.user, pk)
        form = ClaimDecisionForm(request.POST)
        if form.is_valid():
            try:
                claim = verification.decide_claim(
                    actor=request.user,
                    claim=claim,
                    uphold=form.cleaned_data["decision"] == "uphold",
                    reason=form.cleaned_data["reason"],
                )
            except AccountError as error:
                form_error_from(form, error)
            else:
                messages.success(
                    request,
                    _("认领申请：%(get_state_display)s。双方已收到通知。")
                    % {"get_state_display": claim.get_state_display()},
                )
                return redirect("accounts:claim_list")
        return self.get(request, pk, form=form)
