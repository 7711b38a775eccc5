from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from shifan.accounts import services
from shifan.accounts.models import Membership, Organisation, Role, User
from shifan.accounts.services import AccountError
from shifan.core import reference, uscc
from shifan.core.models import AuditEvent
from shifan.core.services import record_event
from tests import factories

pytestmark = pytest.mark.django_db


def register(**overrides):
    data = {
        "name": "广州示范制造有限公司",
        "credit_code": "91440101MA5CJQ4N59",
        "city_code": "440100",
        "county_code": reference.counties("440100")[0].code,
        "address": "广州市天河区示范路1号",
        "contact_name": "张三",
        "contact_phone": "020-88888888",
        "contact_email": "contact@example.com",
        "admin_name": "张三",
        "admin_email": "zhang@example.com",
        "admin_phone": "13800000000",
        "admin_password": factories.PASSWORD,
    }
    return services.register_organisation(**{**data, **overrides})


def test_register_creates_organisation_admin_and_audit_event():
    membership = register()
    organisation = membership.organisation
    assert membership.is_admin
    assert membership.user.role == Role.APPLICANT
    assert membership.user.check_password(factories.PASSWORD)
    assert organisation.nature == "enterprise"
    event = AuditEvent.objects.get(action="organisation.registered")
    assert event.actor == membership.user
    assert event.organisation_id == organisation.pk
    assert event.after["warnings"] == []


def test_register_normalises_lowercase_and_spaced_code():
    membership = register(credit_code=" 91440101ma5cjq4n59 ")
    assert membership.organisation.credit_code == "91440101MA5CJQ4N59"


def test_register_refuses_second_organisation_with_same_code_and_says_how_to_join():
    register()
    with pytest.raises(AccountError) as error:
        register(admin_email="other@example.com", name="冒名单位")
    assert error.value.field == "credit_code"
    assert "广州示范制造有限公司" in error.value.message
    assert "邀请" in error.value.message
    assert Organisation.objects.count() == 1
    assert not User.objects.filter(email="other@example.com").exists()


def test_register_refuses_wrong_check_character():
    with pytest.raises(uscc.CreditCodeError):
        register(credit_code="91440101MA5CJQ4N58")


def test_register_refuses_county_of_another_city():
    with pytest.raises(AccountError) as error:
        register(county_code=reference.counties("440300")[0].code)
    assert error.value.field == "county_code"


def test_register_accepts_code_from_outside_guangdong_with_warning_recorded():
    code = uscc.compose(authority="91", area="110108", body="MA00001X")
    membership = register(credit_code=code)
    warnings = membership.organisation.credit_code_warnings
    assert [w.code for w in warnings] == ["outside_guangdong"]
    event = AuditEvent.objects.get(action="organisation.registered")
    assert event.after["warnings"] == [warnings[0].message]


def test_register_accepts_platform_operator_that_is_an_institution():
    membership = register(credit_code="12440000455600002G", nature="")
    assert membership.organisation.nature == "institution"


def test_register_refuses_email_already_used():
    factories.UserFactory(email="zhang@example.com")
    with pytest.raises(AccountError) as error:
        register()
    assert error.value.field == "email"
    assert Organisation.objects.count() == 0


def test_invite_and_accept_makes_a_member(
    applicant_admin, organisation, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        invitation = services.invite_member(
            actor=applicant_admin, organisation=organisation, email="New@Example.com", name="李四"
        )
    assert invitation.email == "new@example.com"
    assert len(mailoutbox) == 1
    assert invitation.token in mailoutbox[0].body
    membership = services.accept_invitation(
        invitation=invitation, name="李四", phone="13900000000", password=factories.PASSWORD
    )
    assert membership.organisation == organisation
    assert not membership.is_admin
    invitation.refresh_from_db()
    assert invitation.accepted_at is not None
    assert AuditEvent.objects.filter(action="member.joined", organisation_id=organisation.pk).exists()


def test_invite_refused_for_a_member_who_is_not_admin(organisation):
    member = factories.MembershipFactory(organisation=organisation).user
    with pytest.raises(AccountError):
        services.invite_member(actor=member, organisation=organisation, email="x@example.com", name="X")


def test_invite_refused_for_someone_in_another_organisation(applicant_admin, organisation):
    other = factories.MembershipFactory().user
    with pytest.raises(AccountError) as error:
        services.invite_member(actor=applicant_admin, organisation=organisation, email=other.email, name="X")
    assert "一个账号只能属于一个单位" in error.value.message


def test_invite_refused_twice_while_pending(applicant_admin, organisation):
    services.invite_member(actor=applicant_admin, organisation=organisation, email="x@example.com", name="X")
    with pytest.raises(AccountError):
        services.invite_member(
            actor=applicant_admin, organisation=organisation, email="x@example.com", name="X"
        )


def test_expired_or_revoked_invitation_cannot_be_accepted(applicant_admin, organisation):
    expired = factories.InvitationFactory(
        organisation=organisation,
        invited_by=applicant_admin,
        expires_at=timezone.now() - timedelta(minutes=1),
    )
    with pytest.raises(AccountError):
        services.accept_invitation(invitation=expired, name="X", phone="1", password=factories.PASSWORD)
    pending = factories.InvitationFactory(organisation=organisation, invited_by=applicant_admin)
    services.revoke_invitation(actor=applicant_admin, invitation=pending)
    with pytest.raises(AccountError):
        services.accept_invitation(invitation=pending, name="X", phone="1", password=factories.PASSWORD)


def test_remove_member_deactivates_account(applicant_admin, organisation):
    member = factories.MembershipFactory(organisation=organisation)
    services.remove_member(actor=applicant_admin, membership=member, reason="离职")
    user = User.objects.get(pk=member.user_id)
    assert not user.is_active
    assert not Membership.objects.filter(pk=member.pk).exists()
    assert AuditEvent.objects.get(action="member.removed").reason == "离职"


def test_admin_cannot_remove_self(applicant_admin):
    with pytest.raises(AccountError):
        services.remove_member(actor=applicant_admin, membership=applicant_admin.membership)


def test_transfer_admin_leaves_one_admin(applicant_admin, organisation):
    member = factories.MembershipFactory(organisation=organisation)
    services.transfer_admin(actor=applicant_admin, membership=member)
    admins = list(organisation.memberships.filter(is_admin=True).values_list("user_id", flat=True))
    assert admins == [member.user_id]


def test_create_city_officer_needs_province_and_city(
    province_officer, city_officer, mailoutbox, django_capture_on_commit_callbacks
):
    with pytest.raises(AccountError):
        services.create_officer(actor=city_officer, role=Role.CITY_OFFICER, name="X", email="x@example.com")
    with pytest.raises(AccountError) as error:
        services.create_officer(
            actor=province_officer, role=Role.CITY_OFFICER, name="X", email="x@example.com"
        )
    assert error.value.field == "city_code"
    with django_capture_on_commit_callbacks(execute=True):
        user = services.create_officer(
            actor=province_officer,
            role=Role.CITY_OFFICER,
            name="X",
            email="X@example.com",
            city_code="440300",
        )
    assert user.city_code == "440300"
    assert not user.has_usable_password()
    assert "password/reset/" in mailoutbox[0].body


def test_create_officer_refuses_applicant_role(province_officer):
    with pytest.raises(AccountError):
        services.create_officer(actor=province_officer, role=Role.APPLICANT, name="X", email="x@example.com")


def test_create_expert_with_profile(province_officer):
    profile = services.create_expert(
        actor=province_officer,
        name="专家",
        email="e@example.com",
        phone="1",
        employer="华南理工大学",
        employer_credit_code="12440000455600002g",
        city_code="440100",
        expertise=["工业设计服务", "工业设计服务"],
    )
    assert profile.user.role == Role.EXPERT
    assert profile.employer_credit_code == "12440000455600002G"
    assert profile.expertise == ["工业设计服务"]


def test_expert_declares_and_withdraws_conflict(expert, organisation):
    profile = expert.expert_profile
    conflict = services.declare_conflict(
        actor=expert,
        profile=profile,
        credit_code=organisation.credit_code,
        organisation_name="",
        reason="曾任职",
    )
    assert conflict.organisation_name == organisation.name
    with pytest.raises(AccountError):
        services.declare_conflict(
            actor=expert,
            profile=profile,
            credit_code=organisation.credit_code,
            organisation_name="",
            reason="x",
        )
    services.withdraw_conflict(actor=expert, conflict=conflict)
    assert not profile.declared_conflicts.exists()


def test_conflict_declared_only_by_the_expert_in_person(province_officer, expert, organisation):
    with pytest.raises(AccountError):
        services.declare_conflict(
            actor=province_officer,
            profile=expert.expert_profile,
            credit_code=organisation.credit_code,
            organisation_name="",
            reason="x",
        )


def test_region_override_needs_reason_and_changes_region(province_officer):
    shanwei = factories.OrganisationFactory(city_code="441500")
    assert shanwei.region_key == "east"
    with pytest.raises(AccountError):
        services.override_region(actor=province_officer, organisation=shanwei, region_key="prd", reason=" ")
    services.override_region(
        actor=province_officer, organisation=shanwei, region_key="prd", reason="深汕特别合作区"
    )
    shanwei.refresh_from_db()
    assert shanwei.region_key == "prd"
    assert shanwei.region_name == "珠三角"
    event = AuditEvent.objects.get(action="organisation.region_overridden")
    assert event.before["region"] == "east"
    assert event.after["region"] == "prd"


def test_region_override_only_by_province(city_officer, organisation):
    with pytest.raises(AccountError):
        services.override_region(actor=city_officer, organisation=organisation, region_key="prd", reason="x")


def test_update_organisation_records_before_and_after(applicant_admin, organisation):
    services.update_organisation(actor=applicant_admin, organisation=organisation, address="新地址")
    event = AuditEvent.objects.get(action="organisation.updated")
    assert event.before == {"address": "示范路1号"}
    assert event.after == {"address": "新地址"}


def test_set_account_active_needs_reason(province_officer, city_officer):
    with pytest.raises(AccountError):
        services.set_account_active(actor=province_officer, user=city_officer, active=False, reason="")
    services.set_account_active(actor=province_officer, user=city_officer, active=False, reason="调岗")
    city_officer.refresh_from_db()
    assert not city_officer.is_active


def test_audit_events_are_append_only(province_officer):
    with transaction.atomic():
        event = record_event(actor=province_officer, action="test.done")
    with pytest.raises(TypeError):
        event.save()
    with pytest.raises(TypeError):
        event.delete()
    with pytest.raises(TypeError):
        AuditEvent.objects.all().delete()
    with pytest.raises(TypeError):
        AuditEvent.objects.update(reason="x")


@pytest.mark.django_db(transaction=True)
def test_record_event_refuses_to_run_outside_a_transaction(province_officer):
    with pytest.raises(RuntimeError):
        record_event(actor=province_officer, action="test.done")


def test_removed_member_can_be_invited_again(applicant_admin, organisation):
    member = factories.MembershipFactory(organisation=organisation)
    email = member.user.email
    services.remove_member(actor=applicant_admin, membership=member)
    invitation = services.invite_member(
        actor=applicant_admin, organisation=organisation, email=email, name="回来"
    )
    membership = services.accept_invitation(
        invitation=invitation, name="回来", phone="1", password="Back-Again-2024!"
    )
    assert membership.user_id == member.user_id
    assert membership.user.is_active
    assert membership.user.check_password("Back-Again-2024!")


def test_removed_member_can_register_a_new_organisation():
    first = register()
    member = factories.MembershipFactory(organisation=first.organisation)
    services.remove_member(actor=first.user, membership=member)
    second = register(
        credit_code="91440300MA5F000181",
        city_code="440300",
        county_code=reference.counties("440300")[0].code,
        admin_email=member.user.email,
    )
    assert second.user_id == member.user_id
    assert second.is_admin
