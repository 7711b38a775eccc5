"""Who an organisation is, proven: its documents, the city's verification, and claims on its code.

A credit code is public: anyone could register a real company's code first. So a self-registered
organisation starts unverified, and nothing it writes reaches an officer until a person who knows
the city has seen its papers:

    registered, 待核验 (documents awaited) ──hand in──▶ 待核验 (in the city's queue)
        ──verify──▶ 已核验
        ──return──▶ 退回补正 ──hand in again──▶ 待核验 …
        ──refuse──▶ 不予核验 (final)

The documents are the 营业执照 scan and the 授权书 naming the administrator (PDF, JPEG or PNG,
checked by their content); the verifier is the officer of the organisation's city or the
province. An unverified organisation may fill in applications but not submit them
(`applications.rules.can_submit`).

A company that finds its code taken files a claim (认领申请) with the same two documents and a
statement. The officer of the organisation's city (or the province) decides: upheld, the
claimant becomes the organisation's administrator and contact, the members before lose their
accounts and the organisation is verified; rejected, nothing changes. Both sides are told, and every step is
in the audit trail.
"""

from collections.abc import Iterable
from datetime import datetime

from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from shifan.accounts import rules
from shifan.accounts.models import (
    ClaimState,
    DocumentKind,
    Invitation,
    Membership,
    Organisation,
    OrganisationClaim,
    User,
    VerificationDocument,
    VerificationState,
)
from shifan.accounts.services import (
    AccountError,
    _applicant_account,
    _set_password_link,
    check_email_free,
)
from shifan.accounts.sso_services import link_upheld_claimant
from shifan.core import uscc
from shifan.core.filetypes import UploadRefused, content_type, read_checked
from shifan.core.mail import queue_mail
from shifan.core.notices import notify
from shifan.core.services import record_event

DOCUMENT_ACCEPT = ("pdf", "image")
# A scan of one or two pages: the other uploads of the project allow 20 MB for a whole book.
DOCUMENT_MAX_MB = 10
DOCUMENT_TYPES = frozenset({"application/pdf", "image/jpeg", "image/png"})
CONTACT_FIELDS = ("contact_name", "contact_phone", "contact_email")


class Decision:
    VERIFY = "verify"
    RETURN = "return"
    REFUSE = "refuse"


DECISION_STATES = {
    Decision.VERIFY: VerificationState.VERIFIED,
    Decision.RETURN: VerificationState.RETURNED,
    Decision.REFUSE: VerificationState.REFUSED,
}


def set_verification(organisation: Organisation, state: str, *, by: User | None, reason: str) -> None:
    """Store a verification conclusion on the organisation: its state, who and when, and the reason
    the applicant reads (`by` None: no officer, as when an identity service asserted the code)."""
    organisation.verification_state = state
    organisation.verified_by = by
    organisation.verified_at = timezone.now()
    organisation.verification_reason = reason
    organisation.save(
        update_fields=[
            "verification_state",
            "verified_by",
            "verified_at",
            "verification_reason",
            "updated_at",
        ]
    )


def _lock(organisation: Organisation) -> Organisation:
    return Organisation.objects.select_for_update().get(pk=organisation.pk)


def _require(verdict: tuple[bool, str]) -> None:
    allowed, reason = verdict
    if not allowed:
        raise AccountError(reason)


def _store(
    *,
    organisation: Organisation,
    kind: str,
    uploaded: UploadedFile,
    actor: User | None,
    claim: OrganisationClaim | None = None,
) -> VerificationDocument:
    """Check one scan by its content and store it under its hash; refuse it beside its field."""
    label = DocumentKind(kind).label
    try:
        checked = read_checked(
            uploaded, accept=DOCUMENT_ACCEPT, max_size_mb=DOCUMENT_MAX_MB, unnamed=str(label)
        )
        media_type = content_type(checked.data[:16], checked.kind)
        if media_type not in DOCUMENT_TYPES:
            raise UploadRefused("扫描件须为 PDF、JPEG 或 PNG 文件。")
    except UploadRefused as refusal:
        raise AccountError(f"{label}：{refusal.message}", field=kind) from refusal
    document = VerificationDocument(
        organisation=organisation,
        claim=claim,
        kind=kind,
        original_name=checked.name,
        sha256=checked.sha256,
        size=len(checked.data),
        content_type=media_type,
        uploaded_by=actor,
    )
    document.file.save(checked.sha256, ContentFile(checked.data), save=False)
    document.full_clean()
    document.save()
    return document


def current_documents(organisation: Organisation) -> dict[str, VerificationDocument]:
    """Return the organisation's latest document of each kind.

    Its own, handed in by its administrator; after an upheld claim, those the claim proved the
    organisation with, until the new administrator hands in others. What the members before the
    claim handed in is no longer the organisation's proof.
    """
    upheld = organisation.claims.filter(state=ClaimState.UPHELD).order_by("-decided_at").first()
    own = organisation.verification_documents.filter(claim=None)
    if upheld is not None:
        own = own.filter(uploaded_at__gt=upheld.decided_at)
    documents: dict[str, VerificationDocument] = {}
    for document in own.order_by("-uploaded_at", "-id"):
        documents.setdefault(document.kind, document)
    if upheld is not None:
        for document in upheld.documents.order_by("-uploaded_at", "-id"):
            documents.setdefault(document.kind, document)
    return documents


def _admins(organisation: Organisation) -> list[User]:
    return [m.user for m in organisation.memberships.select_related("user").filter(is_admin=True)]


def _document_record(document: VerificationDocument) -> dict[str, object]:
    return {"kind": document.kind, "name": document.original_name, "sha256": document.sha256}


@transaction.atomic
def hand_in_documents(
    *,
    actor: User,
    organisation: Organisation,
    licence: UploadedFile | None,
    authorisation: UploadedFile | None,
) -> Organisation:
    """Store the administrator's scans and, once both are there, put the organisation in the queue.

    A document already handed in may be left out: after a return the administrator replaces only
    what the officer asked for.
    """
    organisation = _lock(organisation)
    _require(rules.can_hand_in_documents(actor, organisation))
    uploads = {DocumentKind.LICENCE: licence, DocumentKind.AUTHORISATION: authorisation}
    current = current_documents(organisation)
    for kind, uploaded in uploads.items():
        if uploaded is None and kind not in current:
            raise AccountError(f"请上传{DocumentKind(kind).label}扫描件。", field=kind)
    if all(uploaded is None for uploaded in uploads.values()):
        raise AccountError("请至少上传一份新的扫描件。", field=DocumentKind.LICENCE)
    stored = [
        _store(organisation=organisation, kind=kind, uploaded=uploaded, actor=actor)
        for kind, uploaded in uploads.items()
        if uploaded is not None
    ]
    before = organisation.verification_state
    organisation.verification_state = VerificationState.PENDING
    organisation.verification_requested_at = timezone.now()
    organisation.save(update_fields=["verification_state", "verification_requested_at", "updated_at"])
    record_event(
        actor=actor,
        action="organisation.documents_handed_in",
        target=organisation,
        organisation_id=organisation.pk,
        city_code=organisation.city_code,
        before={"state": before},
        after={"state": organisation.verification_state, "documents": [_document_record(d) for d in stored]},
    )
    return organisation


@transaction.atomic
def decide_verification(
    *,
    actor: User,
    organisation: Organisation,
    decision: str,
    reason: str = "",
    documents_seen: list[int] | None = None,
) -> Organisation:
    """Verify the organisation, return its documents for correction, or refuse to verify it.

    `documents_seen`, the scans the officer's page showed, must still be the current ones: the
    administrator may hand in others while the page is open.
    """
    if decision not in DECISION_STATES:
        raise AccountError("请选择核验结论。", field="decision")
    reason = reason.strip()
    if decision != Decision.VERIFY and not reason:
        raise AccountError("退回或不予核验时，请写明理由，申报单位会看到。", field="reason")
    organisation = _lock(organisation)
    _require(rules.can_verify(actor, organisation))
    documents = current_documents(organisation)
    if documents_seen is not None and sorted(d.pk for d in documents.values()) != sorted(documents_seen):
        raise AccountError("打开本页后，申报单位已更换核验材料，请查看新材料后再作结论。")
    before = organisation.verification_state
    set_verification(organisation, DECISION_STATES[decision], by=actor, reason=reason)
    record_event(
        actor=actor,
        action=f"organisation.verification_{decision}",
        target=organisation,
        organisation_id=organisation.pk,
        city_code=organisation.city_code,
        reason=reason,
        before={"state": before},
        after={
            "state": organisation.verification_state,
            "documents": [_document_record(d) for d in documents.values()],
        },
    )
    state = organisation.get_verification_state_display()
    body = {
        Decision.VERIFY: "贵单位的营业执照和授权书已核验通过，现在可以提交申报书。",
        Decision.RETURN: f"贵单位的核验材料被退回补正，理由：{reason}\n"
        "请在“单位核验”页面重新上传后再次提交核验。",
        Decision.REFUSE: f"贵单位未通过核验，理由：{reason}\n"
        f"如有疑问，请联系{organisation.city.name}工业和信息化局。",
    }[decision]
    notify(
        recipients=_admins(organisation),
        title=f"单位核验结果：{state}",
        body=body,
        url=reverse("accounts:own_verification"),
    )
    return organisation


# Claims


def claimable_organisation(credit_code: str) -> Organisation:
    """Return the organisation registered under a code, for a claim; refuse a code not registered."""
    try:
        code = uscc.validate(credit_code)
    except uscc.CreditCodeError as error:
        raise AccountError(error.message, field="credit_code") from error
    organisation = Organisation.objects.filter(credit_code=code).first()
    if organisation is None:
        raise AccountError("该统一社会信用代码尚未注册，无需认领，请直接注册本单位。", field="credit_code")
    return organisation


@transaction.atomic
def file_claim(
    *,
    credit_code: str,
    organisation_name: str,
    claimant_name: str,
    claimant_email: str,
    claimant_phone: str,
    statement: str,
    licence: UploadedFile | None,
    authorisation: UploadedFile | None,
    sso_evidence: dict[str, object] | None = None,
) -> OrganisationClaim:
    """File a claim on a registered code; the claimant has no account, so the actor is the public.

    The two documents are required unless the claim comes with a business identity service's
    assertion of the code (`sso_evidence`, shifan.accounts.sso_services), which stands in for them.
    """
    if not sso_evidence and (licence is None or authorisation is None):
        raise AccountError("请上传营业执照和授权书扫描件。", field="licence")
    organisation = _lock(claimable_organisation(credit_code))
    email = claimant_email.strip().lower()
    try:
        check_email_free(email)
    except AccountError as error:
        raise AccountError(
            "该电子邮箱已是本系统的账号。认领成立后将为认领人新开账号，请使用未注册过的邮箱。",
            field="claimant_email",
        ) from error
    claim = OrganisationClaim(
        organisation=organisation,
        organisation_name=organisation_name.strip(),
        claimant_name=claimant_name.strip(),
        claimant_email=email,
        claimant_phone=claimant_phone.strip(),
        statement=statement.strip(),
        sso_evidence=sso_evidence or None,
    )
    claim.full_clean(validate_constraints=False)
    try:
        with transaction.atomic():
            claim.save()
    except IntegrityError as error:
        raise AccountError(
            "您已对该单位提交过认领申请，正在等待地市工信局处理，请勿重复提交。", field="claimant_email"
        ) from error
    stored = [
        _store(organisation=organisation, kind=kind, uploaded=uploaded, actor=None, claim=claim)
        for kind, uploaded in ((DocumentKind.LICENCE, licence), (DocumentKind.AUTHORISATION, authorisation))
        if uploaded is not None
    ]
    record_event(
        actor=None,
        action="organisation.claim_filed",
        target=claim,
        target_label=f"{organisation.name} ← {claim.organisation_name}（{claim.claimant_name}，{email}）",
        organisation_id=organisation.pk,
        city_code=organisation.city_code,
        after={
            "claimant_email": email,
            "organisation_name": claim.organisation_name,
            "verification_state": organisation.verification_state,
            "documents": [_document_record(d) for d in stored],
            "sso_evidence": claim.sso_evidence,
        },
    )
    queue_mail(
        to=[email],
        subject=f"认领申请已收到：{organisation.credit_code}",
        template="accounts/mail/claim_filed.txt",
        context={"claim": claim, "organisation": organisation},
    )
    return claim


def _remove_members(organisation: Organisation) -> list[User]:
    """Take the organisation from its members: memberships deleted, accounts closed, invitations revoked."""
    memberships = list(organisation.memberships.select_related("user"))
    users = [membership.user for membership in memberships]
    Membership.objects.filter(pk__in=[m.pk for m in memberships]).delete()
    User.objects.filter(pk__in=[user.pk for user in users]).update(is_active=False)
    Invitation.objects.filter(organisation=organisation, accepted_at=None, revoked_at=None).update(
        revoked_at=timezone.now()
    )
    return users


def _reject_claim(
    claim: OrganisationClaim, *, actor: User, organisation: Organisation, now: datetime, reason: str
) -> None:
    """Close a claim as not upheld, audited, and tell the claimant why."""
    claim.state, claim.decided_by, claim.decided_at, claim.decision_reason = (
        ClaimState.REJECTED,
        actor,
        now,
        reason,
    )
    claim.save(update_fields=["state", "decided_by", "decided_at", "decision_reason", "updated_at"])
    record_event(
        actor=actor,
        action="organisation.claim_rejected",
        target=claim,
        organisation_id=organisation.pk,
        city_code=organisation.city_code,
        reason=reason,
    )
    queue_mail(
        to=[claim.claimant_email],
        subject=f"认领申请未获支持：{organisation.credit_code}",
        template="accounts/mail/claim_decided.txt",
        context={"claim": claim, "organisation": organisation, "upheld": False},
    )


@transaction.atomic
def decide_claim(*, actor: User, claim: OrganisationClaim, uphold: bool, reason: str) -> OrganisationClaim:
    """Uphold a claim (the claimant becomes the administrator) or reject it, with the reason."""
    reason = reason.strip()
    if not reason:
        raise AccountError("请写明处理意见，双方都会看到。", field="reason")
    # The organisation first, then the claim: two decisions on claims of one code (which an upheld
    # one closes together) queue on the organisation instead of each holding a claim the other needs.
    organisation = _lock(claim.organisation)
    claim = OrganisationClaim.objects.select_for_update().get(pk=claim.pk)
    _require(rules.can_decide_claim(actor, claim))
    now = timezone.now()
    if not uphold:
        _reject_claim(claim, actor=actor, organisation=organisation, now=now, reason=reason)
        return claim
    claim.decided_by, claim.decided_at, claim.decision_reason = actor, now, reason

    check_email_free(claim.claimant_email)
    before_state = organisation.verification_state
    removed = _remove_members(organisation)
    # One code, one owner: the other open claims on it end with this decision.
    superseded = list(
        OrganisationClaim.objects.filter(organisation=organisation, state=ClaimState.OPEN).exclude(
            pk=claim.pk
        )
    )
    for other in superseded:
        _reject_claim(
            other,
            actor=actor,
            organisation=organisation,
            now=now,
            reason=f"同一代码的另一认领申请已获支持：{reason}",
        )
    user = _applicant_account(
        claim.claimant_email, password="", name=claim.claimant_name, phone=claim.claimant_phone
    )
    # No password until the claimant sets one through the mailed link, which also proves the address.
    user.set_unusable_password()
    user.email_verified = True
    user.save(update_fields=["password", "email_verified"])
    Membership.objects.create(user=user, organisation=organisation, is_admin=True)
    link_upheld_claimant(user=user, evidence=claim.sso_evidence or {})
    # The contact and the name were typed by whoever registered the code: the organisation is now
    # reached through the claimant, under the name on the licence the officer checked.
    contact_before = {key: getattr(organisation, key) for key in ("name", *CONTACT_FIELDS)}
    organisation.name = claim.organisation_name
    organisation.contact_name = claim.claimant_name
    organisation.contact_phone = claim.claimant_phone
    organisation.contact_email = claim.claimant_email
    organisation.verification_state = VerificationState.VERIFIED
    organisation.verified_by, organisation.verified_at = actor, now
    organisation.verification_reason = f"认领成立：{reason}"
    organisation.save(
        update_fields=[
            "name",
            *CONTACT_FIELDS,
            "verification_state",
            "verified_by",
            "verified_at",
            "verification_reason",
            "updated_at",
        ]
    )
    claim.state, claim.claimant = ClaimState.UPHELD, user
    claim.save(
        update_fields=["state", "decided_by", "decided_at", "decision_reason", "claimant", "updated_at"]
    )
    record_event(
        actor=actor,
        action="organisation.claim_upheld",
        target=claim,
        organisation_id=organisation.pk,
        city_code=organisation.city_code,
        reason=reason,
        before={
            "verification_state": before_state,
            "members": [{"id": u.pk, "email": u.email, "name": u.name} for u in removed],
            **contact_before,
        },
        after={
            "verification_state": organisation.verification_state,
            "admin": {"id": user.pk, "email": user.email},
            **{key: getattr(organisation, key) for key in ("name", *CONTACT_FIELDS)},
        },
    )
    queue_mail(
        to=[user.email],
        subject=f"认领申请已获支持：{organisation.name}",
        template="accounts/mail/claim_decided.txt",
        context={
            "claim": claim,
            "organisation": organisation,
            "upheld": True,
            "link": _set_password_link(user),
        },
    )
    _tell_removed(removed, organisation=organisation, reason=reason)
    return claim


def _tell_removed(users: Iterable[User], *, organisation: Organisation, reason: str) -> None:
    # Their accounts are closed, so a notice in the app would never be read: mail only.
    queue_mail(
        to=[user.email for user in users],
        subject=f"您已不再是“{organisation.name}”的申报人",
        template="accounts/mail/claim_members_removed.txt",
        context={"organisation": organisation, "reason": reason},
    )
