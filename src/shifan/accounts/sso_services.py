"""What a verified login through an identity service means here: which account, or why none.

The provider proves who someone is; Shifan decides what they may do (roles stay here):

- an identity seen before opens the account it was linked to;
- an officer or expert is linked on the first login by the configured claim (`link_claim`, the
  e-mail address the province gave the account), never by a display name; without an account
  the login is refused and the page names whom to ask;
- a company (the `credit_code_claim` present) is bound to the organisation with that code: the
  organisation's administrator (or member) with the asserted address is linked and the
  organisation becomes verified by the assertion; a code with no organisation starts a pre-filled
  registration; a code registered by someone else and not verified goes to the claim process with
  the assertion as its evidence; a verified organisation's other people are invited by its
  administrator, as ever.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from shifan.accounts.models import (
    TWO_FACTOR_ROLES,
    ExternalIdentity,
    Membership,
    Organisation,
    SsoSession,
    User,
    VerificationState,
)
from shifan.accounts.sso import Provider
from shifan.core import uscc
from shifan.core.services import record_event


@dataclass(frozen=True)
class Assertion:
    """The verified claims of one login, in Shifan's terms (kept in the session between pages)."""

    provider: str
    subject: str
    name: str
    email: str
    email_verified: bool
    link_value: str
    credit_code: str
    organisation_name: str
    phone: str
    second_factor: bool
    sid: str

    @classmethod
    def from_claims(cls, provider: Provider, claims: Mapping[str, Any]) -> Assertion:
        link = claims.get(provider.link_claim)
        return cls(
            provider=provider.key,
            subject=str(claims.get("sub") or ""),
            name=provider.claim(claims, "name"),
            email=provider.claim(claims, "email").lower(),
            # Only an address the provider says it verified links an account: a provider that lets
            # people type their own address and says nothing must not open an officer's account.
            email_verified=claims.get("email_verified") is True,
            link_value="" if link is None else str(link).strip(),
            credit_code=str(claims.get(provider.credit_code_claim) or "").strip()
            if provider.credit_code_claim
            else "",
            organisation_name=provider.claim(claims, "organisation_name"),
            phone=provider.claim(claims, "phone"),
            second_factor=provider.asserts_second_factor(claims),
            sid=str(claims.get("sid") or ""),
        )

    def as_session(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_session(cls, data: Mapping[str, Any]) -> Assertion:
        return cls(**data)

    def evidence(self, provider: Provider) -> dict[str, Any]:
        """Return what a claim keeps of this login: enough to show an officer who asserted what."""
        return {
            "provider": self.provider,
            "provider_name": provider.name,
            "subject": self.subject,
            "name": self.name,
            "email": self.email,
            "credit_code": self.credit_code,
            "organisation_name": self.organisation_name,
            "asserted_at": timezone.now().isoformat(timespec="seconds"),
        }


@dataclass(frozen=True)
class Outcome:
    """Where a login leads: `login` (user), `refused` (message), `register` or `claim` (organisation)."""

    kind: str
    user: User | None = None
    message: str = ""
    organisation: Organisation | None = None


def _refused(message: str) -> Outcome:
    return Outcome("refused", message=message)


def _whom_to_ask(provider: Provider) -> str:
    return provider.contact or _("省工信厅系统管理员")


@transaction.atomic
def sign_in(*, provider: Provider, assertion: Assertion) -> Outcome:
    """Return where this verified login leads; link the identity when it is proven to be the account's."""
    if not assertion.subject:
        return _refused(_("%(provider)s未提供身份标识（sub），无法登录。") % {"provider": provider.name})
    identity = (
        ExternalIdentity.objects.select_related("user")
        .filter(provider=provider.key, subject=assertion.subject)
        .first()
    )
    if identity is not None:
        return _known_identity(provider, assertion, identity)
    if assertion.credit_code:
        return _company(provider, assertion)
    return _person(provider, assertion)


def _known_identity(provider: Provider, assertion: Assertion, identity: ExternalIdentity) -> Outcome:
    user = identity.user
    if not user.is_active:
        return _refused(_("您的账号已停用，请联系%(contact)s。") % {"contact": _whom_to_ask(provider)})
    if assertion.credit_code:
        membership = Membership.objects.select_related("organisation").filter(user=user).first()
        if membership is None or membership.organisation.credit_code != _code_or_blank(assertion.credit_code):
            return _refused(
                _(
                    "本次登录认证的统一社会信用代码与您账号所属单位不一致，无法登录。"
                    "如单位信息有误，请联系所在地市工信局。"
                )
            )
    ExternalIdentity.objects.filter(pk=identity.pk).update(last_login_at=timezone.now())
    return Outcome("login", user=user)


def _code_or_blank(raw: str) -> str:
    try:
        return uscc.validate(raw)
    except uscc.CreditCodeError:
        return ""


def _link(provider: Provider, assertion: Assertion, user: User) -> Outcome | None:
    """Link the identity to the account; return a refusal if the account has another identity there."""
    try:
        with transaction.atomic():
            ExternalIdentity.objects.create(
                provider=provider.key, subject=assertion.subject, user=user, last_login_at=timezone.now()
            )
    except IntegrityError:
        return _refused(
            _("您的账号已关联%(provider)s的另一个身份，不能再关联本身份。请联系%(contact)s。")
            % {"provider": provider.name, "contact": _whom_to_ask(provider)}
        )
    record_event(
        actor=user,
        action="account.sso_linked",
        target=user,
        after={"provider": provider.key, "subject": assertion.subject, "by": provider.link_claim},
    )
    return None


def _person(provider: Provider, assertion: Assertion) -> Outcome:
    ask = _whom_to_ask(provider)
    if not assertion.link_value or (provider.link_claim == "email" and not assertion.email_verified):
        return _refused(
            _("%(provider)s未提供已核实的%(claim)s，无法确认您在本系统的账号。请联系%(contact)s。")
            % {"provider": provider.name, "claim": provider.link_claim, "contact": ask}
        )
    user = User.objects.filter(email__iexact=assertion.link_value).first()
    if user is None:
        return _refused(
            _(
                "本系统没有与您的统一身份（%(identity)s）对应的账号。"
                "官员和评审专家的账号由省工信厅开通，请联系%(contact)s开通后再登录。"
            )
            % {"identity": assertion.link_value, "contact": ask}
        )
    if not user.is_active:
        return _refused(_("您的账号已停用，请联系%(contact)s。") % {"contact": ask})
    if user.role not in TWO_FACTOR_ROLES:
        return _refused(_("该身份对应的是申报单位账号，请通过企业身份认证登录，或使用账号密码登录。"))
    refusal = _link(provider, assertion, user)
    return refusal or Outcome("login", user=user)


def _company(provider: Provider, assertion: Assertion) -> Outcome:
    code = _code_or_blank(assertion.credit_code)
    if not code:
        return _refused(
            _("%(provider)s提供的统一社会信用代码“%(code)s”无效，无法登录。")
            % {"provider": provider.name, "code": assertion.credit_code[:40]}
        )
    organisation = Organisation.objects.filter(credit_code=code).first()
    if organisation is None:
        return Outcome("register")
    member = (
        Membership.objects.select_related("user")
        .filter(organisation=organisation, user__email__iexact=assertion.link_value, user__is_active=True)
        .first()
        if assertion.link_value and assertion.email_verified
        else None
    )
    if member is not None:
        refusal = _link(provider, assertion, member.user)
        if refusal is not None:
            return refusal
        verify_by_assertion(provider=provider, organisation=organisation, user=member.user)
        return Outcome("login", user=member.user)
    if not organisation.is_verified:
        return Outcome("claim", organisation=organisation)
    admin = organisation.memberships.filter(is_admin=True).select_related("user").first()
    admin_name = admin.user.name if admin else _("单位管理员")
    return _refused(
        _(
            "“%(organisation)s”已在本系统注册并核验，您不是该单位的成员。"
            "请联系本单位管理员（%(admin)s）在“本单位”页面以 %(email)s 邀请您加入，"
            "接受邀请后即可用企业身份认证登录。"
        )
        % {"organisation": organisation.name, "admin": admin_name, "email": assertion.email or _("您的邮箱")}
    )


def verify_by_assertion(*, provider: Provider, organisation: Organisation, user: User) -> None:
    """Mark the organisation verified: the business identity service asserted its code for this user.

    Only an organisation waiting for verification: an officer's 不予核验 or 退回补正 stands until an
    officer decides again, whatever a later login asserts."""
    if organisation.verification_state != VerificationState.PENDING:
        return
    # accounts.verification imports this module (a claim upheld links the claimant's identity).
    from shifan.accounts import verification

    before = organisation.verification_state
    verification.set_verification(
        organisation,
        VerificationState.VERIFIED,
        by=None,
        reason=f"经{provider.name}认证统一社会信用代码，免材料核验。",
    )
    record_event(
        actor=user,
        action="organisation.verified_by_sso",
        target=organisation,
        organisation_id=organisation.pk,
        city_code=organisation.city_code,
        before={"verification_state": before},
        after={"verification_state": VerificationState.VERIFIED, "provider": provider.key},
    )


@transaction.atomic
def bind_registered(*, provider: Provider, assertion: Assertion, membership: Membership) -> None:
    """After a pre-filled registration: link the identity and verify the organisation by the assertion.

    The administrator's address counts as verified when it is the address the provider verified.
    """
    user = membership.user
    ExternalIdentity.objects.create(
        provider=provider.key, subject=assertion.subject, user=user, last_login_at=timezone.now()
    )
    if assertion.email_verified and assertion.email and user.email == assertion.email:
        user.email_verified = True
        user.save(update_fields=["email_verified"])
    verify_by_assertion(provider=provider, organisation=membership.organisation, user=user)


def link_upheld_claimant(*, user: User, evidence: Mapping[str, Any]) -> None:
    """Link the identity a claim was filed with to the account its upholding opened."""
    if evidence.get("provider") and evidence.get("subject"):
        ExternalIdentity.objects.get_or_create(
            provider=evidence["provider"], subject=evidence["subject"], defaults={"user": user}
        )


def remember_session(*, provider: Provider, assertion: Assertion, session_key: str) -> None:
    SsoSession.objects.update_or_create(
        session_key=session_key,
        defaults={"provider": provider.key, "sid": assertion.sid, "subject": assertion.subject},
    )


def end_sessions(*, provider: Provider, sid: str, subject: str) -> int:
    """End the Shifan sessions opened with this provider session (`sid`), or all of `subject`'s."""
    from importlib import import_module

    from django.conf import settings

    rows = SsoSession.objects.filter(provider=provider.key)
    rows = rows.filter(sid=sid) if sid else rows.filter(subject=subject)
    keys = list(rows.values_list("session_key", flat=True))
    store = import_module(settings.SESSION_ENGINE).SessionStore
    for key in keys:
        store(session_key=key).delete()
    SsoSession.objects.filter(session_key__in=keys).delete()
    return len(keys)
