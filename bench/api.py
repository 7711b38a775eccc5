"""Benchmark: a 100-item page of the API's application list at 10,000 applications.

Builds a scratch database (PostgreSQL by default: a database `shifan_bench_api` created and
dropped on 127.0.0.1 as `bench/load.py` does; `--database sqlite` for a scratch SQLite file) with
one batch and 10,000 submitted applications over the 21 cities, made in bulk as
`tests.factories.many_submitted` makes them. Then, through Django's test client (the whole
middleware and DRF stack, no network), a province client and a city client (广州) ask for the
first and a deeper page of 100 applications; each is timed over `--runs` requests after a warm-up,
and the number of database queries of one request is counted at page sizes 1 and 100.

Goal (issue 24): under 50 ms a page at 10,000 applications, the query count independent of the
page size. The last line is one line of JSON with the figures.
Run: `make bench-api` (or `python bench/api.py --applications 2000 --runs 10 --database sqlite`).
"""

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(Path(__file__).resolve().parent), str(ROOT / "src"), str(ROOT)]

import load  # noqa: E402 - bench/load.py: its scratch PostgreSQL database
import scratch  # noqa: E402 - bench/scratch.py: settings and a scratch folder

GOAL_MS = 50.0
PG_DATABASE = "shifan_bench_api"


def parse_arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--applications", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--database", choices=["postgresql", "sqlite"], default="postgresql")
    return parser.parse_args()


def main() -> None:
    arguments = parse_arguments()
    if arguments.database == "postgresql":
        load.PG_DATABASE = PG_DATABASE
        load.create_pg_database()
        try:
            run(arguments, database_url=f"postgresql://postgres@127.0.0.1:5432/{PG_DATABASE}")
        finally:
            from django.db import connections

            connections.close_all()
            load.drop_pg_database()
    else:
        run(arguments, database_url="")


def run(arguments: argparse.Namespace, *, database_url: str) -> None:
    scratch.setup("api", database_url)
    os.environ["SHIFAN_API_RATE"] = "100000/min"

    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from shifan.accounts.models import Role, User
    from shifan.api.services import create_client
    from shifan.core import reference
    from tests.factories import BatchFactory, many_submitted

    settings.SHIFAN_API_RATE = "100000/min"
    settings.ALLOWED_HOSTS = ["testserver"]
    call_command("migrate", verbosity=0)
    started = time.monotonic()
    province = User.objects.create_user(
        "bench-api@shifan.example", "x", name="省厅", role=Role.PROVINCE_OFFICER
    )
    batch = BatchFactory(opened_by=province)
    cities = [city.code for city in reference.cities()]
    share, made = arguments.applications // len(cities), 0
    for index, code in enumerate(cities):
        count = arguments.applications - made if index == len(cities) - 1 else share
        for start in range(0, count, 1000):
            many_submitted(batch, min(1000, count - start), city_code=code, start=made + start)
        made += count
    built_seconds = time.monotonic() - started
    tokens = {
        kind: create_client(
            actor=province, name=kind, role=kind, city_code=city, can_write=False, valid_days=1
        )[1]
        for kind, city in (("province", ""), ("city", "440100"))
    }

    figures: dict[str, object] = {
        "applications": made,
        "database": connection.vendor,
        "build_seconds": round(built_seconds, 1),
        "goal_ms": GOAL_MS,
    }
    for kind, token in tokens.items():
        client = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
        url = "/api/v1/applications/?page_size=100"
        first = client.get(url)
        assert first.status_code == 200, first.content[:300]
        # The third page, where there is one: a cursor deep in the list costs what the first does.
        second = first.json()["next"]
        deeper = (client.get(second).json()["next"] if second else None) or second or url
        for name, target in (("first_page", url), ("deeper_page", deeper)):
            times = []
            for _ in range(arguments.runs):
                begun = time.perf_counter()
                response = client.get(target)
                times.append((time.perf_counter() - begun) * 1000)
                assert response.status_code == 200
            figures[f"{kind}_{name}_median_ms"] = round(statistics.median(times), 2)
            figures[f"{kind}_{name}_p95_ms"] = round(sorted(times)[int(len(times) * 0.95) - 1], 2)
            figures[f"{kind}_{name}_items"] = len(response.json()["results"])
        counts = []
        for size in (1, 100):
            with CaptureQueriesContext(connection) as captured:
                client.get(f"/api/v1/applications/?page_size={size}")
            counts.append(len(captured))
        figures[f"{kind}_queries_at_1_and_100"] = counts
    slowest = max(value for key, value in figures.items() if key.endswith("_median_ms"))
    figures["goal_met"] = bool(slowest < GOAL_MS) and all(
        a == b for key, (a, b) in ((k, v) for k, v in figures.items() if k.endswith("_queries_at_1_and_100"))
    )
    for key, value in figures.items():
        print(f"{key}: {value}")
    print(json.dumps(figures, ensure_ascii=False))


if __name__ == "__main__":
    main()
