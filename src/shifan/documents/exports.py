"""Bulk exports: every submitted book of a selection as one ZIP of PDFs with a summary workbook.

A city officer exports his own city's books, a province officer any city's or all of them, by
batch and optionally by category. `request_export` records an `ExportJob` and queues
`tasks.build_export`; the task calls `run_export`, which builds the ZIP with `build_export_zip`
(what the benchmark times) and stores it. Reads (who may export which books) sit here beside the
writes, since nothing else uses them.

The PDFs are the slow part (about a second each), so a book already made for its snapshot is
copied from storage (documents.rendered), and a book made here is stored for the next download
or export. `build_export_zip` builds the HTML of each book not yet stored in this process, where
the database is, and renders the PDFs in a pool of forked processes that never touch the
database; the ZIP is written in a fixed order (city folders in the reference order, then file
names), so two runs over the same books give the same entries.
"""

from __future__ import annotations

import io
import logging
import multiprocessing
import shutil
import tempfile
import time
import zipfile
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass
from datetime import timedelta
from typing import IO, TYPE_CHECKING, Any

from django.core.files import File
from django.db import IntegrityError, connections, transaction
from django.db.models import Exists, OuterRef, Q, QuerySet, Subquery
from django.http import Http404
from django.utils import timezone
from openpyxl import Workbook

from shifan.accounts.models import User
from shifan.applications.models import Application, ApplicationState, Snapshot
from shifan.applications.selectors import PRIVATE_STATES, applications_visible_to
from shifan.core import reference
from shifan.core.services import record_event
from shifan.core.sheets import body_row, header_row, title_row, workbook_bytes
from shifan.core.taskqueue import enqueue_with_transaction
from shifan.documents import rendered
from shifan.documents.models import (
    ACTIVE_STATES,
    KEEP_DAYS,
    ExportJob,
    ExportState,
    RenderedBook,
    selection_category_name,
    selection_city_name,
    selection_state_name,
)
from shifan.programs.models import Batch

if TYPE_CHECKING:
    from shifan.documents.book import Book

logger = logging.getLogger(__name__)

Verdict = tuple[bool, str]
Progress = Callable[[int, int], object]

SUMMARY_NAME = "申报书汇总表.xlsx"
# A job with no end in sight was cut off (a worker killed mid-way): it must not block a new one.
# A queued job waits for the worker; a running one writes a book about every second, so ten
# minutes without one means its worker was stopped.
STALLED_AFTER = {ExportState.QUEUED: timedelta(days=1), ExportState.RUNNING: timedelta(minutes=10)}
STALLED_MESSAGE = "导出长时间没有进展（后台任务可能已中断），已中止，请重新导出。"
SUMMARY_COLUMNS = [
    ("序号", 6),
    ("申报编号", 20),
    ("申报单位", 34),
    ("统一社会信用代码", 22),
    ("所在地市", 10),
    ("申报类别", 10),
    ("当前状态", 10),
    ("提交时间", 17),
    ("提交次数", 8),
    ("内容摘要（SHA-256）", 30),
    ("文件", 50),
]


class ExportRefused(Exception):
    """Raised when an officer may not export a selection; `message` says why, beside `field`."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class BookFailed(Exception):
    """Raised when one book of an export cannot be made; names the book."""


# The states a selection may be narrowed to: every state an officer sees a submitted book in.
EXPORT_STATES = tuple(state for state in ApplicationState.values if state not in PRIVATE_STATES)


# Who may export what


def can_export(user: User, city_code: str) -> Verdict:
    """Return whether the user may export the books of a city ("" for every city), and why not."""
    if user.is_province_officer:
        return True, ""
    if user.is_city_officer:
        if city_code != user.city_code:
            return False, f"地市工信局只能导出本市（{user.city_name}）的申报书。"
        return True, ""
    return False, "只有地市工信局和省工信厅可以批量导出申报书。"


def applications_for_export(
    user: User, batch: Batch, *, city_code: str, category: str, state: str = ""
) -> QuerySet[Application]:
    """Return the applications of the selection the user may see that were submitted at least once.

    Drafts and withdrawn applications stay private to the applicant (`PRIVATE_STATES`);
    a returned one is exported as it was last submitted.
    """
    queryset = applications_visible_to(user).filter(
        Exists(Snapshot.objects.filter(application=OuterRef("pk"))), batch=batch
    )
    if city_code:
        queryset = queryset.filter(city_code=city_code)
    if category:
        queryset = queryset.filter(category=category)
    if state:
        queryset = queryset.filter(state=state)
    return queryset


def snapshots_for_export(
    user: User, batch: Batch, *, city_code: str, category: str, state: str = ""
) -> list[Snapshot]:
    """Return the latest snapshot of every application of the selection, with its application."""
    applications = applications_for_export(user, batch, city_code=city_code, category=category, state=state)
    latest = Snapshot.objects.filter(application=OuterRef("application")).order_by("-sequence")
    return list(
        Snapshot.objects.filter(
            application__in=applications.values("pk"), pk=Subquery(latest.values("pk")[:1])
        )
        .select_related("application__organisation", "application__batch")
        .order_by("application__number", "pk")
    )


def latest_batch_with_books(user: User) -> int | None:
    """Return the primary key of the latest batch in which the user may export a book, if any."""
    submitted = Exists(Snapshot.objects.filter(application=OuterRef("pk")))
    return (
        applications_visible_to(user)
        .filter(submitted)
        .order_by("-batch__opens_at", "-batch_id")
        .values_list("batch_id", flat=True)
        .first()
    )


def export_jobs_of(user: User) -> QuerySet[ExportJob]:
    """Return the user's own export jobs of the last `KEEP_DAYS` days, newest first."""
    kept_since = timezone.now() - timedelta(days=KEEP_DAYS)
    return ExportJob.objects.filter(requested_by=user, created_at__gte=kept_since).select_related("batch")


def export_job_for(user: User, pk: int) -> ExportJob:
    """Return one of the user's export jobs; anyone else's is a 404, whatever the role."""
    try:
        return export_jobs_of(user).get(pk=pk)
    except ExportJob.DoesNotExist as error:
        raise Http404 from error


def selection_label(batch: Batch, city_code: str, category: str, state: str = "") -> str:
    scope = f"{selection_city_name(city_code)}，{selection_category_name(batch, category)}"
    return f"{batch.name}（{scope}{'，' + selection_state_name(state) if state else ''}）"


# Requesting and running an export


def _check_selection(actor: User, batch: Batch, city_code: str, category: str, state: str = "") -> int:
    """Refuse a selection the actor may not export or that holds no book; return its book count."""
    if city_code and city_code not in {city.code for city in reference.cities()}:
        raise ExportRefused("请选择广东省的地级以上市。", field="city")
    allowed, reason = can_export(actor, city_code)
    if not allowed:
        raise ExportRefused(reason, field="city" if actor.is_city_officer else None)
    if category and category not in {item.key for item in batch.spec.categories}:
        raise ExportRefused("该批次没有这个申报类别。", field="category")
    if state and state not in EXPORT_STATES:
        raise ExportRefused("请选择申报状态。", field="state")
    count = applications_for_export(actor, batch, city_code=city_code, category=category, state=state).count()
    if not count:
        raise ExportRefused(
            f"{selection_label(batch, city_code, category, state)}还没有已提交的申报书，无需导出。"
            "草稿和已撤回的申报书不在导出范围内。"
        )
    return count


def _stalled(job: ExportJob, now: Any) -> bool:
    if job.state == ExportState.RUNNING:
        last = job.progressed_at or job.started_at or job.created_at
    else:
        last = job.created_at
    return now - last > STALLED_AFTER[ExportState(job.state)]


def fail_stalled_exports(user: User) -> int:
    """End the user's exports that have stopped moving as failed, so the page stops waiting on them."""
    now = timezone.now()
    stalled = [job.pk for job in export_jobs_of(user).filter(state__in=ACTIVE_STATES) if _stalled(job, now)]
    return ExportJob.objects.filter(pk__in=stalled, state__in=ACTIVE_STATES).update(
        state=ExportState.FAILED, error=STALLED_MESSAGE, finished_at=now
    )


def request_export(
    *, actor: User, batch: Batch, city_code: str, category: str, state: str = ""
) -> tuple[ExportJob, bool]:
    """Queue an export of the selection's books; return the job and whether it is a new one.

    The same officer's identical export that is still queued or running is returned instead of a
    second one.
    """
    count = _check_selection(actor, batch, city_code, category, state)
    now = timezone.now()
    with transaction.atomic():
        existing = (
            ExportJob.objects.select_for_update()
            .filter(
                requested_by=actor,
                batch=batch,
                city_code=city_code,
                category=category,
                application_state=state,
                state__in=ACTIVE_STATES,
            )
            .first()
        )
        if existing is not None and not _stalled(existing, now):
            return existing, False
        if existing is not None:
            ExportJob.objects.filter(pk=existing.pk).update(
                state=ExportState.FAILED, error=STALLED_MESSAGE, finished_at=now
            )
        try:
            with transaction.atomic():
                job = ExportJob.objects.create(
                    requested_by=actor,
                    batch=batch,
                    city_code=city_code,
                    category=category,
                    application_state=state,
                    total=count,
                )
        except IntegrityError:  # the same request, a moment earlier, from another tab
            return (
                ExportJob.objects.get(
                    requested_by=actor,
                    batch=batch,
                    city_code=city_code,
                    category=category,
                    application_state=state,
                    state__in=ACTIVE_STATES,
                ),
                False,
            )
        record_event(
            actor=actor,
            action="documents.export_requested",
            target=job,
            target_label=selection_label(batch, city_code, category, state),
            city_code=city_code,
            after={
                "batch": batch.pk,
                "city_code": city_code,
                "category": category,
                "state": state,
                "total": count,
            },
        )
        _enqueue(job.pk)
    return job, True


def _enqueue(job_id: int) -> None:
    from shifan.documents.tasks import build_export

    enqueue_with_transaction(build_export, job_id=job_id)


def delete_expired_exports(now: Any = None) -> int:
    """Delete the jobs older than `KEEP_DAYS` days, and the books stored for an earlier layout;
    their files go with them (signals.py)."""
    cutoff = (now or timezone.now()) - timedelta(days=KEEP_DAYS)
    deleted, _by_model = ExportJob.objects.filter(created_at__lt=cutoff).delete()
    stale, _by_model = RenderedBook.objects.exclude(layout=rendered.layout_version()).delete()
    return deleted + stale


def run_export(job_id: int, *, processes: int, rerun: bool = False, earlier_run_gone: bool = False) -> str:
    """Build and store the ZIP of a queued job; return the state it ends in.

    A task run again (`rerun`: its earlier worker was killed) also takes a job left RUNNING, and
    builds it from the start, if that earlier run is known to be gone or the job has not
    progressed for `STALLED_AFTER`; a job still progressing is left to the run that moves it.
    Every exception ends the job as failed with a message for the officer; unexpected ones are
    raised again after that, so the task queue records the traceback too.
    """
    delete_expired_exports()
    started = timezone.now()
    takes = Q(state=ExportState.QUEUED)
    if rerun and earlier_run_gone:
        takes |= Q(state=ExportState.RUNNING)
    elif rerun:
        takes |= Q(state=ExportState.RUNNING, progressed_at__lt=started - STALLED_AFTER[ExportState.RUNNING])
    claimed = ExportJob.objects.filter(takes, pk=job_id).update(
        state=ExportState.RUNNING, started_at=started, progressed_at=started, done=0
    )
    if not claimed:  # already run, or deleted before its turn
        return ""
    job = ExportJob.objects.select_related("batch", "requested_by").get(pk=job_id)
    jobs = ExportJob.objects.filter(pk=job_id)
    try:
        allowed, reason = can_export(job.requested_by, job.city_code)
        if not allowed:
            raise ExportRefused(reason)
        snapshots = snapshots_for_export(
            job.requested_by,
            job.batch,
            city_code=job.city_code,
            category=job.category,
            state=job.application_state,
        )
        if not snapshots:
            raise ExportRefused("所选范围内已没有已提交的申报书。")
        jobs.update(total=len(snapshots), done=0)
        with tempfile.TemporaryFile() as out:
            build_export_zip(
                snapshots,
                out,
                processes=processes,
                progress=lambda done, _total: jobs.update(done=done, progressed_at=timezone.now()),
            )
            size = out.seek(0, io.SEEK_END)
            out.seek(0)
            job.file.save(f"export-{job.pk}.zip", File(out), save=False)
        jobs.update(
            state=ExportState.DONE,
            file=job.file.name,
            size=size,
            done=len(snapshots),
            finished_at=timezone.now(),
        )
        return ExportState.DONE
    except Exception as error:
        if isinstance(error, ExportRefused | BookFailed):
            message = error.message if isinstance(error, ExportRefused) else str(error)
        else:
            logger.exception("Export %s failed", job_id)
            message = (
                f"生成导出文件时出错（{type(error).__name__}），请稍后重试；如仍失败，请联系系统管理员。"
            )
        if job.file:
            job.file.delete(save=False)
        jobs.update(state=ExportState.FAILED, error=message, file="", finished_at=timezone.now())
        if isinstance(error, ExportRefused):
            return ExportState.FAILED
        raise


# The ZIP


@dataclass(frozen=True)
class _Entry:
    path: str  # inside the ZIP: "广州市/GD-SMD-2024-E-0001 某某公司 申报书.pdf"
    snapshot: Snapshot
    filename: str  # the book's own file name, as a download names it
    # The book to render, or its stored file: a stored book is not worked out again.
    book: Book | None = None
    stored: RenderedBook | None = None


def _entries(snapshots: Sequence[Snapshot]) -> list[_Entry]:
    """Return each snapshot's book under its path, in the ZIP's order (reads the database)."""
    from shifan.documents.book import book_filename, submitted_book

    stored = rendered.stored_books(snapshots, "pdf")
    city_order = {city.code: index for index, city in enumerate(reference.cities())}
    rows = []
    for snapshot in snapshots:
        city_code = snapshot.unit["city_code"]
        row = stored.get(snapshot.pk)
        book = None if row else submitted_book(snapshot)
        filename = row.filename if row else book_filename(book, "pdf")  # type: ignore[arg-type]
        rows.append(
            (
                city_order.get(city_code, len(city_order)),
                filename,
                snapshot.pk,
                city_code,
                book,
                row,
                snapshot,
            )
        )
    rows.sort(key=lambda row: row[:3])
    entries = []
    taken: set[str] = set()
    for _order, filename, _pk, city_code, book, row, snapshot in rows:
        path = f"{reference.city(city_code).name}/{filename}"
        if path in taken:  # the numbers are unique, so only a hand-made number can clash
            path = path.removesuffix(".pdf") + f" ({snapshot.pk}).pdf"
        taken.add(path)
        entries.append(_Entry(path, snapshot, filename, book, row))
    return entries


def _close_connections_before_fork() -> None:
    """Close the database connections, so no forked child shares a socket or file handle.

    Inside a transaction (a test case) closing would lose it; the children then inherit an open
    connection they never use, and leave through os._exit without closing it.
    """
    if not any(connection.in_atomic_block for connection in connections.all(initialized_only=True)):
        connections.close_all()


def _failed(entry: _Entry, error: Exception) -> BookFailed:
    return BookFailed(f"申报书 {entry.snapshot.number} 生成失败（{type(error).__name__}：{error}）。")


def _html(entry: _Entry) -> str:
    from shifan.documents.book import book_html

    assert entry.book is not None
    rendered.renders["pdf"] += 1
    try:
        return book_html(entry.book)
    except Exception as error:
        raise _failed(entry, error) from error


def _pdfs(entries: Sequence[_Entry], processes: int) -> Iterator[tuple[_Entry, bytes | None]]:
    """Yield each entry with its PDF, in the entries' order, rendered by `processes` processes.

    A stored book is yielded with None: its file is copied from storage.
    """
    from shifan.documents.book import pdf_from_html

    if processes <= 1 or all(entry.stored for entry in entries):
        for entry in entries:
            if entry.stored:
                yield entry, None
                continue
            html = _html(entry)
            try:
                pdf = pdf_from_html(html)
            except Exception as error:
                raise _failed(entry, error) from error
            yield entry, pdf
        return
    _close_connections_before_fork()
    # Fork, not spawn: the children inherit the loaded fonts and templates. With fork the pool
    # starts every worker at the first submit, before the parent touches the database again.
    context = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(max_workers=processes, mp_context=context) as pool:
        pending: deque[tuple[_Entry, Future[bytes] | None]] = deque()

        def first_done() -> tuple[_Entry, bytes | None]:
            entry, future = pending.popleft()
            if future is None:
                return entry, None
            try:
                return entry, future.result()
            except Exception as error:
                raise _failed(entry, error) from error

        for entry in entries:
            # A short queue keeps the workers busy without holding every book's HTML at once.
            pending.append((entry, None if entry.stored else pool.submit(pdf_from_html, _html(entry))))
            if len(pending) >= 2 * processes:
                yield first_done()
        while pending:
            yield first_done()


def build_export_zip(
    snapshots: Sequence[Snapshot], out: IO[bytes], *, processes: int, progress: Progress | None = None
) -> list[str]:
    """Write the snapshots' books as PDFs, one folder per city, and the summary workbook to `out`.

    Return the ZIP's entry names in order. `progress(done, total)` is called before the first
    book and after each one written. A book made here is stored (documents.rendered), one stored
    before is copied from storage.
    """
    entries = _entries(snapshots)
    total = len(entries)
    if progress:
        progress(0, total)
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for done, (entry, pdf) in enumerate(_pdfs(entries, processes), start=1):
            # A PDF's streams are compressed already: deflating it again saves about 3 % of its
            # size and costs more time than copying it, so the books are stored as they are.
            info = zipfile.ZipInfo(entry.path, date_time=time.localtime()[:6])
            info.compress_type = zipfile.ZIP_STORED
            if pdf is None:
                assert entry.stored is not None
                with archive.open(info, "w") as target, entry.stored.file.open("rb") as source:
                    shutil.copyfileobj(source, target, 1024 * 1024)
            else:
                archive.writestr(info, pdf)
                rendered.store_book(
                    snapshot=entry.snapshot, extension="pdf", filename=entry.filename, content=pdf
                )
            if progress:
                progress(done, total)
        archive.writestr(SUMMARY_NAME, export_summary(entries))
    return [entry.path for entry in entries] + [SUMMARY_NAME]


def export_summary(entries: Sequence[_Entry]) -> bytes:
    """Return the summary workbook: one row per exported book, in the ZIP's order."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "申报书汇总表"
    batch = entries[0].snapshot.application.batch if entries else None
    title_row(sheet, f"{batch.name if batch else ''}申报书汇总表", len(SUMMARY_COLUMNS))
    title_row(
        sheet,
        f"共 {len(entries)} 份    导出时间：{timezone.localtime():%Y-%m-%d %H:%M}",
        len(SUMMARY_COLUMNS),
        size=11,
    )
    header = header_row(sheet, SUMMARY_COLUMNS)
    for index, entry in enumerate(entries, start=1):
        snapshot = entry.snapshot
        application = snapshot.application
        unit = snapshot.unit
        body_row(
            sheet,
            [
                index,
                snapshot.number,
                unit["name"],
                unit["credit_code"],
                reference.city(unit["city_code"]).name,
                application.category_name,
                application.get_state_display(),
                snapshot.submitted_at,
                snapshot.sequence,
                snapshot.digest,
                entry.path,
            ],
        )
    sheet.freeze_panes = sheet.cell(row=header + 1, column=1)
    return workbook_bytes(workbook)
