"""Indexing submitted applications and published cases, checking them, deciding on pairs.

`check_application` runs after every submission (the task queue, `tasks.check_submission`) and
for every application of a batch when the province asks (`tasks.check_batch`). It replaces the
application's rows of the index with its latest submitted version's, finds the stored sections
alike to each of its own (same batch, earlier batches, published cases, any section against any
section), and records the pairs. Pairs of the application found no more are deleted unless the
province has decided on them.
"""

import functools
import hashlib
import json
import multiprocessing
from collections import defaultdict
from collections.abc import Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass
from typing import Any

import numpy as np
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from shifan.accounts.models import User
from shifan.applications.models import Application, Snapshot
from shifan.applications.selectors import PRIVATE_STATES
from shifan.cases.models import CaseState, TypicalCase
from shifan.core.services import record_event
from shifan.programs.models import Batch
from shifan.programs.spec import Form, ProgrammeSpec, Similarity
from shifan.similarity import index as lsh
from shifan.similarity.models import FIGURES_KEY, IndexedText, PairDecision, SimilarPair
from shifan.similarity.text import Stripper, shingle_hashes

# At most this many section pairs are kept per pair of applications (the most alike).
MAX_MATCHES = 20


class SimilarityError(Exception):
    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


def written_fields(form: Form) -> list[Any]:
    """The written answers (文字说明) of a form: its long-text fields in the written part."""
    return [f for s in form.sections if s.part == "written" for f in s.fields if f.type == "longtext"]


def spec_phrases(spec: ProgrammeSpec) -> list[str]:
    """Every text of the spec an applicant may repeat: titles, labels, headings, 内容要点,
    佐证材料 hints, and the spec's boilerplate."""
    phrases: list[str] = list(spec.similarity.boilerplate)
    for category in spec.categories:
        form = category.form
        phrases.append(form.title)
        if form.outline is not None:
            phrases.extend([form.outline.title, *form.outline.headings])
        for section in form.sections:
            phrases.append(section.title)
            for f in section.fields:
                phrases.extend([f.label, f.guidance, f.evidence, *f.indicator])
    return [p for p in phrases if p]


def settings_of(spec: ProgrammeSpec) -> Similarity:
    return spec.similarity


@dataclass(frozen=True)
class Recipe:
    """What computing an application's rows needs, picklable for the processes of a batch."""

    phrases: tuple[str, ...]
    shingle_size: int
    min_length: int
    compare_figures: bool
    # By category key: the written fields' keys, the yearly fields' keys.
    written: tuple[tuple[str, tuple[str, ...]], ...]
    yearly: tuple[tuple[str, tuple[str, ...]], ...]

    @classmethod
    def of(cls, spec: ProgrammeSpec) -> "Recipe":
        config = spec.similarity
        return cls(
            phrases=tuple(spec_phrases(spec)),
            shingle_size=config.shingle_size,
            min_length=config.min_length,
            compare_figures=config.compare_figures,
            written=tuple((c.key, tuple(f.key for f in written_fields(c.form))) for c in spec.categories),
            yearly=tuple(
                (c.key, tuple(f.key for f in c.form.fields() if f.type == "yearly")) for c in spec.categories
            ),
        )


# (application id, snapshot id, field key, normalised length, signature or figures digest)
Row = tuple[int, int, str, int, bytes]


@functools.lru_cache(maxsize=16)
def _stripper(phrases: tuple[str, ...]) -> Stripper:
    return Stripper(phrases)


def compute_rows(recipe: Recipe, items: list[tuple[int, int, str, dict[str, Any]]]) -> list[Row]:
    """The index rows of submitted versions: (application id, snapshot id, category, answers) each.

    A written section shorter than `min_length` characters after normalisation is left out.
    """
    stripper = _stripper(recipe.phrases)
    written, yearly = dict(recipe.written), dict(recipe.yearly)
    rows: list[Row] = []
    for application_id, snapshot_id, category, answers in items:
        for key in written.get(category, ()):
            value = answers.get(key)
            if not isinstance(value, str):
                continue
            text = stripper(value)
            if len(text) < recipe.min_length:
                continue
            hashes = shingle_hashes(text, recipe.shingle_size)
            rows.append((application_id, snapshot_id, key, len(text), lsh.to_bytes(lsh.signature(hashes))))
        if recipe.compare_figures:
            digest = figures_digest(answers, yearly.get(category, ()))
            if digest is not None:
                rows.append((application_id, snapshot_id, FIGURES_KEY, 0, bytes.fromhex(digest)))
    return rows


def figures_digest(answers: dict[str, Any], keys: tuple[str, ...]) -> str | None:
    """The SHA-256 of the yearly tables' figures, or None if they hold too few to compare."""
    values = {}
    for key in keys:
        table = answers.get(key)
        if not isinstance(table, dict):
            continue
        cells = {
            f"{row}/{year}": str(cell)
            for row, years in sorted(table.items())
            if isinstance(years, dict)
            for year, cell in sorted(years.items())
            if str(cell).strip() not in ("", "0", "None")
        }
        if cells:
            values[key] = cells
    if sum(len(cells) for cells in values.values()) < 4:
        return None  # too few figures to say that two companies' tables are the same
    return hashlib.sha256(json.dumps(values, sort_keys=True).encode()).hexdigest()


def latest_snapshot(application: Application) -> Snapshot | None:
    return application.snapshots.order_by("-sequence").first()


def store_rows(application_ids: list[int], rows: list[Row], shingle_size: int) -> list[IndexedText]:
    """Replace the applications' rows of the index with these."""
    IndexedText.objects.filter(application_id__in=application_ids).delete()
    return IndexedText.objects.bulk_create(
        [
            IndexedText(
                application_id=application_id,
                snapshot_id=snapshot_id,
                field_key=key,
                shingle_size=shingle_size,
                length=length,
                signature=signature,
            )
            for application_id, snapshot_id, key, length, signature in rows
        ],
        batch_size=2000,
    )


def index_application(application: Application, snapshot: Snapshot) -> list[IndexedText]:
    """Replace the application's rows of the index with its submitted version's."""
    spec = application.batch.spec
    rows = compute_rows(
        Recipe.of(spec), [(application.pk, snapshot.pk, application.category, snapshot.answers)]
    )
    return store_rows([application.pk], rows, spec.similarity.shingle_size)


def _latest_versions(application_ids: list[int]) -> list[tuple[int, int, str, dict[str, Any]]]:
    latest: dict[int, tuple[int, int, str, dict[str, Any]]] = {}
    snapshots = (
        Snapshot.objects.filter(application_id__in=application_ids)
        .order_by("application_id", "sequence")
        .values_list("application_id", "pk", "application__category", "answers")
    )
    for application_id, pk, category, answers in snapshots:
        latest[application_id] = (application_id, pk, category, answers)
    return list(latest.values())


def index_batch(batch: Batch, *, processes: int = 1, chunk: int = 250) -> int:
    """Index the latest submitted version of every submitted application of a batch, in
    `processes` forked processes; return the rows stored."""
    recipe = Recipe.of(batch.spec)
    ids = list(batch_applications(batch))
    chunks = [ids[start : start + chunk] for start in range(0, len(ids), chunk)]
    stored = 0

    def store(part: list[int], rows: list[Row]) -> None:
        nonlocal stored
        with transaction.atomic():
            stored += len(store_rows(part, rows, recipe.shingle_size))

    if processes <= 1 or len(chunks) <= 1:
        for part in chunks:
            store(part, compute_rows(recipe, _latest_versions(part)))
        return stored
    context = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(max_workers=processes, mp_context=context) as pool:
        pending: list[tuple[list[int], Future[list[Row]]]] = []
        for part in chunks:
            pending.append((part, pool.submit(compute_rows, recipe, _latest_versions(part))))
            if len(pending) >= 2 * processes:
                done_part, future = pending.pop(0)
                store(done_part, future.result())
        for done_part, future in pending:
            store(done_part, future.result())
    return stored


def index_cases(spec: ProgrammeSpec) -> int:
    """Index the published cases not yet indexed at this spec's shingle size; drop the others'."""
    config = settings_of(spec)
    IndexedText.objects.filter(case__isnull=False).exclude(case__state=CaseState.PUBLISHED).delete()
    missing = TypicalCase.objects.filter(state=CaseState.PUBLISHED).exclude(
        pk__in=IndexedText.objects.filter(case__isnull=False, shingle_size=config.shingle_size).values(
            "case_id"
        )
    )
    stripper = _stripper(tuple(spec_phrases(spec)))
    rows = []
    for case in missing:
        text = stripper(case.body)
        if len(text) < config.min_length:
            text = text or case.title
        rows.append(
            IndexedText(
                case=case,
                field_key="",
                shingle_size=config.shingle_size,
                length=len(text),
                signature=lsh.to_bytes(lsh.signature(shingle_hashes(text, config.shingle_size))),
            )
        )
    IndexedText.objects.bulk_create(rows, ignore_conflicts=True)
    return len(rows)


@dataclass
class Found:
    """What one check found against one other application or case."""

    owner: int
    matches: list[dict[str, Any]]
    same_figures: bool = False

    @property
    def score(self) -> float:
        return max((m["score"] for m in self.matches), default=1.0 if self.same_figures else 0.0)


# The MinHash estimate over NUM_PERM = 128 values is off by 0.04 (one standard deviation) around
# the threshold: the index takes candidates from this much below it, and the exact similarity of
# their texts decides. A wider margin lets in many more independent texts to read and compare.
CANDIDATE_MARGIN = 0.03


def exact_similarity(a: np.ndarray, b: np.ndarray) -> float:
    """The Jaccard similarity of two sets of shingle hashes (sorted, distinct)."""
    if not len(a) or not len(b):
        return 0.0
    shared = len(np.intersect1d(a, b, assume_unique=True))
    return shared / (len(a) + len(b) - shared)


def _texts_of(row_ids: set[int]) -> dict[int, str]:
    """The texts of stored rows, by row id: a section of a submitted version, or a case's body."""
    rows = list(
        IndexedText.objects.filter(pk__in=row_ids).values_list("pk", "snapshot_id", "field_key", "case_id")
    )
    answers = dict(Snapshot.objects.filter(pk__in={r[1] for r in rows if r[1]}).values_list("pk", "answers"))
    bodies = dict(TypicalCase.objects.filter(pk__in={r[3] for r in rows if r[3]}).values_list("pk", "body"))
    texts = {}
    for pk, snapshot_id, field_key, case_id in rows:
        value = bodies.get(case_id, "") if case_id else answers.get(snapshot_id, {}).get(field_key)
        texts[pk] = value if isinstance(value, str) else ""
    return texts


def find_similar(
    application: Application, rows: list[IndexedText], answers: dict[str, Any]
) -> dict[int, Found]:
    """Return, by owner (application id, or -case id), the stored sections alike to the given
    rows of `application` (whose submitted answers are `answers`)."""
    spec = application.batch.spec
    config = settings_of(spec)
    threshold = float(config.threshold)
    sections = [r for r in rows if r.field_key != FIGURES_KEY]
    found: dict[int, Found] = {}
    if sections:
        candidate = threshold - CANDIDATE_MARGIN
        index = lsh.current_index(config.shingle_size, candidate)
        signatures = np.vstack([lsh.from_bytes(r.signature) for r in sections])
        hits = index.query(signatures, candidate, exclude_owner=application.pk)
        # Only rows still stored (a later submission replaces an application's rows), of
        # applications submitted and not withdrawn, and of cases still published.
        live = {
            pk: (field_key, application_id, case_id)
            for pk, field_key, application_id, case_id in IndexedText.objects.filter(
                pk__in={h.row_id for h in hits}
            )
            .filter(
                Q(case__isnull=True) & ~Q(application__state__in=PRIVATE_STATES)
                | Q(case__state=CaseState.PUBLISHED)
            )
            .values_list("pk", "field_key", "application_id", "case_id")
        }
        hits = [hit for hit in hits if hit.row_id in live]
        stripper = _stripper(tuple(spec_phrases(spec)))

        def shingled(text: str) -> np.ndarray:
            return shingle_hashes(stripper(text), config.shingle_size)

        own = {s.field_key: shingled(str(answers.get(s.field_key) or "")) for s in sections}
        others = {pk: shingled(text) for pk, text in _texts_of({hit.row_id for hit in hits}).items()}
        by_owner: dict[int, list[dict[str, Any]]] = defaultdict(list)
        for hit in hits:
            field_key = sections[hit.position].field_key
            score = exact_similarity(own[field_key], others.get(hit.row_id, np.zeros(0, np.uint32)))
            if score < threshold:
                continue
            other_field, application_id, case_id = live[hit.row_id]
            by_owner[application_id if application_id is not None else -case_id].append(
                {"field": field_key, "other_field": other_field, "score": round(score, 3)}
            )
        for owner, matches in by_owner.items():
            # Each section with its most alike section of the other side (its own on a tie).
            best: dict[str, dict[str, Any]] = {}
            for match in sorted(matches, key=lambda m: (-m["score"], m["field"] != m["other_field"])):
                best.setdefault(match["field"], match)
            kept = sorted(best.values(), key=lambda m: (-m["score"], m["field"], m["other_field"]))
            found[owner] = Found(owner=owner, matches=kept[:MAX_MATCHES])
    figures = next((r for r in rows if r.field_key == FIGURES_KEY), None)
    if figures is not None:
        same = (
            IndexedText.objects.filter(field_key=FIGURES_KEY, signature=figures.signature)
            .exclude(application=application)
            .exclude(application__state__in=PRIVATE_STATES)
            .values_list("application_id", flat=True)
        )
        for owner in same:
            found.setdefault(owner, Found(owner=owner, matches=[])).same_figures = True
    return found


@transaction.atomic
def check_application(application_id: int) -> int:
    """Index an application's latest submitted version and record its pairs; return how many."""
    application = (
        Application.objects.select_for_update(of=("self",))
        .select_related("batch")
        .filter(pk=application_id)
        .first()
    )
    if application is None or application.state in PRIVATE_STATES:
        return 0
    snapshot = latest_snapshot(application)
    if snapshot is None:
        return 0
    index_cases(application.batch.spec)
    rows = index_application(application, snapshot)
    found = find_similar(application, rows, snapshot.answers)
    return record_pairs(application, found)


def record_pairs(application: Application, found: dict[int, Found]) -> int:
    """Store the pairs found for `application` (its latest version) and drop those not found again.

    A decision was made on the passages the officer read: when a checked again pair's passages or
    figures differ (the application was corrected and submitted again), the decision no longer
    applies and the pair waits for one again (audited); a pair not found again goes, its decision
    kept in the audit trail."""
    now = timezone.now()
    others = Application.objects.in_bulk([owner for owner in found if owner > 0])
    kept: list[int] = []
    for owner, result in found.items():
        key: dict[str, Any]
        if owner > 0:
            other = others.get(owner)
            if other is None:
                continue
            first, second = (application, other) if application.pk > other.pk else (other, application)
            key = {"application": first, "other_application": second}
            values = {
                "batch_id": first.batch_id,
                "other_batch_id": second.batch_id,
                "score": result.score,
                "matches": result.matches if first is application else _swapped(result.matches),
                "same_figures": result.same_figures,
                "cross_city": first.city_code != second.city_code,
            }
        else:
            key = {"application": application, "other_case_id": -owner}
            values = {"batch_id": application.batch_id, "score": result.score, "matches": result.matches}
        kept.append(_store_pair(key, values, now))
    SimilarPair.objects.filter(Q(application=application) | Q(other_application=application)).exclude(
        pk__in=kept
    ).delete()
    return len(kept)


def _store_pair(key: dict[str, Any], values: dict[str, Any], now: Any) -> int:
    pair = SimilarPair.objects.select_for_update().filter(**key).first()
    if pair is None:
        return SimilarPair.objects.create(**key, **values, found_at=now).pk
    changed = any(getattr(pair, name) != value for name, value in values.items() if name != "score") or (
        round(pair.score, 3) != round(values["score"], 3)
    )
    for name, value in values.items():
        setattr(pair, name, value)
    pair.found_at = now
    if changed and pair.decision != PairDecision.PENDING:
        record_event(
            actor=None,
            action="similarity.reopened",
            target=pair.application,
            target_label=pair.application.label,
            organisation_id=pair.application.organisation_id,
            city_code=pair.application.city_code,
            reason="申报书重新提交后相似内容有变化，原处理结果不再适用。",
            before={"decision": pair.decision, "note": pair.decision_note},
            after={"decision": PairDecision.PENDING, "pair": pair.pk, "score": pair.score},
        )
        pair.decision, pair.decision_note = PairDecision.PENDING, ""
        pair.decided_by, pair.decided_at = None, None
    pair.save()
    return pair.pk


def _swapped(matches: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{"field": m["other_field"], "other_field": m["field"], "score": m["score"]} for m in matches]


def batch_applications(batch: Batch) -> Iterator[int]:
    return (
        Application.objects.filter(batch=batch, snapshots__isnull=False)
        .exclude(state__in=PRIVATE_STATES)
        .distinct()
        .order_by("pk")
        .values_list("pk", flat=True)
        .iterator()
    )


@transaction.atomic
def request_batch_check(*, actor: User, batch: Batch) -> None:
    """Queue the check of every submitted application of a batch (the province's button)."""
    from shifan.core.taskqueue import enqueue_with_transaction
    from shifan.similarity.tasks import check_batch

    if not actor.is_province_officer:
        raise SimilarityError("只有省工信厅可以重新检测相似内容。")
    record_event(actor=actor, action="similarity.batch_check", target=batch, target_label=batch.name)
    enqueue_with_transaction(check_batch, batch_id=batch.pk)


def check_batch(batch_id: int, *, processes: int = 1) -> int:
    """Index every submitted application of a batch (in `processes` processes), then find each
    one's pairs, one transaction each; return the batch's pairs."""
    batch = Batch.objects.filter(pk=batch_id).first()
    if batch is None:
        return 0
    index_cases(batch.spec)
    index_batch(batch, processes=processes)
    for application_id in list(batch_applications(batch)):
        find_pairs(application_id)
    return SimilarPair.objects.filter(Q(batch=batch) | Q(other_batch=batch)).count()


@transaction.atomic
def find_pairs(application_id: int) -> int:
    """Record the pairs of an application already indexed (`index_batch`); return how many."""
    application = Application.objects.select_related("batch").filter(pk=application_id).first()
    if application is None or application.state in PRIVATE_STATES:
        return 0
    rows = list(IndexedText.objects.filter(application=application))
    snapshot = latest_snapshot(application)
    if snapshot is None:
        return 0
    return record_pairs(application, find_similar(application, rows, snapshot.answers))


@transaction.atomic
def decide(*, actor: User, pair: SimilarPair, decision: str, note: str) -> SimilarPair:
    """The province's decision on a pair: explained, to be checked or returned; audited."""
    if not actor.is_province_officer:
        raise SimilarityError("只有省工信厅可以处理相似内容。")
    if decision not in {PairDecision.EXPLAINED, PairDecision.TO_CHECK, PairDecision.RETURNED}:
        raise SimilarityError("请选择处理结果。", field="decision")
    note = note.strip()
    if decision != PairDecision.TO_CHECK and not note:
        raise SimilarityError("请写明处理说明。", field="note")
    pair = SimilarPair.objects.select_for_update().get(pk=pair.pk)
    before = {"decision": pair.decision, "note": pair.decision_note}
    pair.decision = decision
    pair.decision_note = note
    pair.decided_by = actor
    pair.decided_at = timezone.now()
    pair.save(update_fields=["decision", "decision_note", "decided_by", "decided_at"])
    application = pair.application
    record_event(
        actor=actor,
        action="similarity.decided",
        target=application,
        target_label=application.label,
        organisation_id=application.organisation_id,
        city_code=application.city_code,
        reason=note,
        before=before,
        after={
            "decision": decision,
            "pair": pair.pk,
            "other": pair.other_application.label if pair.other_application else f"case {pair.other_case_id}",
            "score": pair.score,
        },
    )
    return pair
