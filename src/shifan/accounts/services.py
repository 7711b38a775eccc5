"""Every change to organisations, people and roles, each with its audit event.

Services take keyword-only arguments and an `actor`, run in one transaction, write the audit
event inside it, and queue mail for after the commit. They raise `AccountError` with a Chinese
message for anything a rule forbids; forms check the same rules first to show the message
beside the field.
"""

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.contrib.auth.tokens import default_token_generator
from django.core import signing
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from shifan.accounts import organisation_changes
from shifan.accounts.models import (
    DeclaredConflict,
    ExpertProfile,
    Invitation,
    Membership,
    Organisation,
    OrganisationChange,
    OrganisationNature,
    PastEmployment,
    Role,
    User,
)
from shifan.accounts.pool import ExpertRow, updates_for
from shifan.accounts.signals import expert_conflicts_changed
from shifan.core import reference, uscc
from shifan.core.mail import queue_mail
from shifan.core.services import record_event

INVITATION_VALID_DAYS = 7


class AccountError(Exception):
    """Raised when a change to organisations or accounts breaks a rule; `message` is for the user."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


def nature_from_credit_code(code: str) -> str:
    """Return the organisation nature implied by the registration authority (position 1)."""
    return {
        "9": OrganisationNature.ENTERPRISE,
        "1": OrganisationNature.INSTITUTION,
        "5": OrganisationNature.SOCIAL,
    }.get(code[:1], OrganisationNature.OTHER)


def duplicate_organisation_message(organisation: Organisation) -> str:
    return (
        f"统一社会信用代码 {organisation.credit_code} 已由“{organisation.name}”注册，"
        "一个代码只能注册一个单位。"
        "如您是该单位的申报人，请联系单位管理员在“本单位”页面邀请您加入；"
        "如该代码属于贵单位、注册人却未经贵单位授权，请提交认领申请。"
    )


def _former_member(email: str) -> User | None:
    """Return the deactivated account of someone removed from an organisation, free to be reused."""
    return User.objects.filter(
        email__iexact=email, role=Role.APPLICANT, is_active=False, membership__isnull=True
    ).first()


def check_email_free(email: str) -> None:
    """Refuse an e-mail address that belongs to an account in use."""
    if User.objects.filter(email__iexact=email).exists() and _former_member(email) is None:
        raise AccountError("该电子邮箱已有账号，请直接登录或使用其他邮箱。", field="email")


def _applicant_account(email: str, *, password: str, name: str, phone: str) -> User:
    """Create an applicant account, or reactivate the former member's account with this e-mail."""
    user = _former_member(email)
    if user is None:
        return User.objects.create_user(email, password, name=name, phone=phone, role=Role.APPLICANT)
    # An invitation proves the address it was sent to; registration marks it unverified again.
    user.name, user.phone, user.is_active, user.email_verified = name, phone, True, True
    user.set_password(password)
    user.save(update_fields=["name", "phone", "is_active", "email_verified", "password"])
    return user


def _set_password_link(user: User) -> str:
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    return reverse("accounts:password_reset_confirm", kwargs={"uidb64": uid, "token": token})


@transaction.atomic
def register_organisation(
    *,
    name: str,
    credit_code: str,
    city_code: str,
    county_code: str,
    address: str,
    contact_name: str,
    contact_phone: str,
    contact_email: str,
    admin_name: str,
    admin_email: str,
    admin_phone: str,
    admin_password: str,
    nature: str = "",
) -> Membership:
    """Register an organisation with its first member as administrator, both still unverified.

    The administrator cannot use the account before opening the link mailed to it
    (`verify_email`), and the organisation cannot submit before its city officer or the province
    has verified its documents (`shifan.accounts.verification`).
    """
    code = uscc.validate(credit_code)
    reference.city(city_code)
    if reference.county(county_code).city_code != city_code:
        raise AccountError("所选区县不属于所选城市。", field="county_code")
    existing = Organisation.objects.filter(credit_code=code).first()
    if existing is not None:
        raise AccountError(duplicate_organisation_message(existing), field="credit_code")
    check_email_free(admin_email)
    organisation = Organisation(
        name=name.strip(),
        credit_code=code,
        nature=nature or nature_from_credit_code(code),
        city_code=city_code,
        county_code=county_code,
        address=address.strip(),
        contact_name=contact_name.strip(),
        contact_phone=contact_phone.strip(),
        contact_email=contact_email.strip().lower(),
    )
    organisation.full_clean()
    try:
        # A savepoint, so that losing a race on the unique code leaves the transaction usable.
        with transaction.atomic():
            organisation.save()
    except IntegrityError as error:
        raise AccountError(
            duplicate_organisation_message(Organisation.objects.get(credit_code=code)), field="credit_code"
        ) from error
    user = _applicant_account(
        admin_email.strip().lower(),
        password=admin_password,
        name=admin_name.strip(),
        phone=admin_phone.strip(),
    )
    user.email_verified = False
    user.save(update_fields=["email_verified"])
    membership = Membership.objects.create(user=user, organisation=organisation, is_admin=True)
    warnings = [warning.message for warning in organisation.credit_code_warnings]
    record_event(
        actor=user,
        action="organisation.registered",
        target=organisation,
        organisation_id=organisation.pk,
        city_code=city_code,
        after={"credit_code": code, "city_code": city_code, "warnings": warnings},
    )
    _mail_email_link(user)
    return membership


# The link proves the address: it is signed with the site's secret over the account and the
# address, so it is worthless for any other account or once the address has changed.
EMAIL_LINK_SALT = "shifan.accounts.email-verification"
EMAIL_LINK_MAX_AGE = timedelta(days=3)


def email_verification_token(user: User) -> str:
    return signing.dumps({"user": user.pk, "email": user.email}, salt=EMAIL_LINK_SALT)


def _mail_email_link(user: User) -> None:
    link = reverse("accounts:email_verify", kwargs={"token": email_verification_token(user)})
    queue_mail(
        to=[user.email],
        subject="请验证您的电子邮箱：广东省服务型制造示范管理系统",
        template="accounts/mail/verify_email.txt",
        context={"user": user, "link": link, "days": EMAIL_LINK_MAX_AGE.days},
    )


def resend_email_verification(*, user: User) -> None:
    """Mail the link again to an account that has not opened it yet."""
    if user.email_verified:
        raise AccountError("您的电子邮箱已验证，无需再次验证。")
    _mail_email_link(user)


@transaction.atomic
def verify_email(*, token: str) -> User:
    """Mark the address of the account named by a mailed link verified; refuse a bad or old link."""
    try:
        data = signing.loads(token, salt=EMAIL_LINK_SALT, max_age=EMAIL_LINK_MAX_AGE)
    except signing.SignatureExpired as error:
        raise AccountError(
            f"验证链接已过期（{EMAIL_LINK_MAX_AGE.days}天内有效）。请登录后重新发送验证邮件。"
        ) from error
    except signing.BadSignature as error:
        raise AccountError("验证链接无效。请核对邮件中的链接是否完整，或登录后重新发送验证邮件。") from error
    user = (
        User.objects.select_for_update()
        .filter(pk=data.get("user"), email=data.get("email"), is_active=True)
        .first()
    )
    if user is None:
        raise AccountError("验证链接无效：该账号不存在或邮箱已更改。")
    if not user.email_verified:
        user.email_verified = True
        user.save(update_fields=["email_verified"])
        membership = Membership.objects.filter(user=user).select_related("organisation").first()
        record_event(
            actor=user,
            action="account.email_verified",
            target=user,
            organisation_id=membership.organisation_id if membership else None,
            city_code=membership.organisation.city_code if membership else "",
        )
    return user


ORGANISATION_EDITABLE_FIELDS = (
    "name",
    "nature",
    "city_code",
    "county_code",
    "address",
    "contact_name",
    "contact_phone",
    "contact_email",
)


@transaction.atomic
def update_organisation(*, actor: User, organisation: Organisation, **changes: str) -> Organisation:
    """Change an organisation's details; the credit code never changes."""
    unknown = set(changes) - set(ORGANISATION_EDITABLE_FIELDS)
    if unknown:
        raise TypeError(f"Not editable: {sorted(unknown)}")
    if not _is_admin_of(actor, organisation) and not actor.is_province_officer:
        raise AccountError("只有单位管理员可以修改单位信息。")
    city_code = changes.get("city_code", organisation.city_code)
    county_code = changes.get("county_code", organisation.county_code)
    if reference.county(county_code).city_code != city_code:
        raise AccountError("所选区县不属于所选城市。", field="county_code")
    reviewed = organisation_changes.reviewed_changes(organisation, changes)
    if reviewed and organisation_changes.needs_approval(organisation):
        raise AccountError(
            "本单位已通过核验或有申报书正在审核：单位名称、所在城市和区县的变更须经省工信厅核准，"
            "请写明变更理由后提交申请。",
            field=next(iter(reviewed)),
        )
    before = {key: getattr(organisation, key) for key in changes}
    for key, value in changes.items():
        setattr(organisation, key, value.strip() if isinstance(value, str) else value)
    organisation.full_clean()
    changed = {
        key: getattr(organisation, key) for key in changes if getattr(organisation, key) != before[key]
    }
    if not changed:
        return organisation
    organisation.save(update_fields=[*changed, "updated_at"])
    record_event(
        actor=actor,
        action="organisation.updated",
        target=organisation,
        organisation_id=organisation.pk,
        city_code=organisation.city_code,
        before={key: before[key] for key in changed},
        after=changed,
    )
    return organisation


@transaction.atomic
def edit_organisation(
    *, actor: User, organisation: Organisation, changes: dict[str, str], change_reason: str = ""
) -> OrganisationChange | None:
    """Save the administrator's edit of the organisation; return the change request it made, if any.

    Once the organisation is verified, or while an application of it is in review (or a unit of it
    is active), a new name, city or county becomes a request to the province
    (organisation_changes.request_change) and the other fields are saved at once; otherwise
    everything is saved at once.
    """
    reviewed = organisation_changes.reviewed_changes(organisation, changes)
    if not reviewed or not organisation_changes.needs_approval(organisation):
        update_organisation(actor=actor, organisation=organisation, **changes)
        return None
    direct = {key: value for key, value in changes.items() if key not in reviewed}
    try:
        change = organisation_changes.request_change(
            actor=actor, organisation=organisation, after=reviewed, reason=change_reason
        )
    except organisation_changes.ChangeRefused as error:
        raise AccountError(error.message, field=error.field) from error
    update_organisation(actor=actor, organisation=organisation, **direct)
    return change


@transaction.atomic
def override_region(*, actor: User, organisation: Organisation, region_key: str, reason: str) -> Organisation:
    """Set (or clear, with an empty key) the region an organisation counts in, with the reason."""
    if not actor.is_province_officer:
        raise AccountError("只有省工信厅可以调整单位所属区域。")
    if region_key and region_key not in {region.key for region in reference.regions()}:
        raise AccountError("未知区域。", field="region_key")
    if not reason.strip():
        raise AccountError("请填写调整理由。", field="reason")
    before = {"region": organisation.region_key, "override": organisation.region_override}
    organisation.region_override = region_key
    organisation.region_override_reason = reason.strip()
    organisation.save(update_fields=["region_override", "region_override_reason", "updated_at"])
    record_event(
        actor=actor,
        action="organisation.region_overridden",
        target=organisation,
        organisation_id=organisation.pk,
        city_code=organisation.city_code,
        reason=reason.strip(),
        before=before,
        after={"region": organisation.region_key, "override": region_key},
    )
    return organisation


def _is_admin_of(user: User, organisation: Organisation) -> bool:
    return Membership.objects.filter(user=user, organisation=organisation, is_admin=True).exists()


@transaction.atomic
def invite_member(*, actor: User, organisation: Organisation, email: str, name: str) -> Invitation:
    """Invite a person by e-mail to join the organisation as 申报人."""
    if not _is_admin_of(actor, organisation):
        raise AccountError("只有单位管理员可以邀请成员。")
    email = email.strip().lower()
    existing_user = User.objects.filter(email__iexact=email).first()
    if existing_user is not None and _former_member(email) is None:
        if Membership.objects.filter(user=existing_user, organisation=organisation).exists():
            raise AccountError("此人已是本单位成员。", field="email")
        raise AccountError(
            "该邮箱已注册为其他账号，一个账号只能属于一个单位，请使用其他邮箱。", field="email"
        )
    pending = organisation.invitations.filter(
        email__iexact=email, accepted_at=None, revoked_at=None, expires_at__gt=timezone.now()
    )
    if pending.exists():
        raise AccountError("已向该邮箱发出邀请，尚未接受。如需重发，请先撤销原邀请。", field="email")
    invitation = Invitation.objects.create(
        organisation=organisation,
        email=email,
        name=name.strip(),
        invited_by=actor,
        expires_at=timezone.now() + timedelta(days=INVITATION_VALID_DAYS),
    )
    record_event(
        actor=actor,
        action="member.invited",
        target=invitation,
        target_label=f"{name}（{email}）",
        organisation_id=organisation.pk,
        city_code=organisation.city_code,
    )
    queue_mail(
        to=[email],
        subject=f"{organisation.name} 邀请您加入广东省服务型制造示范申报",
        template="accounts/mail/invitation.txt",
        context={
            "invitation": invitation,
            "link": reverse("accounts:invitation_accept", kwargs={"token": invitation.token}),
            "days": INVITATION_VALID_DAYS,
        },
    )
    return invitation


@transaction.atomic
def revoke_invitation(*, actor: User, invitation: Invitation) -> Invitation:
    if not _is_admin_of(actor, invitation.organisation):
        raise AccountError("只有单位管理员可以撤销邀请。")
    if not invitation.is_pending:
        raise AccountError("该邀请已不是待接受状态，无需撤销。")
    invitation.revoked_at = timezone.now()
    invitation.save(update_fields=["revoked_at", "updated_at"])
    record_event(
        actor=actor,
        action="member.invitation_revoked",
        target=invitation,
        target_label=invitation.email,
        organisation_id=invitation.organisation_id,
        city_code=invitation.organisation.city_code,
    )
    return invitation


@transaction.atomic
def accept_invitation(*, invitation: Invitation, name: str, phone: str, password: str) -> Membership:
    """Create the invited person's account and membership."""
    invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
    if not invitation.is_pending:
        raise AccountError("该邀请已失效（已接受、已撤销或已过期），请联系单位管理员重新邀请。")
    check_email_free(invitation.email)
    user = _applicant_account(invitation.email, password=password, name=name.strip(), phone=phone.strip())
    membership = Membership.objects.create(user=user, organisation=invitation.organisation)
    invitation.accepted_at = timezone.now()
    invitation.save(update_fields=["accepted_at", "updated_at"])
    record_event(
        actor=user,
        action="member.joined",
        target=membership,
        target_label=str(user),
        organisation_id=invitation.organisation_id,
        city_code=invitation.organisation.city_code,
    )
    return membership


@transaction.atomic
def remove_member(*, actor: User, membership: Membership, reason: str = "") -> None:
    """Remove a member; the account is deactivated since it belongs to this organisation only."""
    organisation = membership.organisation
    if not _is_admin_of(actor, organisation):
        raise AccountError("只有单位管理员可以移除成员。")
    if membership.user_id == actor.pk:
        raise AccountError("不能移除自己。如需更换管理员，请先将管理员权限交给其他成员。")
    user = membership.user
    label = str(user)
    membership.delete()
    user.is_active = False
    user.save(update_fields=["is_active"])
    record_event(
        actor=actor,
        action="member.removed",
        target=user,
        target_label=label,
        organisation_id=organisation.pk,
        city_code=organisation.city_code,
        reason=reason,
    )


@transaction.atomic
def transfer_admin(*, actor: User, membership: Membership) -> Membership:
    """Make another member the organisation's administrator (one administrator at a time)."""
    organisation = membership.organisation
    if not _is_admin_of(actor, organisation):
        raise AccountError("只有单位管理员可以转交管理员权限。")
    if membership.user_id == actor.pk:
        raise AccountError("您已是单位管理员。")
    Membership.objects.filter(organisation=organisation, is_admin=True).update(is_admin=False)
    membership.is_admin = True
    membership.save(update_fields=["is_admin", "updated_at"])
    record_event(
        actor=actor,
        action="member.admin_transferred",
        target=membership.user,
        organisation_id=organisation.pk,
        city_code=organisation.city_code,
    )
    return membership


def _require_province(actor: User) -> None:
    if not actor.is_province_officer:
        raise AccountError("只有省工信厅可以管理官员和专家账号。")


def _send_activation(user: User, actor: User) -> None:
    queue_mail(
        to=[user.email],
        subject="您的广东省服务型制造示范管理系统账号已开通",
        template="accounts/mail/account_created.txt",
        context={"user": user, "actor": actor, "link": _set_password_link(user)},
    )


@transaction.atomic
def create_officer(
    *, actor: User, role: str, name: str, email: str, phone: str = "", city_code: str = ""
) -> User:
    """Create a city or province officer account; the person sets a password from the e-mailed link."""
    _require_province(actor)
    if role not in {Role.CITY_OFFICER, Role.PROVINCE_OFFICER}:
        raise AccountError("官员账号只能是地市工信局或省工信厅。", field="role")
    if role == Role.CITY_OFFICER:
        if not city_code:
            raise AccountError("地市工信局账号必须选择城市。", field="city_code")
        reference.city(city_code)
    else:
        city_code = ""
    email = email.strip().lower()
    check_email_free(email)
    user = User.objects.create_user(
        email, None, name=name.strip(), phone=phone.strip(), role=role, city_code=city_code
    )
    record_event(
        actor=actor,
        action="account.created",
        target=user,
        city_code=city_code,
        after={"role": role, "city_code": city_code},
    )
    _send_activation(user, actor)
    return user


@transaction.atomic
def create_expert(
    *,
    actor: User,
    name: str,
    email: str,
    phone: str,
    employer: str,
    employer_credit_code: str = "",
    city_code: str = "",
    title: str = "",
    expertise: Iterable[str] = (),
    industries: Iterable[str] = (),
) -> ExpertProfile:
    """Create an expert account with its profile."""
    _require_province(actor)
    email = email.strip().lower()
    check_email_free(email)
    code = uscc.validate(employer_credit_code) if employer_credit_code.strip() else ""
    user = User.objects.create_user(
        email, None, name=name.strip(), phone=phone.strip(), role=Role.EXPERT, city_code=city_code
    )
    profile = ExpertProfile.objects.create(
        user=user,
        employer=employer.strip(),
        employer_credit_code=code,
        city_code=city_code,
        title=title.strip(),
        expertise=sorted(set(expertise)),
        industries=sorted(set(industries)),
    )
    record_event(
        actor=actor,
        action="account.created",
        target=user,
        after={"role": Role.EXPERT, "employer": profile.employer, "employer_credit_code": code},
    )
    _send_activation(user, actor)
    return profile


EXPERT_EDITABLE_FIELDS = ("employer", "employer_credit_code", "city_code", "title", "expertise", "industries")
# Kept on the account rather than the profile. The city is on both: the account lists show it.
EXPERT_ACCOUNT_FIELDS = ("name", "phone")
# What the expert review compares with an application to find conflicts of interest.
CONFLICT_FIELDS = frozenset({"employer", "employer_credit_code", "city_code"})


def _conflicts_changed(*, actor: User, profile: ExpertProfile) -> None:
    """Tell the expert review (inside the transaction) that the expert's conflicts may have changed."""
    expert_conflicts_changed.send(sender=ExpertProfile, actor=actor, profile=profile)


def _require_self_or_province(actor: User, profile: ExpertProfile) -> None:
    if actor.pk != profile.user_id and not actor.is_province_officer:
        raise AccountError("只能修改自己的专家信息。")


def _clean_expert_changes(changes: Mapping[str, object]) -> dict[str, object]:
    cleaned: dict[str, object] = {}
    for key, value in changes.items():
        if key == "employer_credit_code":
            value = uscc.validate(str(value)) if str(value).strip() else ""
        elif key == "city_code" and value:
            try:
                reference.city(str(value))
            except KeyError as error:
                raise AccountError("未知城市，请从列表中选择。", field="city_code") from error
        elif key in {"expertise", "industries"}:
            value = sorted(set(value))  # type: ignore[call-overload]
        elif isinstance(value, str):
            value = value.strip()
        cleaned[key] = value
    return cleaned


def _change_expert(
    *, actor: User, profile: ExpertProfile, changes: Mapping[str, object], reason: str = ""
) -> dict[str, object]:
    """Apply changes to an expert's profile and account and audit them; return what changed."""
    user = profile.user
    before: dict[str, object] = {}
    changed: dict[str, object] = {}
    for key, value in _clean_expert_changes(changes).items():
        owner: Any = user if key in EXPERT_ACCOUNT_FIELDS else profile
        if getattr(owner, key) != value:
            before[key] = getattr(owner, key)
            changed[key] = value
            setattr(owner, key, value)
    if not changed:
        return changed
    profile_fields = [key for key in changed if key not in EXPERT_ACCOUNT_FIELDS]
    if profile_fields:
        profile.save(update_fields=[*profile_fields, "updated_at"])
    user_fields = [key for key in changed if key in EXPERT_ACCOUNT_FIELDS]
    if "city_code" in changed:
        user.city_code = profile.city_code
        user_fields.append("city_code")
    if user_fields:
        user.save(update_fields=user_fields)
    record_event(
        actor=actor,
        action="expert.profile_updated",
        target=user,
        reason=reason,
        before=before,
        after=changed,
    )
    return changed


@transaction.atomic
def update_expert_profile(*, actor: User, profile: ExpertProfile, **changes: object) -> ExpertProfile:
    """Change an expert's profile (the expert or a province officer)."""
    _require_self_or_province(actor, profile)
    unknown = set(changes) - set(EXPERT_EDITABLE_FIELDS)
    if unknown:
        raise TypeError(f"Not editable: {sorted(unknown)}")
    changed = _change_expert(actor=actor, profile=profile, changes=changes)
    if CONFLICT_FIELDS & changed.keys():
        _conflicts_changed(actor=actor, profile=profile)
    return profile


@transaction.atomic
def edit_expert(
    *,
    actor: User,
    profile: ExpertProfile,
    name: str,
    phone: str,
    employer: str,
    employer_credit_code: str,
    city_code: str,
    title: str,
    expertise: Iterable[str],
    industries: Iterable[str],
) -> ExpertProfile:
    """Change an expert's account and profile on the province's behalf."""
    _require_province(actor)
    if not name.strip():
        raise AccountError("请填写姓名。", field="name")
    changed = _change_expert(
        actor=actor,
        profile=profile,
        changes={
            "name": name,
            "phone": phone,
            "employer": employer,
            "employer_credit_code": employer_credit_code,
            "city_code": city_code,
            "title": title,
            "expertise": list(expertise),
            "industries": list(industries),
        },
    )
    if CONFLICT_FIELDS & changed.keys():
        _conflicts_changed(actor=actor, profile=profile)
    return profile


# The first year an earlier employment may have ended in; older ones no longer bear on conflicts.
FIRST_UNTIL_YEAR = 1950


def _record_past_employment(
    *, actor: User, profile: ExpertProfile, code: str, employer: str, until_year: int | None, reason: str = ""
) -> PastEmployment:
    try:
        # A savepoint, so that losing a race on the unique code leaves the transaction usable.
        with transaction.atomic():
            employment = PastEmployment.objects.create(
                expert=profile, employer=employer, credit_code=code, until_year=until_year
            )
    except IntegrityError as error:
        raise AccountError("已登记该曾任职单位。", field="credit_code") from error
    record_event(
        actor=actor,
        action="expert.past_employment_added",
        target=profile.user,
        reason=reason,
        after={"employer": employer, "credit_code": code, "until_year": until_year},
    )
    return employment


@transaction.atomic
def add_past_employment(
    *, actor: User, profile: ExpertProfile, employer: str, credit_code: str, until_year: int | None = None
) -> PastEmployment:
    """Record an organisation the expert worked for before (the expert or a province officer)."""
    _require_self_or_province(actor, profile)
    code = uscc.validate(credit_code)
    if code == profile.employer_credit_code:
        raise AccountError(
            "这是当前工作单位的信用代码，系统已按工作单位自动回避，无需再登记。", field="credit_code"
        )
    if profile.past_employments.filter(credit_code=code).exists():
        raise AccountError("已登记该曾任职单位。", field="credit_code")
    this_year = timezone.localdate().year
    if until_year is not None and not FIRST_UNTIL_YEAR <= until_year <= this_year:
        raise AccountError(f"离职年份应在 {FIRST_UNTIL_YEAR} 年至 {this_year} 年之间。", field="until_year")
    employer = employer.strip()
    if not employer:
        employer = Organisation.objects.filter(credit_code=code).values_list("name", flat=True).first() or ""
    if not employer:
        raise AccountError("请填写单位名称。", field="employer")
    employment = _record_past_employment(
        actor=actor, profile=profile, code=code, employer=employer, until_year=until_year
    )
    _conflicts_changed(actor=actor, profile=profile)
    return employment


@transaction.atomic
def remove_past_employment(*, actor: User, employment: PastEmployment) -> None:
    """Remove an earlier employment; fewer conflicts need no notice to the expert review."""
    profile = employment.expert
    _require_self_or_province(actor, profile)
    record_event(
        actor=actor,
        action="expert.past_employment_removed",
        target=profile.user,
        before={
            "employer": employment.employer,
            "credit_code": employment.credit_code,
            "until_year": employment.until_year,
        },
    )
    employment.delete()


@transaction.atomic
def declare_conflict(
    *, actor: User, profile: ExpertProfile, credit_code: str, organisation_name: str, reason: str
) -> DeclaredConflict:
    """Record an expert's own declaration of a conflict of interest with an organisation."""
    if actor.pk != profile.user_id:
        raise AccountError("回避申明只能由专家本人提出。")
    code = uscc.validate(credit_code)
    if profile.declared_conflicts.filter(credit_code=code).exists():
        raise AccountError("已申明对该单位回避。", field="credit_code")
    if not organisation_name.strip():
        known = Organisation.objects.filter(credit_code=code).values_list("name", flat=True).first()
        organisation_name = known or ""
    if not organisation_name:
        raise AccountError("请填写单位名称。", field="organisation_name")
    conflict = DeclaredConflict.objects.create(
        expert=profile, credit_code=code, organisation_name=organisation_name.strip(), reason=reason.strip()
    )
    record_event(
        actor=actor,
        action="expert.conflict_declared",
        target=conflict,
        reason=reason.strip(),
        after={"credit_code": code, "organisation_name": conflict.organisation_name},
    )
    _conflicts_changed(actor=actor, profile=profile)
    return conflict


@transaction.atomic
def withdraw_conflict(*, actor: User, conflict: DeclaredConflict) -> None:
    if actor.pk != conflict.expert.user_id:
        raise AccountError("回避申明只能由专家本人撤回。")
    record_event(
        actor=actor,
        action="expert.conflict_withdrawn",
        target=conflict,
        before={"credit_code": conflict.credit_code, "organisation_name": conflict.organisation_name},
    )
    conflict.delete()


@transaction.atomic
def set_account_active(*, actor: User, user: User, active: bool, reason: str) -> User:
    """Disable or re-enable an officer or expert account."""
    _require_province(actor)
    if user.pk == actor.pk:
        raise AccountError("不能停用自己的账号。")
    if not reason.strip():
        raise AccountError("请填写理由。", field="reason")
    if user.is_active == active:
        return user
    user.is_active = active
    user.save(update_fields=["is_active"])
    record_event(
        actor=actor,
        action="account.enabled" if active else "account.disabled",
        target=user,
        city_code=user.city_code,
        reason=reason.strip(),
    )
    return user


@dataclass(frozen=True)
class ImportResult:
    created: int
    updated: int
    unchanged: int


IMPORT_REASON = "批量导入专家名单"


def _add_imported_past_employments(
    *, actor: User, profile: ExpertProfile, codes: Iterable[str], names: Mapping[str, str]
) -> list[str]:
    """Record the listed earlier employers the expert does not have yet; return their codes."""
    known = set(profile.past_employments.values_list("credit_code", flat=True))
    added = []
    for code in codes:
        code = uscc.validate(code)
        if code in known or code == profile.employer_credit_code or code in added:
            continue
        _record_past_employment(
            actor=actor,
            profile=profile,
            code=code,
            employer=names.get(code, ""),
            until_year=None,
            reason=IMPORT_REASON,
        )
        added.append(code)
    return added


@transaction.atomic
def import_experts(
    *, actor: User, rows: Sequence[ExpertRow], file_name: str = "", skipped: int = 0
) -> ImportResult:
    """Add the experts of a checked list to the pool, updating those whose e-mail is already an expert's.

    New experts are created one by one through `create_expert` (the same audit event and
    set-password mail). An existing expert takes the row's values, except industries the list
    leaves empty, and the row's earlier employers are added to theirs. `skipped` is the number of
    rows left out for errors, kept with the counts in the audit event.
    """
    _require_province(actor)
    emails = [row.email.strip().lower() for row in rows]
    if len(set(emails)) != len(emails):
        raise AccountError("名单中有重复的电子邮箱，请修改后重新上传。")
    accounts = {user.email: user for user in User.objects.filter(email__in=emails)}
    past_codes = {code for row in rows for code in row.past_credit_codes}
    names = dict(Organisation.objects.filter(credit_code__in=past_codes).values_list("credit_code", "name"))
    created = updated = unchanged = 0
    for row, email in zip(rows, emails, strict=True):
        user = accounts.get(email)
        if user is None:
            profile = create_expert(
                actor=actor,
                name=row.name,
                email=email,
                phone=row.phone,
                employer=row.employer,
                employer_credit_code=row.employer_credit_code,
                city_code=row.city_code,
                title=row.title,
                expertise=row.expertise,
                industries=row.industries or (),
            )
            _add_imported_past_employments(
                actor=actor, profile=profile, codes=row.past_credit_codes, names=names
            )
            created += 1
            continue
        if not user.is_expert:
            raise AccountError(
                f"{email} 已是{user.get_role_display()}的账号，不能导入为专家。请修改名单后重新上传。"
            )
        profile, _new = ExpertProfile.objects.select_related("user").get_or_create(
            user=user, defaults={"employer": ""}
        )
        changes = updates_for(profile, row, past_codes=())
        changes.pop("past_credit_codes", None)
        changed = _change_expert(actor=actor, profile=profile, changes=changes, reason=IMPORT_REASON)
        added = _add_imported_past_employments(
            actor=actor, profile=profile, codes=row.past_credit_codes, names=names
        )
        if changed or added:
            updated += 1
        else:
            unchanged += 1
        if CONFLICT_FIELDS & changed.keys() or added:
            _conflicts_changed(actor=actor, profile=profile)
    record_event(
        actor=actor,
        action="expert.imported",
        target_label=file_name or "专家名单",
        after={"created": created, "updated": updated, "unchanged": unchanged, "skipped": skipped},
    )
    return ImportResult(created=created, updated=updated, unchanged=unchanged)
