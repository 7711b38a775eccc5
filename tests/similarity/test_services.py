"""Indexing, checking and deciding, against the database."""

import pytest

from shifan.applications.models import ApplicationState
from shifan.core.models import AuditEvent
from shifan.similarity import services
from shifan.similarity.models import FIGURES_KEY, IndexedText, PairDecision, SimilarPair
from tests import factories
from tests.similarity.conftest import section_text, submit, written_answers

pytestmark = pytest.mark.django_db


def near_copy(text: str, every: int = 12) -> str:
    """`text` with one character in `every` replaced (about 8%)."""
    return "".join("改" if n % every == 5 else char for n, char in enumerate(text))


def test_independent_applications_are_not_flagged(batch):
    first = submit(batch, answers=written_answers(1))
    second = submit(batch, answers=written_answers(2))
    assert (
        IndexedText.objects.filter(application__in=[first, second]).exclude(field_key=FIGURES_KEY).count()
        == 28
    )
    assert not SimilarPair.objects.exists()


def test_a_near_copy_is_flagged_with_its_sections_and_a_cross_section_copy_too(batch):
    original = written_answers(1)
    copied = {key: near_copy(text) for key, text in original.items()}
    first = submit(batch, answers=original)
    second = submit(batch, answers=copied)
    pair = SimilarPair.objects.get()
    assert (pair.application, pair.other_application) == (second, first)
    assert pair.batch == pair.other_batch == batch
    assert len(pair.matches) >= 14
    assert pair.score > 0.3
    assert {(m["field"], m["other_field"]) for m in pair.matches} >= {("intro", "intro")}
    assert not pair.cross_city

    # One section of the first copied into another section of an otherwise independent third.
    answers = written_answers(3)
    answers["development_plan"] = original["intro"]
    third = submit(batch, answers=answers)
    pair = SimilarPair.objects.get(application=third, other_application=first)
    assert pair.matches[0]["field"] == "development_plan"
    assert pair.matches[0]["other_field"] == "intro"
    assert pair.score == 1.0


def test_short_sections_are_not_compared(batch):
    answers = dict.fromkeys(written_answers(1), "同上。")
    submit(batch, answers=answers)
    submit(batch, answers=answers)
    assert not IndexedText.objects.exclude(field_key=FIGURES_KEY).exists()
    assert not SimilarPair.objects.exists()


def test_a_resubmission_replaces_the_index_and_drops_the_pairs_not_found_again_decided_or_not(
    batch, province_officer
):
    original = written_answers(1)
    first = submit(batch, answers=original)
    second = submit(batch, answers=dict(original))
    third = submit(batch, answers=dict(original))
    assert SimilarPair.objects.count() == 3
    decided = SimilarPair.objects.get(application=third, other_application=first)
    services.decide(actor=province_officer, pair=decided, decision=PairDecision.EXPLAINED, note="同一集团")

    # The first rewrites everything and is submitted again.
    first.answers = written_answers(9)
    first.save()
    factories.submitted(first, sequence=2)
    services.check_application(first.pk)
    assert set(
        IndexedText.objects.filter(application=first).values_list("snapshot__sequence", flat=True)
    ) == {2}
    # The decision was on passages the first no longer holds: the pair goes, its decision stays
    # in the audit trail.
    remaining = set(SimilarPair.objects.values_list("application", "other_application"))
    assert remaining == {(third.pk, second.pk)}
    assert AuditEvent.objects.filter(action="similarity.decided", after__pair=decided.pk).exists()


def test_a_decided_pair_whose_passages_change_waits_for_a_decision_again(batch, province_officer):
    original = written_answers(1)
    first = submit(batch, answers=original)
    second = submit(batch, answers=dict(original))
    pair = SimilarPair.objects.get()
    services.decide(actor=province_officer, pair=pair, decision=PairDecision.EXPLAINED, note="同一集团")

    # Submitted again unchanged: the decision holds.
    factories.submitted(second, sequence=2)
    services.check_application(second.pk)
    pair.refresh_from_db()
    assert pair.decision == PairDecision.EXPLAINED

    # Half of its sections rewritten: still alike, but not what the province read.
    changed = dict(original)
    for key in list(changed)[::2]:
        changed[key] = section_text(hash(key) % 1000 + 5000)
    second.answers = changed
    second.save()
    factories.submitted(second, sequence=3)
    services.check_application(second.pk)
    pair.refresh_from_db()
    assert pair.decision == PairDecision.PENDING
    assert (pair.decision_note, pair.decided_by, pair.decided_at) == ("", None, None)
    reopened = AuditEvent.objects.get(action="similarity.reopened")
    assert reopened.before == {"decision": PairDecision.EXPLAINED, "note": "同一集团"}
    assert first.pk in {pair.application_id, pair.other_application_id}


def test_earlier_batches_and_published_cases_are_compared(batch, province_officer):
    from tests.cases.conftest import published_case, recognised_unit

    earlier = factories.BatchFactory(name="2022年批次")
    text = section_text(77, 90)
    old = submit(earlier, answers={**written_answers(5), "intro": text})
    case = published_case(province_officer, recognised_unit(), body=section_text(88, 90))
    new = submit(batch, answers={**written_answers(6), "intro": text, "typical_cases": section_text(88, 90)})
    pair = SimilarPair.objects.get(other_application=old)
    assert pair.application == new
    assert pair.other_batch == earlier
    assert pair.batch == batch
    case_pair = SimilarPair.objects.get(other_case=case)
    assert case_pair.application == new
    assert case_pair.matches[0]["field"] == "typical_cases"


def test_identical_yearly_figures_are_flagged(batch):
    figures = {
        "operating": {
            "operating_revenue": {"2021": "1000", "2022": "1200", "2023": "1500"},
            "net_profit": {"2021": "30", "2022": "41"},
        }
    }
    first = submit(batch, answers={**written_answers(1), **figures})
    second = submit(batch, answers={**written_answers(2), **figures})
    pair = SimilarPair.objects.get()
    assert pair.same_figures
    assert pair.matches == []
    assert {pair.application, pair.other_application} == {first, second}


def test_withdrawn_applications_are_not_matched(batch):
    original = written_answers(1)
    first = submit(batch, answers=original)
    first.state = ApplicationState.WITHDRAWN
    first.save()
    submit(batch, answers=dict(original))
    assert not SimilarPair.objects.exists()


def test_a_decision_is_audited_and_needs_a_reason(batch, province_officer, city_officer):
    original = written_answers(1)
    submit(batch, answers=original)
    submit(batch, answers=dict(original))
    pair = SimilarPair.objects.get()
    with pytest.raises(services.SimilarityError) as refused:
        services.decide(actor=province_officer, pair=pair, decision=PairDecision.RETURNED, note="  ")
    assert refused.value.field == "note"
    with pytest.raises(services.SimilarityError):
        services.decide(actor=province_officer, pair=pair, decision="bogus", note="x")
    with pytest.raises(services.SimilarityError):
        services.decide(actor=city_officer, pair=pair, decision=PairDecision.TO_CHECK, note="")
    services.decide(actor=province_officer, pair=pair, decision=PairDecision.RETURNED, note="=抄袭，退回")
    pair.refresh_from_db()
    assert (pair.decision, pair.decision_note, pair.decided_by) == (
        "returned",
        "=抄袭，退回",
        province_officer,
    )
    event = AuditEvent.objects.get(action="similarity.decided")
    assert event.after["decision"] == "returned"
    assert event.before["decision"] == ""


def test_the_batch_check_indexes_every_submitted_application_and_finds_the_pairs(
    batch, province_officer, django_capture_on_commit_callbacks
):
    from shifan.applications.models import Application

    original = written_answers(1)
    applications = []
    for _n, answers in enumerate([original, dict(original), written_answers(3)]):
        application = factories.ApplicationFactory(
            batch=batch, organisation=factories.OrganisationFactory(city_code="440100"), answers=answers
        )
        factories.submitted(application)
        applications.append(application)
    Application.objects.filter(pk__in=[a.pk for a in applications]).update(state=ApplicationState.SUBMITTED)
    # Queued in its transaction; the tests' immediate backend runs it on commit.
    with django_capture_on_commit_callbacks(execute=True):
        services.request_batch_check(actor=province_officer, batch=batch)
    assert IndexedText.objects.exclude(field_key=FIGURES_KEY).count() == 42
    assert list(SimilarPair.objects.values_list("application", "other_application")) == [
        (applications[1].pk, applications[0].pk)
    ]
    assert AuditEvent.objects.filter(action="similarity.batch_check").exists()
