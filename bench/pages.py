"""Benchmark: what each page costs, as a ratio to bare Django served the same way.

For each database (SQLite, and a scratch PostgreSQL database created and dropped as `bench/load.py`
does) a child process loads the demo data (`load_demo`), collects the static files and serves the
app as in production: gunicorn, 2 sync workers, DEBUG off, collected static files, no TLS, bound
to 127.0.0.1, the benchmark views on (`SHIFAN_BENCH_CEILING`). The yardstick is the issue's "bare
Django's one-query page", `/bench/one-query/`: the same server and middleware, one row read through
the ORM, nothing rendered. `/bench/ceiling/` (no query) is asked as a page too, for comparison.

Each page below is asked by 16 closed-loop clients (aiohttp, in this process; the server's workers
are other processes) for `--seconds`, after a warm-up, and before and after each page the
yardstick is asked the same way: a page's ratio is its requests per second over the mean of the
two yardstick runs beside it, so that drifts in the machine's speed cancel out. Then 10,000
submitted applications (5,000 in 深圳, the city officer's city; built in bulk as
`tests.factories.many_submitted` builds them) are added to the open demo batch and every page is
asked again.

Pages: the public notice (cached), the notice list, the announcement, the case list and the
verification form (anonymous); the applicant's home and application page; the city officer's
review queue of the demo batch. Sessions are made as a login leaves them (`bench.load.session_cookie`).

Goals (issue "every page costs what it shows"): uncached public pages ≥ 0.5 of the yardstick,
applicant home and application page ≥ 0.25, the city queue at demo size ≥ 0.25, the cached notice
≥ 1. The last line is one line of JSON.
Run: `make bench-pages` (about 10 minutes), or `python bench/pages.py --quick` (about 8: most of
a run is building the demo).
"""

import argparse
import asyncio
import atexit
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import load  # noqa: E402 - bench/load.py, beside this script: its server, sessions and clients

ROOT = load.ROOT
PG_DATABASE = "shifan_bench_pages"
CLIENTS = 16
BIG = 10_000  # submitted applications added for the second size, half of them in CITY
CITY = "440300"  # 深圳: the demo's city officer and applicant
GOALS = {
    "public_notice": 1.0,
    "notice_list": 0.5,
    "announcement": 0.5,
    "case_list": 0.5,
    "verify": 0.5,
    "applicant_home": 0.25,
    "application": 0.25,
    "city_queue": 0.25,
}


def parse_arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--databases", default="sqlite,postgresql", help="sqlite, postgresql or both")
    parser.add_argument("--seconds", type=float, default=3, help="seconds per page and per yardstick (3)")
    parser.add_argument("--pages", default=",".join(GOALS), help="pages to ask (default all)")
    parser.add_argument("--sizes", default="demo,10000", help="demo, 10000 or both")
    parser.add_argument("--quick", action="store_true", help="1.5 s per page: a smoke run")
    parser.add_argument("--database", help=argparse.SUPPRESS)  # the child process: one database
    arguments = parser.parse_args()
    if arguments.quick:
        arguments.seconds = 1.5
    return arguments


def main() -> None:
    arguments = parse_arguments()
    if arguments.database:
        child(arguments)
        return
    started = time.perf_counter()
    figures: dict[str, Any] = {
        "server": "gunicorn sync, 2 workers",
        "clients": CLIENTS,
        "seconds_per_page": arguments.seconds,
        "cores": os.cpu_count(),
    }
    for database in arguments.databases.split(","):
        command = [sys.executable, __file__, *sys.argv[1:], "--database", database]
        process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
        last = ""
        assert process.stdout is not None
        for line in process.stdout:
            if line.startswith("{"):  # the child's figures: in the one line printed at the end
                last = line
            else:
                print(line, end="", flush=True)
        if process.wait() != 0:
            sys.exit(f"the {database} run failed")
        figures[database] = json.loads(last)
    figures["goals_met"] = {
        f"{database}/{size}/{page}": result["ratio"] >= GOALS[page]
        for database in arguments.databases.split(",")
        for size, pages in figures[database].items()
        for page, result in pages.items()
        if page in GOALS and not (page == "city_queue" and size != "demo")
    }
    figures["minutes"] = round((time.perf_counter() - started) / 60, 1)
    print(json.dumps(figures, ensure_ascii=False))


def child(arguments: argparse.Namespace) -> None:
    load.PG_DATABASE = PG_DATABASE  # its own scratch database, beside a `make bench` run
    load.served_demo(arguments.database, "pages")
    pages = demo_pages(arguments.pages.split(","))

    server = SyncServer()
    atexit.register(server.stop)
    server.start()
    results: dict[str, Any] = {}
    for size in arguments.sizes.split(","):
        if size != "demo":
            start = time.perf_counter()
            add_submitted(int(size))
            print(
                f"[{arguments.database}] {size} submitted in {time.perf_counter() - start:.0f} s", flush=True
            )
        results[size] = asyncio.run(ask_alternately(server.base, pages, arguments.seconds))
        print_size(arguments.database, size, results[size])
    server.stop()
    print(json.dumps(results, ensure_ascii=False))


class SyncServer(load.Server):
    """`bench.load.Server`, with the issue's server: 2 sync workers (one request at a time each)."""

    def __init__(self) -> None:
        super().__init__(argparse.Namespace(workers=2, threads=1))
        self.command = [
            "--worker-class=sync" if part.startswith("--worker-class") else part
            for part in self.command
            if not part.startswith("--threads")
        ]


def demo_pages(names: list[str]) -> dict[str, tuple[str, str | None]]:
    """Return each page's path and the session it is asked with (None: anonymous)."""
    from django.urls import reverse

    from shifan.accounts.models import Membership, Role, User
    from shifan.applications.models import Application
    from shifan.cases.models import TypicalCase
    from shifan.demo.loader import DEMO_BATCH_NAME
    from shifan.programs.models import Batch
    from shifan.publicity.models import Announcement, Notice

    batch = Batch.objects.get(name=DEMO_BATCH_NAME)
    notice = Notice.objects.filter(state="open").order_by("-pk").first() or Notice.objects.latest("pk")
    city = User.objects.get(role=Role.CITY_OFFICER, city_code=CITY)
    application = (
        Application.objects.filter(batch=batch, city_code=CITY)
        .exclude(submitted_at=None)
        .order_by("pk")
        .first()
    )
    assert application is not None, "the demo batch has no submitted application in the city"
    member = Membership.objects.filter(organisation_id=application.organisation_id).select_related("user")
    applicant = member.order_by("pk").first().user  # type: ignore[union-attr]
    applicant_session = load.session_cookie(applicant)
    assert TypicalCase.objects.exists(), "the demo has no case"
    every = {
        "public_notice": (reverse("publicity:public_notice", args=[notice.pk]), None),
        "notice_list": (reverse("publicity:public_notices"), None),
        "announcement": (
            reverse("publicity:public_announcement", args=[Announcement.objects.latest("pk").pk]),
            None,
        ),
        "case_list": (reverse("cases:public_list"), None),
        "verify": (reverse("documents:verify"), None),
        "applicant_home": (reverse("home"), applicant_session),
        "application": (reverse("applications:detail", args=[application.pk]), applicant_session),
        "city_queue": (reverse("reviews:queue") + f"?batch={batch.pk}", load.session_cookie(city)),
    }
    every["no_query"] = (reverse("bench_ceiling"), None)  # the stack without a page, for comparison
    return {name: every[name] for name in [*names, "no_query"]}


def add_submitted(count: int) -> None:
    """Add `count` submitted applications to the open demo batch, half in CITY, the rest spread."""
    from django.db import transaction

    from shifan.core import reference
    from shifan.demo.loader import DEMO_BATCH_NAME
    from shifan.programs.models import Batch
    from tests.factories import many_submitted

    batch = Batch.objects.get(name=DEMO_BATCH_NAME)
    others = [city.code for city in reference.cities() if city.code != CITY]
    half = count // 2
    with transaction.atomic():
        for start in range(0, half, 1000):
            many_submitted(batch, min(1000, half - start), city_code=CITY, start=start)
        rest = count - half
        share = -(-rest // len(others))
        for index, code in enumerate(others):
            n = min(share, rest - index * share)
            if n > 0:
                many_submitted(batch, n, city_code=code, start=half + index * share)


async def ask_alternately(base: str, pages: dict[str, Any], seconds: float) -> dict[str, Any]:
    """Ask the yardstick, then a page, then the yardstick…; each page's ratio to its neighbours."""
    http = load.new_session(argparse.Namespace(connections=CLIENTS))
    results: dict[str, Any] = {}
    async with http:
        yardstick = base + "/bench/one-query/"
        before = await closed_loop(http, "yardstick", yardstick, None, seconds)
        runs = [before]
        for kind, (path, session) in pages.items():
            figures = await closed_loop(http, kind, base + path, session, seconds)
            after = await closed_loop(http, "yardstick", yardstick, None, seconds)
            runs.append(after)
            reference = (before["per_second"] + after["per_second"]) / 2 or 1
            figures["yardstick_per_second"] = round(reference, 1)
            figures["ratio"] = round(figures["per_second"] / reference, 3)
            results[kind] = figures
            before = after
    results["yardstick"] = {
        "per_second": round(sum(run["per_second"] for run in runs) / len(runs), 1),
        "runs": [run["per_second"] for run in runs],
    }
    return results


async def closed_loop(http: Any, kind: str, url: str, session: str | None, seconds: float) -> dict[str, Any]:
    """CLIENTS clients asking `url` as fast as answered for `seconds`, after a warm-up."""
    cookies = {"sessionid": session} if session else None
    warm = load.Recorder()
    await asyncio.gather(*(load.fetch(http, warm, kind, "GET", url, cookies=cookies) for _ in range(CLIENTS)))
    if warm.errors:
        sys.exit(f"{kind}: {dict(warm.errors[kind])} on {url}")
    recorder = load.Recorder()
    start = time.monotonic()
    until = start + seconds
    await asyncio.gather(
        *(load.closed_loop(http, recorder, kind, url, cookies, until) for _ in range(CLIENTS))
    )
    figures = recorder.summary(time.monotonic() - start)["kinds"][kind]
    del figures["p95_ms"]
    return figures


def print_size(database: str, size: str, results: dict[str, Any]) -> None:
    print(f"[{database}] {size}: yardstick {results['yardstick']['per_second']} req/s", flush=True)
    print(f"    {'page':<16}{'n':>7}{'req/s':>8}{'p50 ms':>9}{'p99 ms':>9}{'ratio':>7}  goal  errors")
    for kind, figures in results.items():
        if kind == "yardstick":
            continue
        errors = ", ".join(f"{what} ×{count}" for what, count in figures["errors"].items()) or "0"
        goal = f"{GOALS[kind]:.2f}" if kind in GOALS else "  - "
        print(
            f"    {kind:<16}{figures['requests']:>7}{figures['per_second']:>8.1f}{figures['p50_ms']:>9.1f}"
            f"{figures['p99_ms']:>9.1f}{figures['ratio']:>7.2f}  {goal}  {errors}",
            flush=True,
        )


if __name__ == "__main__":
    main()
