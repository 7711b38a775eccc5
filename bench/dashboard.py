"""Benchmark: the programme dashboard (统计分析) with 10,000 applications in one batch.

Builds a scratch SQLite database (nothing else is touched) with the Guangdong 2024 programme and
10,000 applications spread over the 21 cities, both categories and every state, with answers as
the form fills them (modes, industry and every other field), plus in proportion: a snapshot and an
eligibility check per submitted application (some with a second, later check), five submitted
score sheets per reviewed application, and the announced units of the recognised ones. Then it
asks for the dashboard page through Django's test client, as a province officer (every chart) and
as a city officer (the own city), and for one chart's Excel download, and prints for each the
median time of several requests after a warm-up, and the number of database queries.

The review scores, aggregated from the score sheets, are cached until those rows change
(`dashboard.selectors._cached`); the first request after a change computes them. So three
times are printed: the usual one, with the scores cached; right after a decision on an
application (one returned or resubmitted before each request); and with the cache empty, as
after a change of the scores. Goals (issue 19): under 100 ms per page, under 1 s on the first
view after a change. The last line is one line of JSON with the figures.
Run: `make bench-dashboard` (or `python bench/dashboard.py --applications 2000 --runs 3`).
"""

import argparse
import json
import random
import statistics
import time
from datetime import date
from decimal import Decimal
from typing import Any

import scratch  # bench/, the folder of this script

SCRATCH = scratch.setup("dashboard")

from django.core.cache import cache  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.urls import reverse  # noqa: E402
from django.utils import timezone  # noqa: E402
from django_otp import DEVICE_ID_SESSION_KEY  # noqa: E402
from django_otp.plugins.otp_totp.models import TOTPDevice  # noqa: E402

from shifan.accounts.models import Organisation, Role, User  # noqa: E402
from shifan.applications.models import (  # noqa: E402
    Application,
    ApplicationState,
    Snapshot,
    unit_columns,
    unit_facts,
)
from shifan.core import reference  # noqa: E402
from shifan.demo.announced import closed_announcement  # noqa: E402
from shifan.demo.answers import complete_answers  # noqa: E402
from shifan.eligibility.models import EligibilityCheck  # noqa: E402
from shifan.expert_review.models import Assignment, AssignmentState  # noqa: E402
from shifan.programs import services as batch_services  # noqa: E402
from shifan.programs.registry import spec_file  # noqa: E402
from shifan.publicity.models import DemonstrationUnit  # noqa: E402

GOAL_SECONDS = 0.1  # a page, its figures cached
EMPTY_CACHE_GOAL_SECONDS = 1.0  # the first page after a change
S = ApplicationState
# Where 10,000 applications stand, in per mille: mostly past the city, as late in a batch.
STATES = {
    S.DRAFT: 120,
    S.SUBMITTED: 120,
    S.RETURNED: 30,
    S.WITHDRAWN: 20,
    S.DECLINED: 60,
    S.RECOMMENDED: 100,
    S.ACCEPTED: 100,
    S.IN_REVIEW: 250,
    S.PROPOSED: 10,
    S.NOT_SELECTED: 150,
    S.IN_NOTICE: 10,
    S.RECOGNISED: 30,
}
REVIEWED = {S.IN_REVIEW, S.PROPOSED, S.NOT_SELECTED, S.IN_NOTICE, S.RECOGNISED}
MODES = (
    "industrial_design",
    "customization",
    "supply_chain",
    "testing_certification",
    "lifecycle",
    "integration_contracting",
    "green_manufacturing",
    "production_finance",
    "other",
)
EXPERTS = 60
BULK = 2000


def build(count: int, seed: int = 2024) -> None:
    random.seed(seed)
    call_command("migrate", verbosity=0)
    province = User.objects.create_user(
        "bench-province@shifan.example", "x", name="省厅", role=Role.PROVINCE_OFFICER
    )
    User.objects.create_user(
        "bench-city@shifan.example", "x", name="广州市局", role=Role.CITY_OFFICER, city_code="440100"
    )
    experts = [
        User.objects.create_user(f"bench-expert{n}@shifan.example", "x", name=f"专家{n}", role=Role.EXPERT)
        for n in range(EXPERTS)
    ]
    now = timezone.now()
    batch = batch_services.open_batch(
        actor=province,
        spec_file=spec_file("guangdong-2024.yaml"),
        name="基准测试批次",
        opens_at=now - timezone.timedelta(days=60),
        closes_at=now + timezone.timedelta(days=1),
        city_deadline=now + timezone.timedelta(days=15),
    )
    forms = {category.key: complete_answers(category.form) for category in batch.spec.categories}
    cities = [city.code for city in reference.cities()]
    industries = [industry.code for industry in reference.industries(manufacturing_only=True)]
    states = [state for state, share in STATES.items() for _ in range(share)]

    organisations = Organisation.objects.bulk_create(
        [
            Organisation(
                name=f"基准测试制造有限公司{index:05d}",
                credit_code=f"BENCH{index:013d}",
                # Guangzhou, Shenzhen, Foshan and Dongguan apply most, as they do.
                city_code=random.choice(cities[:4] * 4 + cities),
                county_code="",
            )
            for index in range(count)
        ],
        batch_size=BULK,
    )
    applications = []
    for index, organisation in enumerate(organisations):
        category = "enterprise" if index % 3 else "platform"
        answers = dict(forms[category])
        chosen = random.sample(MODES, random.randint(1, 3))
        if category == "enterprise":
            answers["modes"] = {"selected": chosen, "other": {}}
        elif random.random() < 0.4:
            answers["main_mode"] = {"selected": "shared_manufacturing", "other": {}}
        else:
            answers["main_mode"] = {"selected": "other_modes", "other": {}}
            answers["other_modes"] = {"selected": chosen, "other": {}}
        answers["industry"] = {"selected": random.choice(industries), "other": {}}
        state = states[index % len(states)]
        applications.append(
            Application(
                batch=batch,
                organisation=organisation,
                category=category,
                state=state,
                answers=answers,
                number="" if state == S.DRAFT else f"GD-SMD-2024-{category[0].upper()}-{index:05d}",
                created_by=province,
                submitted_at=None if state == S.DRAFT else now,
                **({} if state == S.DRAFT else unit_columns(unit_facts(organisation))),
            )
        )
    applications = Application.objects.bulk_create(applications, batch_size=BULK)
    sent = [application for application in applications if application.state != S.DRAFT]
    snapshots = Snapshot.objects.bulk_create(
        [
            Snapshot(
                application=application,
                sequence=1,
                number=application.number,
                answers={},  # the dashboard never reads snapshots
                unit=unit_facts(application.organisation),
                spec_key="guangdong-2024",
                spec_version="2024.1",
                spec_digest=batch.spec_digest,
                digest="0" * 64,
                version=0,
                submitted_by=province,
                submitted_at=now,
            )
            for application in sent
        ],
        batch_size=BULK,
    )
    checks = []
    by_pk = {application.pk: application for application in sent}
    for snapshot in snapshots:
        for _run in range(2 if random.random() < 0.2 else 1):  # a fifth were checked again
            outcome = random.choices(["pass", "warning", "judgment", "fail"], weights=[70, 15, 10, 5])[0]
            summary = {"pass": 10, "fail": 0, "warning": 0, "judgment": 0, "missing": 0}
            summary[outcome] += 1
            checks.append(
                EligibilityCheck(
                    application_id=snapshot.application_id,
                    snapshot=snapshot,
                    summary=summary,
                    blocking=outcome == "fail",
                    trigger="submission",
                    checked_by=province,
                )
            )
            # The application keeps its latest check's summary, as eligibility.services.record_check does.
            by_pk[snapshot.application_id].eligibility_summary = summary
    EligibilityCheck.objects.bulk_create(checks, batch_size=BULK)
    Application.objects.bulk_update(sent, ["eligibility_summary"], batch_size=BULK)
    sheets = []
    for application in sent:
        if application.state not in REVIEWED:
            continue
        quality = random.gauss(75, 8)
        for expert in random.sample(experts, 5):
            total = Decimal(str(round(min(max(random.gauss(quality, 5), 0), 100), 1)))
            sheets.append(
                Assignment(
                    batch=batch,
                    application=application,
                    expert=expert,
                    state=AssignmentState.PUBLISHED,
                    total=total,
                    submitted_at=now,
                )
            )
    Assignment.objects.bulk_create(sheets, batch_size=BULK)
    announcement = closed_announcement(batch, published_by=province, number="粤工信基准〔2024〕1号")
    DemonstrationUnit.objects.bulk_create(
        [
            DemonstrationUnit(
                announcement=announcement,
                application=application,
                organisation=application.organisation,
                category=application.category,
                category_name="示范企业" if application.category == "enterprise" else "示范平台",
                position=position,
                unit_name=application.organisation.name,
                city_code=application.organisation.city_code,
                city_name="",
                valid_from=date(2024, 12, 1),
                valid_until=date(2027, 11, 30),
            )
            for position, application in enumerate((a for a in sent if a.state == S.RECOGNISED), start=1)
        ],
        batch_size=BULK,
    )
    print(
        f"  {len(applications)} applications, {len(snapshots)} snapshots, {len(checks)} eligibility checks, "
        f"{len(sheets)} score sheets, {DemonstrationUnit.objects.count()} units",
        flush=True,
    )


def client_for(email: str) -> Client:
    """A client logged in past the second factor, as `tests.helpers.login_verified` does."""
    user = User.objects.get(email=email)
    client = Client()
    client.force_login(user)
    device = TOTPDevice.objects.create(user=user, name="bench", confirmed=True)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return client


def decide(number: int) -> None:
    """Return or resubmit one submitted Guangzhou application, as a city decision changes it."""
    waiting = Application.objects.filter(city_code="440100", state__in=[S.SUBMITTED, S.RETURNED])
    state = S.RETURNED if number % 2 == 0 else S.SUBMITTED
    waiting.filter(pk=waiting.order_by("pk")[0].pk).update(state=state, updated_at=timezone.now())


def timed(client: Client, url: str, runs: int) -> tuple[float, float, float, int]:
    """Return the seconds of the first request with an empty cache (after a warm-up that parsed
    the spec and loaded the templates), the median of `runs` requests after it, the median of
    `runs` requests each right after a decision on an application, and the queries of one
    request."""
    assert client.get(url).status_code == 200  # warm-up
    cache.clear()
    queries: list[str] = []

    def count(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        queries.append(sql)
        return execute(sql, params, many, context)

    start = time.perf_counter()
    with connection.execute_wrapper(count):
        assert client.get(url).status_code == 200
    cold = time.perf_counter() - start
    seconds, after_decision = [], []
    for _run in range(runs):
        start = time.perf_counter()
        response = client.get(url)
        seconds.append(time.perf_counter() - start)
        assert response.status_code == 200, response.status_code
    for run in range(runs):
        decide(run)
        start = time.perf_counter()
        response = client.get(url)
        after_decision.append(time.perf_counter() - start)
        assert response.status_code == 200, response.status_code
    return cold, statistics.median(seconds), statistics.median(after_decision), len(queries)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--applications", type=int, default=10_000, help="applications (default 10,000)")
    parser.add_argument("--runs", type=int, default=7, help="timed requests per page (default 7)")
    arguments = parser.parse_args()

    print(f"Building {arguments.applications} applications in {SCRATCH} …", flush=True)
    start = time.perf_counter()
    build(arguments.applications)
    print(f"  built in {time.perf_counter() - start:.1f} s", flush=True)

    page = reverse("dashboard:programme")
    download = reverse("dashboard:chart_download", args=["cities"])
    figures: dict[str, float | int | bool] = {"applications": arguments.applications, "runs": arguments.runs}
    for label, email, url in (
        ("province", "bench-province@shifan.example", page),
        ("city", "bench-city@shifan.example", page),
        ("province_excel", "bench-province@shifan.example", download),
    ):
        cold, warm, decided, queries = timed(client_for(email), url, arguments.runs)
        print(
            f"{label:>15}: {warm * 1000:.0f} ms (median of {arguments.runs}), "
            f"{decided * 1000:.0f} ms right after a decision, "
            f"{cold * 1000:.0f} ms with an empty cache, {queries} queries",
            flush=True,
        )
        figures[f"{label}_seconds"] = round(warm, 3)
        figures[f"{label}_after_decision_seconds"] = round(decided, 3)
        figures[f"{label}_empty_cache_seconds"] = round(cold, 3)
        figures[f"{label}_queries"] = queries
    pages = ("province", "city", "province_excel")
    worst = max(figures[f"{page}_seconds"] for page in pages)
    worst_empty = max(
        figures[f"{page}_{after}_seconds"] for page in pages for after in ("empty_cache", "after_decision")
    )
    figures["goal_seconds"] = GOAL_SECONDS
    figures["empty_cache_goal_seconds"] = EMPTY_CACHE_GOAL_SECONDS
    figures["goal_met"] = worst < GOAL_SECONDS and worst_empty < EMPTY_CACHE_GOAL_SECONDS
    print(json.dumps(figures, ensure_ascii=False))


if __name__ == "__main__":
    main()
