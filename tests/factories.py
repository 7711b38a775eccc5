"""Factories that build valid objects: credit codes pass every check, counties match cities."""

import factory
from django.utils import timezone

from shifan.accounts.models import (
    DeclaredConflict,
    ExpertProfile,
    Invitation,
    Membership,
    Organisation,
    OrganisationNature,
    Role,
    User,
)
from shifan.core import reference, uscc

PASSWORD = "Test-Passw0rd!"


def credit_code_for(city_code: str, serial: int, authority: str = "91") -> str:
    return uscc.compose(authority=authority, area=city_code, body=f"MA{serial:05d}T")


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@example.com")
    name = factory.Sequence(lambda n: f"测试用户{n}")
    role = Role.APPLICANT
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):  # noqa: N805
        if create:
            obj.save()


class ProvinceOfficerFactory(UserFactory):
    role = Role.PROVINCE_OFFICER
    name = factory.Sequence(lambda n: f"省厅{n}")


class CityOfficerFactory(UserFactory):
    role = Role.CITY_OFFICER
    city_code = "440100"
    name = factory.Sequence(lambda n: f"市局{n}")


class OrganisationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organisation

    name = factory.Sequence(lambda n: f"测试制造{n}有限公司")
    city_code = "440100"
    credit_code = factory.LazyAttributeSequence(lambda o, n: credit_code_for(o.city_code, n))
    nature = OrganisationNature.ENTERPRISE
    county_code = factory.LazyAttribute(lambda o: reference.counties(o.city_code)[0].code)
    address = "示范路1号"
    contact_name = "联系人"
    contact_phone = "020-12345678"
    contact_email = factory.Sequence(lambda n: f"contact{n}@example.com")


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    organisation = factory.SubFactory(OrganisationFactory)
    is_admin = False


class InvitationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Invitation

    organisation = factory.SubFactory(OrganisationFactory)
    email = factory.Sequence(lambda n: f"invitee{n}@example.com")
    name = "受邀人"
    invited_by = factory.SubFactory(UserFactory)
    expires_at = factory.LazyFunction(lambda: timezone.now() + timezone.timedelta(days=7))


class ExpertProfileFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ExpertProfile

    user = factory.SubFactory(UserFactory, role=Role.EXPERT)
    employer = "某大学"
    employer_credit_code = factory.Sequence(lambda n: credit_code_for("440100", 50000 + n, authority="12"))
    city_code = "440100"
    title = "教授"
    expertise = factory.LazyFunction(lambda: ["工业设计服务"])


class DeclaredConflictFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = DeclaredConflict

    expert = factory.SubFactory(ExpertProfileFactory)
    credit_code = factory.Sequence(lambda n: credit_code_for("440300", 60000 + n))
    organisation_name = "回避单位"
    reason = "曾任职"
