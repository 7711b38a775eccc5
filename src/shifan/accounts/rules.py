"""Permission checks that say why: each returns (allowed, reason) so a page can explain a
disabled button. Selectors decide what is visible; these decide what may be done."""

from shifan.accounts.models import (
    ClaimState,
    Membership,
    Organisation,
    OrganisationClaim,
    User,
    VerificationState,
)

Verdict = tuple[bool, str]


def can_manage_members(user: User, organisation: Organisation) -> Verdict:
    if not user.is_applicant:
        return False, "只有申报单位的管理员可以管理成员。"
    if not Membership.objects.filter(user=user, organisation=organisation, is_admin=True).exists():
        return False, "只有单位管理员可以邀请或移除成员，请联系本单位管理员。"
    return True, ""


def can_edit_organisation(user: User, organisation: Organisation) -> Verdict:
    if user.is_province_officer:
        return True, ""
    return can_manage_members(user, organisation)


def can_manage_accounts(user: User) -> Verdict:
    if not user.is_province_officer:
        return False, "只有省工信厅可以管理官员和专家账号。"
    return True, ""


def can_view_audit(user: User) -> Verdict:
    if not user.is_province_officer:
        return False, "只有省工信厅可以查看审计记录。"
    return True, ""


def can_override_region(user: User) -> Verdict:
    if not user.is_province_officer:
        return False, "只有省工信厅可以调整单位所属区域。"
    return True, ""


def _officer_of(user: User, city_code: str) -> bool:
    return user.is_province_officer or (user.is_city_officer and user.city_code == city_code)


def can_hand_in_documents(user: User, organisation: Organisation) -> Verdict:
    if not Membership.objects.filter(user=user, organisation=organisation, is_admin=True).exists():
        return False, "只有单位管理员可以上传营业执照和授权书。"
    if organisation.verification_state == VerificationState.VERIFIED:
        return False, "本单位已通过核验，无需再上传材料。"
    if organisation.verification_state == VerificationState.REFUSED:
        return False, "本单位未通过核验（不予核验），不能再提交材料；如有疑问，请联系所在地市工信局。"
    return True, ""


def can_verify(user: User, organisation: Organisation) -> Verdict:
    if not _officer_of(user, organisation.city_code):
        return False, "只有单位所在城市的地市工信局或省工信厅可以核验单位。"
    if organisation.verification_state != VerificationState.PENDING:
        return False, f"该单位{organisation.get_verification_state_display()}，现在无需核验。"
    if organisation.verification_requested_at is None:
        return False, "该单位尚未上传营业执照和授权书，暂不能核验。"
    return True, ""


def can_decide_claim(user: User, claim: OrganisationClaim) -> Verdict:
    if not _officer_of(user, claim.organisation.city_code):
        return False, "只有被认领单位所在城市的地市工信局或省工信厅可以处理认领申请。"
    if claim.state != ClaimState.OPEN:
        return False, f"该认领申请{claim.get_state_display()}，不能再处理。"
    return True, ""
