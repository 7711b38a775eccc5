"""Factories that build valid objects: credit codes pass every check, counties match cities."""

import hashlib

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
    VerificationState,
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
    # Verified, as every organisation registered before verification existed: tests of an
    # unverified organisation ask for one.
    verification_state = VerificationState.VERIFIED
    verified_at = factory.LazyFunction(timezone.now)


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


# Batches and applications -------------------------------------------------------------------

GUANGDONG_SPEC = "guangdong-2024.yaml"


def spec_text(name: str = GUANGDONG_SPEC) -> str:
    from django.conf import settings

    return (settings.SHIFAN_PROGRAMS_DIR / name).read_bytes().decode("utf-8")


class BatchFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "programs.Batch"

    name = "2024年广东省服务型制造示范征集"
    spec_key = "guangdong-2024"
    spec_version = "2024.1"
    spec_digest = factory.LazyFunction(lambda: hashlib.sha256(spec_text().encode()).hexdigest())
    spec_source_name = GUANGDONG_SPEC
    spec_text = factory.LazyFunction(spec_text)
    application_year = 2024
    opens_at = factory.LazyFunction(lambda: timezone.now() - timezone.timedelta(days=10))
    closes_at = factory.LazyFunction(lambda: timezone.now() + timezone.timedelta(days=20))
    city_deadline = factory.LazyFunction(lambda: timezone.now() + timezone.timedelta(days=40))
    quotas = factory.LazyFunction(lambda: {"enterprise": 40, "platform": 40})
    opened_by = factory.SubFactory(ProvinceOfficerFactory)


class ApplicationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "applications.Application"

    batch = factory.SubFactory(BatchFactory)
    organisation = factory.SubFactory(OrganisationFactory)
    category = "enterprise"
    answers = factory.LazyFunction(dict)
    created_by = factory.SubFactory(UserFactory)


def submitted(application, *, user=None, sequence=1):
    """Mark an application submitted with one snapshot, without going through the form checks."""
    from shifan.applications.models import ApplicationState, Snapshot, unit_columns
    from shifan.applications.services import submission_facts

    # The organisation's facts as the submission service records them.
    unit = submission_facts(application, application.snapshots.order_by("-sequence").first())
    for column, value in unit_columns(unit).items():
        setattr(application, column, value)
    application.state = ApplicationState.SUBMITTED
    application.number = application.number or f"GD-SMD-2024-E-{application.pk:04d}"
    application.submitted_at = timezone.now()
    application.save()
    attachments = [
        {"field": a.field_key, "name": a.original_name, "sha256": a.sha256, "size": a.size, "id": a.pk}
        for a in application.attachments.filter(removed_at=None)
    ]
    return Snapshot.objects.create(
        application=application,
        sequence=sequence,
        number=application.number,
        answers=application.answers,
        attachments=attachments,
        unit=unit,
        spec_key="guangdong-2024",
        spec_version="2024.1",
        spec_digest=application.batch.spec_digest,
        digest="0" * 64,
        version=application.version,
        submitted_by=user or application.created_by,
        submitted_at=timezone.now(),
    )


def attachment(application, *, field_key="intro", name="证明.pdf", data=b"%PDF-1.4\n%test\n"):
    import hashlib

    from django.core.files.base import ContentFile

    from shifan.applications.models import Attachment

    item = Attachment(
        application=application,
        field_key=field_key,
        original_name=name,
        kind="pdf",
        content_type="application/pdf",
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        uploaded_by=application.created_by,
    )
    item.file.save(item.sha256, ContentFile(data), save=False)
    item.save()
    return item


def city_letter(batch, city_code, *, data=b"%PDF-1.4\n%letter\n"):
    """A city's submission record with its sealed letter uploaded (not yet sent)."""
    import hashlib

    from django.core.files.base import ContentFile

    from shifan.reviews.models import CitySubmission

    submission = CitySubmission(batch=batch, city_code=city_code, letter_name="推荐函.pdf")
    submission.letter_sha256 = hashlib.sha256(data).hexdigest()
    submission.letter.save(submission.letter_sha256, ContentFile(data), save=False)
    submission.letter_uploaded_at = timezone.now()
    submission.save()
    return submission


class PastEmploymentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "accounts.PastEmployment"

    expert = factory.SubFactory(ExpertProfileFactory)
    employer = "原任职单位"
    credit_code = factory.Sequence(lambda n: credit_code_for("440600", 70000 + n))
    until_year = 2020


def many_submitted(batch, count, *, city_code="440100", start=0):
    """Return `count` submitted applications of as many organisations, made in bulk (a few queries).

    For the tests that pin a list page's query count at 1 and at 1,000 rows: every third one has
    a failed eligibility rule, every other one is a platform.
    """
    from shifan.applications.models import Application, ApplicationState, Snapshot, unit_columns, unit_facts

    county = reference.counties(city_code)[0].code
    creator = UserFactory()
    organisations = Organisation.objects.bulk_create(
        Organisation(
            name=f"批量测试制造{start + n}有限公司",
            credit_code=credit_code_for(city_code, 50000 + start + n),
            nature=OrganisationNature.ENTERPRISE,
            city_code=city_code,
            county_code=county,
            address="示范路1号",
            contact_name="联系人",
            contact_phone="020-12345678",
            contact_email=f"bulk{start + n}@example.com",
        )
        for n in range(count)
    )
    now = timezone.now()
    applications = Application.objects.bulk_create(
        Application(
            batch=batch,
            organisation=organisation,
            category="platform" if n % 2 else "enterprise",
            state=ApplicationState.SUBMITTED,
            number=f"GD-SMD-2024-B-{start + n:05d}",
            created_by=creator,
            submitted_at=now,
            **unit_columns(unit_facts(organisation)),
            eligibility_summary={"pass": 9, "fail": 1} if n % 3 == 0 else {"pass": 10},
        )
        for n, organisation in enumerate(organisations)
    )
    Snapshot.objects.bulk_create(
        Snapshot(
            application=application,
            sequence=1,
            number=application.number,
            answers={},
            unit=unit_facts(application.organisation),
            spec_key="guangdong-2024",
            spec_version="2024.1",
            spec_digest=batch.spec_digest,
            digest="0" * 64,
            version=0,
            submitted_by=creator,
            submitted_at=now,
        )
        for application in applications
    )
    return applications
