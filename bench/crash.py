"""Benchmark: crash safety, measured. The deadline day with processes killed at random moments.

For each database (SQLite, and a scratch PostgreSQL database `shifan_bench_crash` created and
dropped as `bench/load.py` does) a child process builds the demo and N applicants
(`bench/load.py`: `served_demo`, `build_applicants`), serves the app with gunicorn (`load.Server`)
and runs the task worker (`manage.py run_worker`, the database queue, books made on submission,
mail written to files by Django's file-based backend). One bulk export of the demo batch is
queued. Then the deadline-day load runs (`load.deadline_day`: autosaves, readers, every applicant
submitting in the last minute) while a killer sends SIGKILL, `--kills` times at random moments,
in turn to: one gunicorn worker process, every gunicorn worker (the master starts new ones), the
whole gunicorn (master and workers: it is started again) or the task worker (started again).
Clients see errors while the server is down; a request cut by a kill is not counted as told.

After the load every process is started again and the worker drains the queue (its sweep
requeues the tasks a killed worker left RUNNING). Then:

- lost writes: every save and submission the server acknowledged is in the database
  (`load.check_nothing_lost`); goal 0;
- snapshots: every snapshot is whole (its digest, worked out again from its stored number,
  answers, attachments, spec and unit, is the one it recorded; its application is SUBMITTED
  under its number), and every stored book is a readable PDF (pdfinfo);
- tasks: every due task is SUCCESSFUL (none READY, RUNNING or FAILED); the export is DONE with
  every book in its ZIP;
- duplicated tasks: mails sent (counted per recipient, subject and body in the mail files) beyond
  those queued, and books stored more than once for a snapshot; goal 0.

Printed per database: a summary; the last line is one line of JSON.
Run: `make bench-crash` (about 5 minutes), or
`python bench/crash.py --databases sqlite --sizes 30 --kills 4`.
"""

import argparse
import asyncio
import email
import email.policy
import json
import os
import random
import re
import signal
import subprocess
import sys
import time
import zipfile
from collections import Counter
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import load  # noqa: E402 - bench/load.py, beside this script: the demo, the server, the clients

ROOT = load.ROOT
PG_DATABASE = "shifan_bench_crash"
KILLS = ("one gunicorn worker", "every gunicorn worker", "the whole gunicorn", "the task worker")
DRAIN_SECONDS = 300
REQUEUED = re.compile(r"Requeued (\d+) of \d+ abandoned tasks")


def parse_arguments() -> argparse.Namespace:
    parser = load.deadline_day_arguments(__doc__.splitlines()[0], sizes="100", readers=5, officers=2)
    parser.add_argument("--kills", type=int, default=8, help="SIGKILLs per database (default 8)")
    parser.add_argument("--seed", type=int, default=None, help="the killer's random seed")
    return parser.parse_args()


def main() -> None:
    arguments = parse_arguments()
    if arguments.database:
        child(arguments)
        return
    figures: dict[str, Any] = {"load": os.getloadavg()[0], "cores": os.cpu_count()}
    for database in arguments.databases.split(","):
        command = [sys.executable, __file__, *sys.argv[1:], "--database", database]
        process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
        last = ""
        assert process.stdout is not None
        for line in process.stdout:
            print(line, end="", flush=True)
            if line.strip():
                last = line
        if process.wait() != 0:
            sys.exit(f"the {database} run failed")
        figures[database] = json.loads(last)
    totals = ("kills", "acknowledged_writes", "lost_writes", "duplicated_tasks")
    names = arguments.databases.split(",")
    line = {key: sum(figures[name][key] for name in names) for key in totals}
    print(json.dumps({**line, **{name: figures[name] for name in names}, "load_average": figures["load"]}))


# ---------------------------------------------------------------------------------------------
# The child: one database.


class TaskWorker:
    """`manage.py run_worker`, as operators run it, logging to a file in the scratch folder."""

    def __init__(self, scratch: str) -> None:
        self.log = Path(scratch) / "worker.log"
        self.process: subprocess.Popen[bytes] | None = None
        self.env = {**os.environ, "SHIFAN_LOG_LEVEL": "WARNING", "SHIFAN_EXPORT_PROCESSES": "1"}

    def start(self) -> None:
        command = [sys.executable, "manage.py", "run_worker", "--queue-name", "*", "--interval", "0.5"]
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                [*command, "--no-reload"], cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT
            )

    def kill(self) -> None:
        if self.process is not None:
            self.process.kill()
            self.process.wait()

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def gunicorn_workers(server: load.Server) -> list[int]:
    assert server.process is not None
    pid = server.process.pid
    try:
        return [int(child) for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def kill(what: str, server: load.Server, worker: TaskWorker) -> None:
    """Send SIGKILL to `what` (one of KILLS) and start again what does not start itself."""
    if what == "the task worker":
        worker.kill()
        worker.start()
        return
    workers = gunicorn_workers(server)
    if what == "one gunicorn worker" and workers:
        os.kill(random.choice(workers), signal.SIGKILL)
    elif what == "every gunicorn worker":
        for pid in workers:
            os.kill(pid, signal.SIGKILL)
    elif what == "the whole gunicorn":
        assert server.process is not None
        for pid in [server.process.pid, *workers]:
            os.kill(pid, signal.SIGKILL)
        server.process.wait()
        server.start()


async def killer(
    server: load.Server, worker: TaskWorker, arguments: argparse.Namespace, done: list[str]
) -> None:
    """Kill at random moments of the load, each kind of kill in turn (in a random order)."""
    length = arguments.autosave_interval + arguments.seconds + min(arguments.seconds, 55) + 5
    moments = sorted(random.uniform(2, length - 2) for _ in range(arguments.kills))
    kinds = random.sample(KILLS, len(KILLS))
    start = time.monotonic()
    for index, moment in enumerate(moments):
        await asyncio.sleep(max(0.0, start + moment - time.monotonic()))
        what = kinds[index % len(kinds)]
        await asyncio.to_thread(kill, what, server, worker)
        done.append(what)
        print(f"  {time.monotonic() - start:5.1f} s: SIGKILL to {what}", flush=True)


async def load_with_kills(
    server: load.Server,
    worker: TaskWorker,
    world: dict[str, Any],
    applicants: list[dict[str, Any]],
    arguments: argparse.Namespace,
) -> tuple[dict[str, Any], list[str]]:
    done: list[str] = []
    run, _killed = await asyncio.gather(
        load.deadline_day(server.base, world, applicants, arguments), killer(server, worker, arguments, done)
    )
    return run, done


def child(arguments: argparse.Namespace) -> None:
    if arguments.seed is not None:
        random.seed(arguments.seed)
    load.PG_DATABASE = PG_DATABASE  # its own scratch database, beside a `make bench` run
    os.environ["EMAIL_BACKEND"] = "django.core.mail.backends.filebased.EmailBackend"
    os.environ["SHIFAN_RENDER_BOOKS_ON_SUBMIT"] = "true"
    scratch = load.served_demo(arguments.database, "crash")
    os.environ["EMAIL_FILE_PATH"] = str(Path(scratch) / "mail")
    world = load.demo_world()
    size = int(arguments.sizes.split(",")[0])
    applicants = load.build_applicants(world, size, 0)
    export = queue_export(world)

    server = load.Server(arguments)
    worker = TaskWorker(scratch)
    server.start()
    worker.start()
    try:
        print(
            f"[{arguments.database}] N = {size}, {arguments.kills} kills during the deadline day", flush=True
        )
        run, kills = asyncio.run(load_with_kills(server, worker, world, applicants, arguments))
        # Everything up again: a gunicorn whose master was killed last is running (kill() starts
        # it), and the worker is started anew so that its sweep at start finds what was left.
        worker.kill()
        worker.start()
        drained = drain()
        results = check(applicants, run.pop("told"), export, scratch)
    finally:
        worker.stop()
        server.stop()
    requeued = sum(int(count) for count in REQUEUED.findall(worker.log.read_text(errors="replace")))
    figures = {
        "database": arguments.database,
        "applicants": size,
        "kills": len(kills),
        "killed": dict(Counter(kills)),
        "client_errors": run["errors"],
        "drain_seconds": drained,
        "tasks_requeued": requeued,
        **results,
    }
    print_summary(figures)
    print(json.dumps(figures, ensure_ascii=False))


def queue_export(world: dict[str, Any]) -> int:
    """Queue one bulk export of the demo batch's books, as the province officer would."""
    from shifan.documents.exports import request_export

    job, _created = request_export(actor=world["province"], batch=world["batch"], city_code="", category="")
    return job.pk


def drain() -> float:
    """Wait until no due task is READY or RUNNING; return the seconds it took."""
    from django_tasks_db.models import DBTaskResult

    start = time.monotonic()
    while time.monotonic() - start < DRAIN_SECONDS:
        if not (DBTaskResult.objects.running().exists() or DBTaskResult.objects.ready().exists()):
            return round(time.monotonic() - start, 1)
        time.sleep(1)
    return round(time.monotonic() - start, 1)


# ---------------------------------------------------------------------------------------------
# The checks


def check(
    applicants: list[dict[str, Any]], told: dict[int, Any], export: int, scratch: str
) -> dict[str, Any]:
    lost = load.check_nothing_lost(applicants, told)
    snapshots, broken_snapshots, unreadable_books = check_snapshots()
    tasks = check_tasks()
    mails = check_mails(Path(scratch) / "mail")
    duplicated_books, books, snapshots_without_book = check_books()
    export_state = check_export(export)
    return {
        "acknowledged_writes": lost["saves_confirmed"] + lost["submissions_confirmed"],
        "saves_acknowledged": lost["saves_confirmed"],
        "submissions_acknowledged": lost["submissions_confirmed"],
        "lost_writes": lost["lost"],
        "unconfirmed_but_stored": lost["unconfirmed"],
        "snapshots": snapshots,
        "broken_snapshots": broken_snapshots,
        "books": books,
        "snapshots_without_book": snapshots_without_book,
        "unreadable_books": unreadable_books,
        "tasks": tasks,
        "tasks_not_successful": sum(count for status, count in tasks.items() if status != "SUCCESSFUL"),
        "mails_queued": mails["queued"],
        "mails_sent": mails["sent"],
        "mails_missing": mails["missing"],
        "duplicated_mails": mails["duplicated"],
        "duplicated_books": duplicated_books,
        "duplicated_tasks": mails["duplicated"] + duplicated_books,
        "export": export_state,
    }


def check_snapshots() -> tuple[int, int, int]:
    """Return the snapshots, those not whole, and the stored books that are not readable PDFs."""
    from shifan.applications.models import ApplicationState, Snapshot
    from shifan.applications.services import digest_of
    from shifan.documents.models import RenderedBook

    broken = 0
    snapshots = Snapshot.objects.select_related("application")
    for snapshot in snapshots:
        whole = digest_of(snapshot) == snapshot.digest and bool(snapshot.answers and snapshot.number)
        application = snapshot.application
        if not whole or application.number != snapshot.number or application.state == ApplicationState.DRAFT:
            broken += 1
            print(f"  BROKEN snapshot {snapshot.pk} of application {application.pk}", flush=True)
    unreadable = 0
    for book in RenderedBook.objects.filter(extension="pdf"):
        info = subprocess.run(["pdfinfo", book.file.path], capture_output=True, check=False)
        if info.returncode != 0 or b"Pages:" not in info.stdout:
            unreadable += 1
            print(f"  UNREADABLE book {book.file.name}", flush=True)
    return snapshots.count(), broken, unreadable


def check_tasks() -> dict[str, int]:
    """Return the due tasks by status (a notice opening later is not due yet)."""
    from django.db.models import Count
    from django_tasks_db.models import DBTaskResult

    later = DBTaskResult.objects.filter(status="READY").exclude(
        pk__in=DBTaskResult.objects.ready().values("pk")
    )
    due = DBTaskResult.objects.exclude(pk__in=later.values("pk"))
    for failed in due.filter(status="FAILED")[:5]:
        print(f"  FAILED {failed.task_path}: {failed.traceback.strip().splitlines()[-1:]}", flush=True)
    return {row["status"]: row["n"] for row in due.values("status").annotate(n=Count("id")).order_by()}


def check_mails(folder: Path) -> dict[str, int]:
    """Count the mails written to `folder` per (recipients, subject, body) against those queued."""
    from django_tasks_db.models import DBTaskResult

    queued: Counter[tuple[str, str, str]] = Counter()
    for args in DBTaskResult.objects.filter(task_path__endswith=".deliver_mail").values_list(
        "args_kwargs", flat=True
    ):
        kwargs = args["kwargs"]
        queued[(", ".join(kwargs["to"]), kwargs["subject"].strip(), kwargs["body"].strip())] += 1
    sent: Counter[tuple[str, str, str]] = Counter()
    separator = b"\n" + b"-" * 79 + b"\n"  # after each message in a file (Django's file backend)
    for path in sorted(folder.glob("*.log")) if folder.is_dir() else []:
        for raw in path.read_bytes().split(separator):
            if not raw.strip():
                continue
            message = email.message_from_bytes(raw, policy=email.policy.default)
            body = message.get_content() if not message.is_multipart() else ""  # type: ignore[attr-defined]
            sent[(str(message["To"]), str(message["Subject"]).strip(), body.strip())] += 1
    return {
        "queued": sum(queued.values()),
        "sent": sum(sent.values()),
        "missing": sum(max(0, count - sent[key]) for key, count in queued.items()),
        "duplicated": sum(max(0, count - queued[key]) for key, count in sent.items()),
    }


def check_books() -> tuple[int, int, int]:
    """Return the book files stored beyond one per snapshot and format, the books stored, and the
    snapshots with no PDF book (its task lost, or never queued)."""
    from django.conf import settings
    from django.db.models import Exists, OuterRef

    from shifan.applications.models import Snapshot
    from shifan.documents.models import RenderedBook

    files = Counter(path.name for path in (Path(settings.MEDIA_ROOT) / "books").rglob("*") if path.is_file())
    names = Counter(Path(name).name for name in RenderedBook.objects.values_list("file", flat=True))
    # A book's file is named by its snapshot's digest and key: a second file for the same book
    # would have Django's random suffix, so it counts as a file no row names.
    extra = sum(files.values()) - sum(min(files[name], 1) for name in names)
    pdf = RenderedBook.objects.filter(snapshot=OuterRef("pk"), extension="pdf")
    without = Snapshot.objects.exclude(Exists(pdf)).count()
    return extra, RenderedBook.objects.count(), without


def check_export(job_id: int) -> str:
    from shifan.documents.models import ExportJob

    job = ExportJob.objects.get(pk=job_id)
    if job.state != "done":
        return f"{job.state}: {job.error}"
    with zipfile.ZipFile(job.file.path) as archive:
        pdfs = [name for name in archive.namelist() if name.endswith(".pdf")]
        bad = archive.testzip()
    return "done" if len(pdfs) == job.total and bad is None else f"done, {len(pdfs)} of {job.total} books"


def print_summary(figures: dict[str, Any]) -> None:
    killed = ", ".join(f"{what} ×{count}" for what, count in figures["killed"].items())
    lines = [
        f"[{figures['database']}] {figures['kills']} kills ({killed}); "
        f"client errors {figures['client_errors']} (expected while down)",
        f"  acknowledged writes {figures['acknowledged_writes']} ({figures['saves_acknowledged']} saves, "
        f"{figures['submissions_acknowledged']} submissions), lost {figures['lost_writes']}; "
        f"stored but unconfirmed {figures['unconfirmed_but_stored']}",
        f"  snapshots {figures['snapshots']}, broken {figures['broken_snapshots']}; "
        f"books {figures['books']}, snapshots without one {figures['snapshots_without_book']}, unreadable "
        f"{figures['unreadable_books']}; export {figures['export']}",
        f"  queue drained in {figures['drain_seconds']} s, tasks requeued by the sweep "
        f"{figures['tasks_requeued']}; tasks {figures['tasks']}",
        f"  mails queued {figures['mails_queued']}, sent {figures['mails_sent']}, missing "
        f"{figures['mails_missing']}, duplicated {figures['duplicated_mails']}; duplicated books "
        f"{figures['duplicated_books']}",
    ]
    print("\n".join(lines), flush=True)


if __name__ == "__main__":
    main()
