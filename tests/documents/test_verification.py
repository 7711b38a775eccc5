"""The public verification of a printed book: current, old (which, and what came after) or unknown."""

from datetime import datetime

import pytest
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone

from shifan.applications import services
from shifan.applications.answers import prefill_answers
from shifan.demo.answers import complete_answers
from shifan.documents import verification
from shifan.documents.verify_views import LOOKUPS_PER_MINUTE
from tests import factories

pytestmark = pytest.mark.django_db

UNKNOWN_TEXT = "没有找到与该申报编号和摘要相符的提交版本"


@pytest.fixture(autouse=True)
def _fresh_rate_limit():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def application(applicant_admin, organisation):
    batch = factories.BatchFactory()
    application = services.start_application(actor=applicant_admin, batch=batch, category="enterprise")
    answers = {**complete_answers(application.form), **prefill_answers(application.form, organisation)}
    services.save_answers(
        actor=applicant_admin, application=application, base_version=application.version, values=answers
    )
    application.refresh_from_db()
    return application


def submit(application, user):
    snapshot = services.submit_application(actor=user, application=application)
    application.refresh_from_db()
    return snapshot


def resubmit(application, user):
    services.withdraw_application(actor=user, application=application, reason="补充材料")
    application.refresh_from_db()
    return submit(application, user)


def at(snapshot, when):
    # Snapshots refuse save(); a queryset update sets the submission time the page shows.
    type(snapshot).objects.filter(pk=snapshot.pk).update(submitted_at=when)


def lookup(client, number, digest):
    return client.get(reverse("documents:verify"), {"number": number, "digest": digest})


# The selector --------------------------------------------------------------------------------


def test_the_latest_submission_is_current(application, applicant_admin):
    snapshot = submit(application, applicant_admin)
    result = verification.verify(snapshot.number, snapshot.short_digest)
    assert result.outcome == verification.CURRENT
    assert (result.number, result.sequence) == (snapshot.number, 1)
    assert result.submitted_at == snapshot.submitted_at
    assert result.later_sequence is None


def test_the_full_digest_any_case_and_spaces_are_accepted(application, applicant_admin):
    snapshot = submit(application, applicant_admin)
    assert verification.verify(f"  {snapshot.number.lower()} ", snapshot.digest.upper()).is_current
    spaced = " ".join(snapshot.short_digest[i : i + 4] for i in range(0, 12, 4))
    assert verification.verify(snapshot.number, spaced).is_current
    assert verification.verify(snapshot.number.replace("-", "－"), snapshot.short_digest).is_current


def test_an_earlier_submission_is_old_and_names_the_later_one(application, applicant_admin):
    first = submit(application, applicant_admin)
    second = resubmit(application, applicant_admin)
    result = verification.verify(first.number, first.short_digest)
    assert result.outcome == verification.OLD
    assert (result.sequence, result.later_sequence) == (1, 2)
    assert result.later_submitted_at == second.submitted_at
    assert not result.withdrawn
    assert verification.verify(second.number, second.digest).is_current


def test_a_withdrawn_applications_last_submission_is_old(application, applicant_admin):
    snapshot = submit(application, applicant_admin)
    services.withdraw_application(actor=applicant_admin, application=application, reason="补充材料")
    result = verification.verify(snapshot.number, snapshot.short_digest)
    assert result.outcome == verification.OLD
    assert result.withdrawn
    assert result.later_sequence is None


def test_unknown_number_and_wrong_digest_give_the_same_answer(application, applicant_admin):
    snapshot = submit(application, applicant_admin)
    wrong_digest = verification.verify(snapshot.number, "0" * 12)
    unknown_number = verification.verify("GD-SMD-2024-E-9999", snapshot.short_digest)
    assert wrong_digest.outcome == unknown_number.outcome == verification.UNKNOWN
    assert wrong_digest.sequence is unknown_number.sequence is None
    # A digest of another application with this number's format does not match either.
    assert not verification.verify(snapshot.number, snapshot.digest[1:13]).is_current
    assert verification.verify("not a number", snapshot.short_digest).outcome == verification.UNKNOWN


# The page ------------------------------------------------------------------------------------


def test_the_empty_form_is_public_and_sets_no_cookie(client):
    response = client.get(reverse("documents:verify"))
    assert response.status_code == 200
    assert response["Cache-Control"] == "public, max-age=60"
    assert not response.cookies
    assert "csrfmiddlewaretoken" not in response.content.decode()
    assert "申报书核验" in response.content.decode()
    # The same for everyone: served as rendered, in each language.
    again = client.get(reverse("documents:verify"))
    assert again.content == response.content
    assert again["Cache-Control"] == "public, max-age=60"
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    english = client.get(reverse("documents:verify")).content.decode()
    assert "申报书核验" not in english
    assert english == client.get(reverse("documents:verify")).content.decode()


def test_the_page_says_current_with_the_unit_and_page_count_and_nothing_of_the_content(
    client, application, applicant_admin
):
    snapshot = submit(application, applicant_admin)
    at(snapshot, timezone.make_aware(datetime(2024, 6, 1, 10, 0)))
    response = lookup(client, snapshot.number, snapshot.short_digest.upper())
    page = response.content.decode()
    assert response.status_code == 200
    assert 'data-outcome="current"' in page
    assert "最新的提交版本" in page
    assert f"申报编号 <strong>{snapshot.number}</strong> 的第 1 次提交（2024年6月1日 提交）" in page
    # The unit's name and the page count, so that a forged copy with a genuine footer is caught.
    from pypdf import PdfReader

    from shifan.documents import rendered

    with rendered.stored_book(snapshot, "pdf").file.open("rb") as handle:
        pages = len(PdfReader(handle).pages)
    assert pages > 1
    assert f"申报单位：<strong>{application.organisation.name}</strong>；共 {pages} 页" in page
    assert application.answers["main_business"] not in page
    assert not response.cookies
    assert "no-store" in response["Cache-Control"]


def test_the_page_says_which_old_version_and_what_came_after(client, application, applicant_admin):
    first = submit(application, applicant_admin)
    second = resubmit(application, applicant_admin)
    at(first, timezone.make_aware(datetime(2024, 6, 1, 10, 0)))
    at(second, timezone.make_aware(datetime(2024, 6, 3, 9, 30)))
    page = lookup(client, first.number, first.short_digest).content.decode()
    assert 'data-outcome="old"' in page
    assert "旧版本" in page
    assert "第 1 次提交（2024年6月1日 提交），已不是最新的提交版本" in page
    assert "申报单位已于 2024年6月3日 重新提交为第 2 次提交。" in page
    assert f"申报单位：<strong>{application.organisation.name}</strong>" in page
    assert application.answers["main_business"] not in page


def test_the_page_says_when_the_application_was_withdrawn(client, application, applicant_admin):
    first = submit(application, applicant_admin)
    resubmit(application, applicant_admin)
    services.withdraw_application(actor=applicant_admin, application=application, reason="再次补充")
    page = lookup(client, first.number, first.short_digest).content.decode()
    assert "重新提交为第 2 次提交，之后申报书又被申报单位撤回" in page


def test_the_qr_link_gives_the_same_answer(client, application, applicant_admin):
    snapshot = submit(application, applicant_admin)
    url = reverse("documents:verify_link", args=[snapshot.number, snapshot.short_digest])
    assert url == f"/verify/{snapshot.number}/{snapshot.short_digest}/"
    response = client.get(url)
    page = response.content.decode()
    assert response.status_code == 200
    assert 'data-outcome="current"' in page
    assert f'value="{snapshot.number}"' in page  # the form shows what the link carried
    assert not response.cookies


def test_unknown_number_and_wrong_digest_read_the_same_on_the_page(client, application, applicant_admin):
    snapshot = submit(application, applicant_admin)
    wrong_digest = lookup(client, snapshot.number, "abcdefabcdef").content.decode()
    unknown_number = lookup(client, "GD-SMD-2024-E-0999", snapshot.short_digest).content.decode()
    for page in (wrong_digest, unknown_number):
        assert 'data-outcome="unknown"' in page
        assert UNKNOWN_TEXT in page
        assert "is-invalid" not in page  # neither field is marked as the wrong one


@pytest.mark.parametrize(
    ("number", "digest", "field", "message"),
    [
        ("", "abcdefabcdef", "number", "请填写申报编号。"),
        ("GD-SMD-2024-E-0001", "", "digest", "请填写摘要。"),
        ("2024-0001", "abcdefabcdef", "number", "申报编号格式不正确，应如 GD-SMD-2024-E-0001。"),
        ("GD-SMD-2024-E-0001", "abcdef", "digest", "摘要应为 12 位或 64 位十六进制字符"),
        ("GD-SMD-2024-E-0001", "ghijklmnopqr", "digest", "摘要只含数字 0–9 和字母 a–f"),
    ],
)
def test_bad_input_is_refused_beside_the_field(client, number, digest, field, message):
    response = lookup(client, number, digest)
    page = response.content.decode()
    assert response.status_code == 400
    assert f'id="id_{field}-error">{message}' in page
    assert 'data-testid="verify-result"' not in page


def test_bad_input_in_the_qr_link_is_refused(client):
    response = client.get(reverse("documents:verify_link", args=["GD-SMD-2024-E-0001", "xyz"]))
    assert response.status_code == 400
    assert "摘要只含数字 0–9 和字母 a–f" in response.content.decode()


def test_more_than_the_minutes_lookups_are_refused_with_a_message(client, application, applicant_admin):
    snapshot = submit(application, applicant_admin)
    for _ in range(LOOKUPS_PER_MINUTE):
        assert lookup(client, snapshot.number, "abcdefabcdef").status_code == 200
    response = lookup(client, snapshot.number, snapshot.short_digest)
    page = response.content.decode()
    assert response.status_code == 429
    assert "查询过于频繁：每分钟最多核验 30 次，请 1 分钟后再试。" in page
    assert 'data-testid="verify-result"' not in page
    # Another address is not held back.
    other = client.get(
        reverse("documents:verify"),
        {"number": snapshot.number, "digest": snapshot.short_digest},
        REMOTE_ADDR="10.0.0.2",
    )
    assert other.status_code == 200
