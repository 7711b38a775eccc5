"""Benchmark: the deadline day, served as in production, on SQLite and on PostgreSQL.

For each database a child process builds a scratch database (SQLite in a temp dir, or a scratch
PostgreSQL database `shifan_bench` that is dropped at the end), loads the demo data (`load_demo`:
officers, the open demo batch with submitted applications, a batch on public notice now), runs
`collectstatic`, and serves the app with gunicorn on 127.0.0.1 (DEBUG off, collected static files,
no TLS, the bench ceiling view on). Then, for each N:

- N applicant organisations, each with one member and a draft of the demo batch filled in but for
  one written section; the clients hold session cookies made with `SessionStore` (as a login
  would leave them: argon2 hashing 500 logins would take the server a minute of both cores);
  officers' sessions carry the verified second factor as `tests.helpers.login_verified` does;
- warming up (one `--autosave-interval`, reported apart): the applicants arrive, each opening its
  section page at a random moment of it, and start saving;
- phase 1 (`--seconds`): every applicant autosaves the section every `--autosave-interval`
  seconds through the real endpoint (base version, dirty keys, client id, CSRF token from the
  page, as autosave.js does) and reopens the page after one save in four (at random, so that the
  reopenings do not come together), while anonymous visitors read the public notice and officers
  read the city review queue and the province's lists;
- phase 2: the batch's deadline is set one minute ahead and every applicant saves once more,
  opens the submit page and submits (then follows the redirect to its application page, where
  the success message must show), all within that minute; the readers go on reading.

Before the sizes, each page is requested alone by a fixed number of closed-loop clients for
`--capacity-seconds`, and so is a bare Django view (`/bench/ceiling/`, same server, same middleware): each
page's throughput is reported as a ratio to it.

Printed per N: requests/s, p50/p95/p99 per kind of request, errors (status >= 400 that was not
expected, timeouts, refused connections), and whether every save and submission the clients were
told succeeded is in the database (revision versions, the saved text, snapshots, states). The
load generator (one asyncio process, aiohttp) runs on the same two cores as the server.

Targets: no error and nothing lost at N = 500 on both databases; autosave p99 < 150 ms at N = 200;
the public notice page at least half the ceiling's throughput. The last line is one line of JSON.
Run: `make bench` (or `python bench/load.py --sizes 20 --seconds 5 --databases sqlite`).
"""

import argparse
import asyncio
import atexit
import json
import os
import random
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections import defaultdict
from datetime import timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
PG_ADMIN_DSN = "postgresql://postgres@127.0.0.1:5432/postgres"
PG_DATABASE = "shifan_bench"
TARGETS = {"autosave_p99_ms_at_200": 150, "notice_ratio": 0.5}
# Expected answers that are not errors: an autosave refused with 409 after the application was
# submitted cannot happen here (the client stops saving first), so none are expected.
TIMEOUT_SECONDS = 30


def deadline_day_arguments(
    description: str, *, sizes: str, readers: int, officers: int
) -> argparse.ArgumentParser:
    """Return a parser of the deadline day's options (this benchmark's and bench/crash.py's)."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--sizes", default=sizes, help=f"applicant counts (default {sizes})")
    parser.add_argument("--databases", default="sqlite,postgresql", help="sqlite, postgresql or both")
    parser.add_argument("--seconds", type=float, default=20, help="seconds per phase (default 20)")
    parser.add_argument("--autosave-interval", type=float, default=5, help="seconds between saves (5)")
    parser.add_argument("--workers", type=int, default=3, help="gunicorn worker processes (default 3)")
    parser.add_argument("--threads", type=int, default=4, help="threads per worker, gthread (default 4)")
    parser.add_argument(
        "--readers", type=int, default=readers, help=f"public notice readers (default {readers})"
    )
    parser.add_argument(
        "--officers", type=int, default=officers, help=f"officers reading lists (default {officers})"
    )
    parser.add_argument("--connections", type=int, default=64, help="client connection limit (64)")
    parser.add_argument("--database", help=argparse.SUPPRESS)  # the child process: one database
    return parser


def parse_arguments() -> argparse.Namespace:
    parser = deadline_day_arguments(__doc__.splitlines()[0], sizes="50,200,500", readers=10, officers=4)
    parser.add_argument("--capacity-seconds", type=float, default=10, help="seconds per page alone (10)")
    parser.add_argument("--capacity-clients", type=int, default=16, help="clients per page alone (16)")
    return parser.parse_args()


# ---------------------------------------------------------------------------------------------
# The parent: one child process per database (Django's settings are read once per process).


def main() -> None:
    arguments = parse_arguments()
    if arguments.database:
        child(arguments)
        return
    figures: dict[str, Any] = {
        "seconds": arguments.seconds,
        "autosave_interval": arguments.autosave_interval,
        "server": f"gunicorn gthread {arguments.workers} workers x {arguments.threads} threads",
        "cores": os.cpu_count(),
    }
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
    figures["targets_met"] = targets_met(figures, arguments)
    print(json.dumps(figures, ensure_ascii=False))


def targets_met(figures: dict[str, Any], arguments: argparse.Namespace) -> dict[str, bool | None]:
    databases = [figures[name] for name in arguments.databases.split(",")]
    sizes = [int(size) for size in arguments.sizes.split(",")]
    met: dict[str, bool | None] = {"no_error_nothing_lost_at_500": None, "autosave_p99_at_200": None}
    if 500 in sizes:
        met["no_error_nothing_lost_at_500"] = all(
            run["sizes"]["500"]["errors"] == 0 and run["sizes"]["500"]["lost"] == 0 for run in databases
        )
    if 200 in sizes:
        met["autosave_p99_at_200"] = all(
            run["sizes"]["200"]["load"]["autosave"]["p99_ms"] < TARGETS["autosave_p99_ms_at_200"]
            for run in databases
        )
    met["notice_half_ceiling"] = all(
        run["capacity"]["public_notice"]["ratio"] >= TARGETS["notice_ratio"] for run in databases
    )
    return met


# ---------------------------------------------------------------------------------------------
# The child: one database, its server, every size.


def served_demo(database: str, name: str) -> str:
    """Make this process the benchmark's side of the server: a scratch folder (and, for
    PostgreSQL, the scratch database PG_DATABASE, dropped at exit), the production settings with
    the ceiling view on, Django set up and the demo loaded. Return the folder."""
    scratch = tempfile.mkdtemp(prefix=f"shifan-bench-{name}-{database}-")
    atexit.register(shutil.rmtree, scratch, ignore_errors=True)
    os.environ.update(
        {
            "DJANGO_SETTINGS_MODULE": "shifan.settings",
            "DJANGO_DEBUG": "false",
            "SHIFAN_DEMO": "false",
            "SHIFAN_HTTPS": "false",
            "SHIFAN_COLLECTED_STATIC": "true",
            "SHIFAN_BENCH_CEILING": "true",
            "SHIFAN_VAR_DIR": scratch,
            "SHIFAN_SQLITE_PATH": str(Path(scratch) / "bench.sqlite3"),
            "SHIFAN_LOG_LEVEL": "ERROR",
        }
    )
    for variable in ("DATABASE_URL", "REDIS_URL", "SHIFAN_TASKS_BACKEND"):
        os.environ.pop(variable, None)
    if database == "postgresql":
        create_pg_database()
        atexit.register(drop_pg_database)
        os.environ["DATABASE_URL"] = f"postgres://postgres@127.0.0.1:5432/{PG_DATABASE}"
    elif database != "sqlite":
        sys.exit(f"unknown database {database}")
    sys.path[:0] = [str(ROOT / "src"), str(ROOT)]  # shifan, and tests.factories

    import django

    django.setup()
    from django.core.management import call_command

    print(f"[{database}] building the demo data in {scratch} …", flush=True)
    start = time.perf_counter()
    call_command("migrate", verbosity=0)
    call_command("collectstatic", "--noinput", verbosity=0)
    with open(os.devnull, "w") as quiet:
        call_command("load_demo", stdout=quiet)
    print(f"  demo data in {time.perf_counter() - start:.0f} s", flush=True)
    return scratch


def child(arguments: argparse.Namespace) -> None:
    served_demo(arguments.database, "load")
    world = demo_world()

    server = Server(arguments)
    atexit.register(server.stop)
    server.start()
    results: dict[str, Any] = {"database": arguments.database}
    results["capacity"] = asyncio.run(capacity(server.base, world, arguments))
    print_capacity(results["capacity"])
    results["sizes"] = {}
    for serial, size in enumerate(int(size) for size in arguments.sizes.split(",")):
        start = time.perf_counter()
        applicants = build_applicants(world, size, serial)
        print(
            f"[{arguments.database}] N = {size}: {size} drafts in {time.perf_counter() - start:.0f} s",
            flush=True,
        )
        run = asyncio.run(deadline_day(server.base, world, applicants, arguments))
        run.update(check_nothing_lost(applicants, run.pop("told")))
        print_size(size, run)
        results["sizes"][str(size)] = run
    server.stop()
    print(json.dumps(results, ensure_ascii=False))


def create_pg_database() -> None:
    import psycopg

    with psycopg.connect(PG_ADMIN_DSN, autocommit=True) as connection:
        connection.execute(f"DROP DATABASE IF EXISTS {PG_DATABASE} WITH (FORCE)")
        connection.execute(f"CREATE DATABASE {PG_DATABASE}")


def drop_pg_database() -> None:
    import psycopg

    with psycopg.connect(PG_ADMIN_DSN, autocommit=True) as connection:
        connection.execute(f"DROP DATABASE IF EXISTS {PG_DATABASE} WITH (FORCE)")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Server:
    """gunicorn as in production: gthread workers, bound to 127.0.0.1 only."""

    def __init__(self, arguments: argparse.Namespace) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.command = [
            str(Path(sys.executable).parent / "gunicorn"),
            "shifan.wsgi:application",
            f"--bind=127.0.0.1:{self.port}",
            "--worker-class=gthread",
            f"--workers={arguments.workers}",
            f"--threads={arguments.threads}",
            "--backlog=2048",
            "--keep-alive=5",
            f"--timeout={TIMEOUT_SECONDS + 10}",
            "--log-level=warning",
        ]
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(self.command, cwd=ROOT, env=os.environ.copy())
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    break
            except OSError:
                time.sleep(0.2)
        else:
            sys.exit("gunicorn did not start")
        print(f"  gunicorn {' '.join(self.command[2:6])} pid {self.process.pid}", flush=True)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
        self.process = None


# ---------------------------------------------------------------------------------------------
# Data


def session_cookie(user: Any) -> str:
    """Return a session key as the login page (and the second factor, for officers) leaves it."""
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from shifan.accounts.sessions import SessionStore

    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "shifan.accounts.backends.AccountBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    if user.requires_two_factor:
        device = TOTPDevice.objects.filter(user=user, confirmed=True).first() or TOTPDevice.objects.create(
            user=user, name="bench", confirmed=True
        )
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.create()
    return str(session.session_key)


def demo_world() -> dict[str, Any]:
    from django.urls import reverse

    from shifan.accounts.models import Role, User
    from shifan.demo.loader import DEMO_BATCH_NAME
    from shifan.programs.models import Batch
    from shifan.publicity.models import Notice

    batch = Batch.objects.get(name=DEMO_BATCH_NAME)
    notice = Notice.objects.filter(state="open").order_by("-pk").first() or Notice.objects.latest("pk")
    province = User.objects.filter(role=Role.PROVINCE_OFFICER).order_by("pk").first()
    city = User.objects.get(role=Role.CITY_OFFICER, city_code="440300")  # 深圳: demo applications
    queue = reverse("reviews:queue") + f"?batch={batch.pk}"
    return {
        "batch": batch,
        "province": province,
        "pages": {
            "ceiling": (reverse("bench_ceiling"), None),
            "public_notice": (reverse("publicity:public_notice", args=[notice.pk]), None),
            "city_queue": (queue, session_cookie(city)),
            "province_queue": (queue, session_cookie(province)),
            "province_progress": (reverse("reviews:progress", args=[batch.pk]), session_cookie(province)),
        },
    }


def build_applicants(world: dict[str, Any], size: int, serial: int) -> list[dict[str, Any]]:
    """Create `size` organisations, each with a member and a draft complete but for one section."""
    from django.db import transaction
    from django.urls import reverse

    from shifan.accounts.models import (
        Membership,
        Organisation,
        OrganisationNature,
        Role,
        User,
        VerificationState,
    )
    from shifan.applications import services
    from shifan.core import reference, uscc
    from shifan.demo.loader import complete_application

    cities = list(reference.cities())
    applicants = []
    for index in range(size):
        city = cities[index % len(cities)]
        category = "enterprise" if index % 3 else "platform"
        number = serial * 1000 + index
        with transaction.atomic():
            organisation = Organisation.objects.create(
                name=f"基准负载{number:04d}制造有限公司",
                credit_code=uscc.compose(authority="91", area=city.code, body=f"MB{number:05d}X"),
                nature=OrganisationNature.ENTERPRISE,
                city_code=city.code,
                county_code=reference.counties(city.code)[0].code,
                address="示范路1号",
                contact_name="联系人",
                contact_phone="020-83133359",
                contact_email=f"bench-org{number}@example.com",
                # Verified by its city, as an organisation must be to submit.
                verification_state=VerificationState.VERIFIED,
            )
            # No password: the clients hold sessions, and argon2 would make building 500 slow.
            user = User.objects.create_user(
                f"bench-applicant{number}@example.com", None, name=f"申报人{number}", role=Role.APPLICANT
            )
            Membership.objects.create(user=user, organisation=organisation, is_admin=True)
        application = services.start_application(actor=user, batch=world["batch"], category=category)
        form = application.form
        longtexts = [field for field in form.fields() if field.type == "longtext"]
        left = longtexts[-1]  # the last written section is still empty
        complete_application(application, user, {left.key: ""})
        application.refresh_from_db()
        section = next(section for section in form.sections if left in section.fields)
        applicants.append(
            {
                "pk": application.pk,
                "field": left.key,
                "version": application.version,
                "session": session_cookie(user),
                "section_url": reverse("applications:section", args=[application.pk, section.key]),
                "save_url": reverse("applications:autosave", args=[application.pk]),
                "submit_url": reverse("applications:submit", args=[application.pk]),
            }
        )
    return applicants


def check_nothing_lost(applicants: list[dict[str, Any]], told: dict[int, dict[str, Any]]) -> dict[str, Any]:
    """Compare what the clients were told succeeded with what the database holds."""
    from shifan.applications.models import Application, ApplicationState, Revision, Snapshot

    lost: list[str] = []
    unconfirmed = 0
    revisions = snapshots = 0
    for applicant in applicants:
        pk = applicant["pk"]
        client = told[pk]
        application = Application.objects.get(pk=pk)
        versions = set(
            Revision.objects.filter(application_id=pk, version__gt=applicant["version"]).values_list(
                "version", flat=True
            )
        )
        revisions += len(versions)
        if not client["versions"] <= versions:
            lost.append(f"{pk}: saved versions {sorted(client['versions'] - versions)} missing")
        if len(versions) > len(client["versions"]):
            unconfirmed += len(versions) - len(client["versions"])
        # The stored text is the last one confirmed, or one sent after it whose answer never came
        # (a timeout): the server may have saved that one after the client gave up.
        stored = application.answers.get(applicant["field"])
        if client["text"] is not None and stored != client["text"] and stored not in client["unanswered"]:
            lost.append(f"{pk}: the last saved text is not the stored one")
        count = Snapshot.objects.filter(application_id=pk).count()
        snapshots += count
        if client["submitted"]:
            if application.state != ApplicationState.SUBMITTED or count != 1:
                lost.append(f"{pk}: told submitted, but {application.state} with {count} snapshots")
        elif count:
            unconfirmed += 1  # submitted, but the client never heard so (a timeout)
    for line in lost[:10]:
        print(f"  LOST {line}", flush=True)
    return {
        "lost": len(lost),
        "unconfirmed": unconfirmed,
        "saves_confirmed": sum(len(told[a["pk"]]["versions"]) for a in applicants),
        "revisions_in_database": revisions,
        "submissions_confirmed": sum(told[a["pk"]]["submitted"] for a in applicants),
        "snapshots_in_database": snapshots,
    }


# ---------------------------------------------------------------------------------------------
# The clients: one asyncio process, aiohttp, bounded connections; latency from the moment a
# request is due (so waiting for a free connection counts), until its body is read.

CSRF_META = re.compile(rb'<meta name="csrf-token" content="([^"]+)"')
VERSION = re.compile(rb'data-version="(\d+)"')
SUBMITTED = "申报书已提交，申报编号".encode()


class Recorder:
    def __init__(self) -> None:
        self.latencies: dict[str, list[float]] = defaultdict(list)
        self.errors: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
        self.started = time.monotonic()

    def ok(self, kind: str, seconds: float) -> None:
        self.latencies[kind].append(seconds)

    def error(self, kind: str, what: str) -> None:
        self.errors[kind][what] += 1

    def summary(self, elapsed: float) -> dict[str, Any]:
        kinds = {}
        for kind in sorted(set(self.latencies) | set(self.errors)):
            values = sorted(self.latencies.get(kind, []))
            kinds[kind] = {
                "requests": len(values),
                "per_second": round(len(values) / elapsed, 1),
                "p50_ms": round(percentile(values, 50) * 1000, 1),
                "p95_ms": round(percentile(values, 95) * 1000, 1),
                "p99_ms": round(percentile(values, 99) * 1000, 1),
                "errors": dict(self.errors.get(kind, {})),
            }
        total = sum(len(values) for values in self.latencies.values())
        return {
            "seconds": round(elapsed, 1),
            "requests": total,
            "per_second": round(total / elapsed, 1),
            "errors": sum(sum(e.values()) for e in self.errors.values()),
            "kinds": kinds,
        }


def percentile(values: list[float], p: float) -> float:
    if not values:
        return 0.0
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[int(p) - 1]


def new_session(arguments: argparse.Namespace) -> Any:
    import aiohttp

    connector = aiohttp.TCPConnector(limit=arguments.connections, force_close=False)
    return aiohttp.ClientSession(
        connector=connector,
        cookie_jar=aiohttp.DummyCookieJar(),  # each client's cookies travel in its own header
        timeout=aiohttp.ClientTimeout(total=TIMEOUT_SECONDS),
        skip_auto_headers=("User-Agent",),
    )


async def fetch(
    http: Any,
    recorder: Recorder,
    kind: str,
    method: str,
    url: str,
    *,
    cookies: dict[str, str] | None = None,
    data: dict[str, str] | None = None,
    headers: dict[str, str] | None = None,
    expect: tuple[int, ...] = (200,),
) -> tuple[int, bytes, Any] | None:
    """Make one request; record its latency, or the error. Return (status, body, response)."""
    sent = dict(headers or {})
    if cookies:
        sent["Cookie"] = "; ".join(f"{name}={value}" for name, value in cookies.items())
    start = time.monotonic()
    try:
        async with http.request(method, url, data=data, headers=sent, allow_redirects=False) as response:
            body = await response.read()
    except TimeoutError:
        recorder.error(kind, "timeout")
        return None
    except OSError as error:  # refused or reset connections (aiohttp's errors derive from it)
        recorder.error(kind, type(error).__name__)
        return None
    except Exception as error:  # noqa: BLE001 - any other client error is counted, not raised
        recorder.error(kind, type(error).__name__)
        return None
    if response.status not in expect:
        recorder.error(kind, str(response.status))
        return None
    recorder.ok(kind, time.monotonic() - start)
    return response.status, body, response


async def closed_loop(http: Any, recorder: Recorder, kind: str, url: str, cookies: Any, until: float) -> None:
    while time.monotonic() < until:
        await fetch(http, recorder, kind, "GET", url, cookies=cookies)


async def capacity(base: str, world: dict[str, Any], arguments: argparse.Namespace) -> dict[str, Any]:
    """Each page alone, `--capacity-clients` clients asking as fast as answered, for `--capacity-seconds`."""
    http = new_session(arguments)
    results: dict[str, Any] = {}
    async with http:
        for kind, (path, session) in world["pages"].items():
            cookies = {"sessionid": session} if session else None
            recorder = Recorder()
            await fetch(http, Recorder(), kind, "GET", base + path, cookies=cookies)  # warm-up
            until = time.monotonic() + arguments.capacity_seconds
            start = time.monotonic()
            await asyncio.gather(
                *(
                    closed_loop(http, recorder, kind, base + path, cookies, until)
                    for _ in range(arguments.capacity_clients)
                )
            )
            results[kind] = recorder.summary(time.monotonic() - start)["kinds"][kind]
    ceiling = results["ceiling"]["per_second"] or 1
    for figures in results.values():
        figures["ratio"] = round(figures["per_second"] / ceiling, 3)
    return results


async def applicant(
    http: Any,
    base: str,
    person: dict[str, Any],
    recorder_at: Any,
    told: dict[str, Any],
    interval: float,
    load_until: float,
    submit_at: float,
) -> None:
    """One person: open the section, autosave every few seconds, then submit before the deadline."""
    deadline = recorder_at(load_until)
    cookies = {"sessionid": person["session"]}
    client_id = str(uuid.uuid4())
    token = ""
    version = person["version"]
    saves = 0

    async def open_section(recorder: Recorder) -> bool:
        nonlocal token, version
        got = await fetch(http, recorder, "section", "GET", base + person["section_url"], cookies=cookies)
        if got is None:
            return False
        _status, body, response = got
        if "csrftoken" in response.cookies:
            cookies["csrftoken"] = response.cookies["csrftoken"].value
        token = CSRF_META.search(body).group(1).decode()  # type: ignore[union-attr]
        version = int(VERSION.search(body).group(1))  # type: ignore[union-attr]
        return True

    async def autosave(recorder: Recorder) -> None:
        nonlocal version, saves
        saves += 1
        text = f"一、总体情况。第{saves}次保存：本单位围绕服务型制造持续投入，服务收入占比逐年提高。" * 4
        told["unanswered"].add(text)
        data = {
            person["field"]: text,
            "base_version": str(version),
            "dirty": person["field"],
            "client_id": client_id,
        }
        got = await fetch(
            http,
            recorder,
            "autosave",
            "POST",
            base + person["save_url"],
            cookies=cookies,
            data=data,
            headers={"X-CSRFToken": token},
        )
        if got is None:
            return
        body = json.loads(got[1])
        if body["conflicts"] or person["field"] not in body["applied"]:
            recorder.error("autosave", "not applied")
            return
        version = body["version"]
        told["versions"].add(version)
        told["text"] = text
        told["unanswered"] = set()

    await asyncio.sleep(random.uniform(0, interval))
    while not await open_section(recorder_at(time.monotonic())):
        if time.monotonic() > load_until:
            return
        await asyncio.sleep(interval)
    next_save = time.monotonic() + random.uniform(0.5, 1.5)
    while True:
        await asyncio.sleep(max(0.0, next_save - time.monotonic()))
        if time.monotonic() >= load_until:
            break
        await autosave(recorder_at(time.monotonic()))
        if random.random() < 0.25:  # now and then the person moves between pages
            await open_section(recorder_at(time.monotonic()))
        next_save += random.uniform(0.8 * interval, 1.2 * interval)

    # The last minute: one more save, the submit page, submit, and the page it leads to.
    await asyncio.sleep(max(0.0, submit_at - time.monotonic()))
    await autosave(deadline)
    got = await fetch(http, deadline, "submit_page", "GET", base + person["submit_url"], cookies=cookies)
    if got is None:
        return
    token = CSRF_META.search(got[1]).group(1).decode()  # type: ignore[union-attr]
    got = await fetch(
        http,
        deadline,
        "submit",
        "POST",
        base + person["submit_url"],
        cookies=cookies,
        data={"csrfmiddlewaretoken": token},
        expect=(302,),
    )
    if got is None:
        return
    response = got[2]
    if "messages" in response.cookies:
        cookies["messages"] = response.cookies["messages"].value
    got = await fetch(
        http, deadline, "after_submit", "GET", base + response.headers["Location"], cookies=cookies
    )
    if got is not None and SUBMITTED in got[1]:
        told["submitted"] = True
    elif got is not None:
        deadline.error("submit", "refused")


async def deadline_day(
    base: str, world: dict[str, Any], applicants: list[dict[str, Any]], arguments: argparse.Namespace
) -> dict[str, Any]:
    from asgiref.sync import sync_to_async

    seconds = arguments.seconds
    warmup, load, deadline = Recorder(), Recorder(), Recorder()
    told = {
        person["pk"]: {"versions": set(), "text": None, "unanswered": set(), "submitted": False}
        for person in applicants
    }
    start = time.monotonic()
    # The applicants arrive during the first interval; phase 1 is measured once they all have.
    warm_until = start + arguments.autosave_interval
    load_until = warm_until + seconds

    def recorder_at(moment: float) -> Recorder:
        return warmup if moment < warm_until else load if moment < load_until else deadline

    # Everyone submits within the last minute: spread over the phase, which ends before the deadline.
    window = min(seconds, 55)
    pages = world["pages"]
    http = new_session(arguments)

    def readers(until: float) -> list[Any]:
        recorder_of = lambda: recorder_at(time.monotonic())  # noqa: E731
        tasks = []
        for _ in range(arguments.readers):
            tasks.append(
                phase_reader(
                    http, recorder_of, "public_notice", base + pages["public_notice"][0], None, 1.0, until
                )
            )
        officer_pages = ["city_queue", "province_queue", "province_progress"]
        for index in range(arguments.officers):
            kind = officer_pages[index % len(officer_pages)]
            path, session = pages[kind]
            tasks.append(
                phase_reader(http, recorder_of, kind, base + path, {"sessionid": session}, 2.0, until)
            )
        return tasks

    @sync_to_async
    def set_deadline() -> None:
        from django.utils import timezone

        from shifan.programs.models import Batch

        Batch.objects.filter(pk=world["batch"].pk).update(closes_at=timezone.now() + timedelta(seconds=60))

    async def switch() -> None:
        await asyncio.sleep(max(0.0, load_until - time.monotonic() - 1))
        await set_deadline()

    end = load_until + window + 5
    async with http:
        await asyncio.gather(
            switch(),
            *readers(end),
            *(
                applicant(
                    http,
                    base,
                    person,
                    recorder_at,
                    told[person["pk"]],
                    arguments.autosave_interval,
                    load_until,
                    load_until + random.uniform(0, window),
                )
                for person in applicants
            ),
        )
    finished = time.monotonic()
    # The batch opens again for the next size (its deadline was a minute ahead).
    await sync_to_async(reopen)(world)
    warmup_summary = warmup.summary(warm_until - start)
    load_summary = load.summary(seconds)
    deadline_summary = deadline.summary(finished - load_until)
    return {
        "warmup": {**warmup_summary["kinds"], "all": without_kinds(warmup_summary)},
        "load": {**load_summary["kinds"], "all": without_kinds(load_summary)},
        "deadline": {**deadline_summary["kinds"], "all": without_kinds(deadline_summary)},
        "errors": warmup_summary["errors"] + load_summary["errors"] + deadline_summary["errors"],
        "told": told,
    }


async def phase_reader(
    http: Any, recorder_of: Any, kind: str, url: str, cookies: Any, think: float, until: float
) -> None:
    await asyncio.sleep(random.uniform(0, think))
    while time.monotonic() < until:
        await fetch(http, recorder_of(), kind, "GET", url, cookies=cookies)
        await asyncio.sleep(random.uniform(0.5 * think, 1.5 * think))


def reopen(world: dict[str, Any]) -> None:
    from django.utils import timezone

    from shifan.programs.models import Batch

    Batch.objects.filter(pk=world["batch"].pk).update(closes_at=timezone.now() + timedelta(days=30))


def without_kinds(summary: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in summary.items() if key != "kinds"}


# ---------------------------------------------------------------------------------------------
# Printing


def print_kinds(kinds: dict[str, Any], ratio: bool = False) -> None:
    print(
        f"    {'request':<18}{'n':>7}{'req/s':>8}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}  errors", flush=True
    )
    for kind, figures in kinds.items():
        if kind == "all":
            continue
        extra = f"  {figures['ratio']:.2f} of the ceiling" if ratio else ""
        errors = ", ".join(f"{what} ×{count}" for what, count in figures["errors"].items()) or "0"
        print(
            f"    {kind:<18}{figures['requests']:>7}{figures['per_second']:>8.1f}{figures['p50_ms']:>9.1f}"
            f"{figures['p95_ms']:>9.1f}{figures['p99_ms']:>9.1f}  {errors}{extra}",
            flush=True,
        )


def print_capacity(results: dict[str, Any]) -> None:
    print("  each page alone (closed loop, as fast as answered):", flush=True)
    print_kinds(results, ratio=True)


def print_size(size: int, run: dict[str, Any]) -> None:
    phases = (
        ("warmup", "warming up: the applicants arrive"),
        ("load", "autosaving and reading"),
        ("deadline", "the last minute: submitting"),
    )
    for phase, title in phases:
        figures = run[phase]["all"]
        print(
            f"  N = {size}, {title}: {figures['per_second']:.1f} req/s over {figures['seconds']} s, "
            f"{figures['errors']} errors",
            flush=True,
        )
        print_kinds(run[phase])
    print(
        f"  nothing lost: {run['lost'] == 0} — saves confirmed {run['saves_confirmed']}, revisions "
        f"{run['revisions_in_database']}; submissions confirmed {run['submissions_confirmed']}, snapshots "
        f"{run['snapshots_in_database']}; unconfirmed but stored {run['unconfirmed']}",
        flush=True,
    )


if __name__ == "__main__":
    main()
