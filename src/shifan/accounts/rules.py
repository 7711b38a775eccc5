"""Permission checks that say why: each returns (allowed, reason) so a page can explain a
disabled button. Selectors decide what is visible; these decide what may be done."""

from shifan.accounts.models import Membership, Organisation, User

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
