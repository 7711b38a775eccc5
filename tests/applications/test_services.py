import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from shifan.applications import services
from shifan.applications.models import ApplicationState, Revision
from shifan.applications.services import ApplicationError, SubmissionIncomplete
from shifan.core.models import AuditEvent
from shifan.demo.answers import complete_answers
from tests import factories

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


@pytest.fixture
def batch(db):
    return factories.BatchFactory()


@pytest.fixture
def application(batch, applicant_admin):
    return services.start_application(actor=applicant_admin, batch=batch, category="enterprise")


def test_start_prefills_what_is_known(application, organisation):
    answers = application.answers
    assert answers["company_name"] == organisation.name
    assert answers["credit_code"] == organisation.credit_code
    assert application.version == 0
    assert application.revisions.count() == 1
    assert AuditEvent.objects.filter(action="application.started").exists()


def test_start_refuses_a_second_application_of_the_same_category(application, batch, applicant_admin):
    with pytest.raises(ApplicationError):
        services.start_application(actor=applicant_admin, batch=batch, category="enterprise")
    platform = services.start_application(actor=applicant_admin, batch=batch, category="platform")
    assert platform.category == "platform"


def test_start_refuses_a_closed_batch(applicant_admin):
    closed = factories.BatchFactory(
        opens_at=timezone.now() - timezone.timedelta(days=30),
        closes_at=timezone.now() - timezone.timedelta(days=1),
    )
    with pytest.raises(ApplicationError):
        services.start_application(actor=applicant_admin, batch=closed, category="enterprise")


def test_save_bumps_version_and_keeps_a_revision(application, applicant_admin):
    result = services.save_answers(
        actor=applicant_admin, application=application, base_version=0, values={"main_business": "装备制造"}
    )
    assert result.version == 1
    assert result.applied == ["main_business"]
    application.refresh_from_db()
    assert application.answers["main_business"] == "装备制造"
    assert Revision.objects.get(application=application, version=1).values == {"main_business": "装备制造"}


def test_two_saves_from_the_same_old_version_one_wins_one_is_refused_nothing_lost(
    application, applicant_admin, organisation
):
    colleague = factories.MembershipFactory(organisation=organisation).user
    first = services.save_answers(
        actor=applicant_admin,
        application=application,
        base_version=0,
        values={"main_business": "甲的内容"},
        client_id="a",
    )
    second = services.save_answers(
        actor=colleague,
        application=application,
        base_version=0,
        values={"main_business": "乙的内容"},
        client_id="b",
    )
    assert first.applied == ["main_business"]
    assert second.applied == []
    [conflict] = second.conflicts
    assert conflict.field_key == "main_business"
    assert conflict.their_value == "甲的内容"
    assert conflict.saved_by == applicant_admin.name
    application.refresh_from_db()
    assert application.answers["main_business"] == "甲的内容"
    # Keeping one's own value is a new save from the current version: it goes through.
    kept = services.save_answers(
        actor=colleague,
        application=application,
        base_version=second.version,
        values={"main_business": "乙的内容"},
        client_id="b",
    )
    assert kept.applied == ["main_business"]
    history = list(application.revisions.order_by("version").values_list("values", flat=True))
    assert {"main_business": "甲的内容"} in history
    assert {"main_business": "乙的内容"} in history


def test_a_save_given_an_old_copy_decides_on_the_stored_application(
    application, applicant_admin, organisation
):
    colleague = factories.MembershipFactory(organisation=organisation).user
    before = application.answers.get("main_business")
    revisions = application.revisions.count()

    def save(actor, value, client_id):
        return services.save_answers(
            actor=actor,
            application=application,
            base_version=0,
            values={"main_business": value},
            client_id=client_id,
        )

    first = save(applicant_admin, "甲", "a")
    # The save answers with its own copy; the caller's stays as read, an old copy now.
    assert (first.application.version, application.version) == (1, 0)
    # A change against the old copy: its version is no longer the stored one, so it is decided again.
    changed = save(colleague, "乙", "b")
    # No change against the old copy, but one against what is stored: not confirmed as saved.
    unchanged = save(colleague, before, "b")
    for result in (changed, unchanged):
        assert result.applied == []
        assert [conflict.their_value for conflict in result.conflicts] == ["甲"]
        assert result.version == 1
    application.refresh_from_db()
    assert application.answers["main_business"] == "甲"
    assert application.revisions.count() == revisions + 1


def test_saves_of_different_fields_from_the_same_version_both_apply(
    application, applicant_admin, organisation
):
    colleague = factories.MembershipFactory(organisation=organisation).user
    services.save_answers(
        actor=applicant_admin,
        application=application,
        base_version=0,
        values={"main_business": "甲"},
        client_id="a",
    )
    result = services.save_answers(
        actor=colleague,
        application=application,
        base_version=0,
        values={"legal_representative": "乙"},
        client_id="b",
    )
    assert result.conflicts == []
    application.refresh_from_db()
    assert application.answers["main_business"] == "甲"
    assert application.answers["legal_representative"] == "乙"


def test_a_page_never_conflicts_with_itself(application, applicant_admin):
    services.save_answers(
        actor=applicant_admin,
        application=application,
        base_version=0,
        values={"main_business": "1"},
        client_id="same",
    )
    result = services.save_answers(
        actor=applicant_admin,
        application=application,
        base_version=0,
        values={"main_business": "2"},
        client_id="same",
    )
    assert result.conflicts == []
    assert result.applied == ["main_business"]


def test_restore_an_earlier_revision(application, applicant_admin):
    services.save_answers(
        actor=applicant_admin, application=application, base_version=0, values={"main_business": "第一稿"}
    )
    services.save_answers(
        actor=applicant_admin, application=application, base_version=1, values={"main_business": "第二稿"}
    )
    services.restore_revision(actor=applicant_admin, application=application, version=1)
    application.refresh_from_db()
    assert application.answers["main_business"] == "第一稿"
    assert application.version == 3
    assert application.revisions.get(version=3).restored_from == 1


def test_attachment_checked_by_content(application, applicant_admin):
    good = services.add_attachment(
        actor=applicant_admin,
        application=application,
        field_key="intro",
        uploaded=SimpleUploadedFile("介绍.pdf", PDF),
        title="介绍",
    )
    assert good.kind == "pdf"
    assert len(good.sha256) == 64
    with pytest.raises(ApplicationError) as refusal:
        services.add_attachment(
            actor=applicant_admin,
            application=application,
            field_key="intro",
            uploaded=SimpleUploadedFile("伪装.pdf", b"MZ\x90\x00 not a pdf at all"),
            title="伪装",
        )
    assert "PDF" in refusal.value.message


@pytest.mark.parametrize(
    ("title", "message"),
    [("", "请先填写附件标题"), ("  \t ", "请先填写附件标题"), ("字" * 101, "不超过 100 个字")],
)
def test_attachment_needs_a_title_of_reasonable_length(application, applicant_admin, title, message):
    with pytest.raises(ApplicationError) as refusal:
        services.add_attachment(
            actor=applicant_admin,
            application=application,
            field_key="intro",
            uploaded=SimpleUploadedFile("介绍.pdf", PDF),
            title=title,
        )
    assert message in refusal.value.message
    assert refusal.value.field == "intro"
    assert not application.attachments.exists()


def test_attachment_title_is_stored_with_inner_spaces_collapsed(application, applicant_admin):
    stored = services.add_attachment(
        actor=applicant_admin,
        application=application,
        field_key="intro",
        uploaded=SimpleUploadedFile("scan001.pdf", PDF),
        title="  =营业执照   副本 ",
    )
    assert stored.title == "=营业执照 副本"
    assert stored.record()["title"] == "=营业执照 副本"


def complete(application, user):
    answers = complete_answers(application.form)
    services.save_answers(
        actor=user, application=application, base_version=application.version, values=answers
    )
    application.refresh_from_db()
    # One evidence file beside the first written answer that takes files: snapshots list their hashes.
    evidence = next(form_field for form_field in application.form.fields() if form_field.attachments)
    services.add_attachment(
        actor=user,
        application=application,
        field_key=evidence.key,
        uploaded=SimpleUploadedFile("佐证材料.pdf", PDF),
        title="佐证材料",
    )
    return application


def test_submit_refuses_missing_fields_and_lists_them(application, applicant_admin):
    with pytest.raises(SubmissionIncomplete) as incomplete:
        services.submit_application(actor=applicant_admin, application=application)
    missing_keys = {form_field.key for _section, form_field in incomplete.value.missing}
    assert {"registration_type", "operating", "commitment", "intro"} <= missing_keys
    assert "company_name" not in missing_keys  # pre-filled


@pytest.mark.parametrize("category", ["enterprise", "platform"])
def test_submit_freezes_a_snapshot_with_number_and_digest(
    batch, applicant_admin, category, mailoutbox, django_capture_on_commit_callbacks
):
    application = services.start_application(actor=applicant_admin, batch=batch, category=category)
    complete(application, applicant_admin)
    with django_capture_on_commit_callbacks(execute=True):
        snapshot = services.submit_application(actor=applicant_admin, application=application)
    application.refresh_from_db()
    code = "E" if category == "enterprise" else "P"
    assert application.state == ApplicationState.SUBMITTED
    assert application.number == f"GD-SMD-2024-{code}-0001"
    assert snapshot.number == application.number
    assert len(snapshot.digest) == 64
    assert snapshot.spec_version == "2024.1"
    assert snapshot.answers["operating"]["service_share"]["2023"] == "30.00"
    assert any(item["sha256"] for item in snapshot.attachments)
    assert application.number in mailoutbox[0].subject


def test_double_submit_makes_one_snapshot(application, applicant_admin):
    complete(application, applicant_admin)
    first = services.submit_application(actor=applicant_admin, application=application)
    again = services.submit_application(actor=applicant_admin, application=application)
    assert first.pk == again.pk
    assert application.snapshots.count() == 1


def test_submitted_application_is_read_only(application, applicant_admin):
    complete(application, applicant_admin)
    services.submit_application(actor=applicant_admin, application=application)
    application.refresh_from_db()
    with pytest.raises(ApplicationError):
        services.save_answers(
            actor=applicant_admin,
            application=application,
            base_version=application.version,
            values={"main_business": "x"},
        )


def test_submit_refused_after_the_deadline(application, applicant_admin, batch):
    complete(application, applicant_admin)
    batch.closes_at = timezone.now() - timezone.timedelta(minutes=1)
    batch.opens_at = timezone.now() - timezone.timedelta(days=5)
    batch.save()
    application.refresh_from_db()
    with pytest.raises(ApplicationError) as refusal:
        services.submit_application(actor=applicant_admin, application=application)
    assert "现在不能提交" in refusal.value.message


def test_withdraw_then_resubmit_keeps_the_number_and_adds_a_snapshot(application, applicant_admin):
    complete(application, applicant_admin)
    first = services.submit_application(actor=applicant_admin, application=application)
    services.withdraw_application(actor=applicant_admin, application=application, reason="补充材料")
    application.refresh_from_db()
    assert application.state == ApplicationState.WITHDRAWN
    services.save_answers(
        actor=applicant_admin,
        application=application,
        base_version=application.version,
        values={"main_business": "补充后的主营业务"},
    )
    second = services.submit_application(actor=applicant_admin, application=application)
    assert second.sequence == 2
    assert second.number == first.number
    assert second.digest != first.digest


def test_numbers_count_per_category(batch, applicant_admin):
    other_admin = factories.MembershipFactory(is_admin=True).user
    numbers = []
    for user in (applicant_admin, other_admin):
        application = services.start_application(actor=user, batch=batch, category="enterprise")
        complete(application, user)
        numbers.append(services.submit_application(actor=user, application=application).number)
    assert numbers == ["GD-SMD-2024-E-0001", "GD-SMD-2024-E-0002"]
