"""Benchmark: what the request id and the metrics middleware add to every request (issue 19).

Asks Django's test client for a cheap page (the empty verification form: no query, a cached
render) N times under four middleware lists: without the request id and metrics middleware, with
the request id only (the default), with the request id and the metrics (SHIFAN_METRICS_TOKEN set),
and, for the record, with django-prometheus' pair (PrometheusBeforeMiddleware first,
PrometheusAfterMiddleware last) in place of shifan's, when it is installed. The rounds alternate
between the lists and the fastest round of each is kept, so that other work on the machine
weighs least. Prints microseconds per request and the difference to the first list; the last
line is JSON. Run: `python bench/middleware.py [--requests 2000] [--rounds 5]`.
"""

import argparse
import importlib.util
import json
import time
from typing import Any

import scratch  # bench/, the folder of this script

SCRATCH = scratch.setup("middleware")

from django.conf import settings  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import override_settings  # noqa: E402
from django.urls import reverse  # noqa: E402

REQUEST_ID = "shifan.core.requestlog.RequestIdMiddleware"
METRICS = "shifan.core.metrics.RequestMetricsMiddleware"


def middleware_lists() -> dict[str, list[str]]:
    base = [name for name in settings.MIDDLEWARE if name not in {REQUEST_ID, METRICS}]
    lists = {
        "none": base,
        "request id": [base[0], REQUEST_ID, *base[1:]],
        "request id + metrics": [base[0], REQUEST_ID, METRICS, *base[1:]],
    }
    if importlib.util.find_spec("django_prometheus"):
        lists["request id + django-prometheus"] = [
            base[0],
            REQUEST_ID,
            "django_prometheus.middleware.PrometheusBeforeMiddleware",
            *base[1:],
            "django_prometheus.middleware.PrometheusAfterMiddleware",
        ]
    return lists


def per_request(middleware: list[str], url: str, requests: int) -> float:
    with override_settings(MIDDLEWARE=middleware):
        client = Client()
        for _ in range(50):  # warm: the handler, the template, the label children
            client.get(url)
        started = time.perf_counter()
        for _ in range(requests):
            client.get(url)
        return (time.perf_counter() - started) / requests * 1e6


def isolated(calls: int) -> dict[str, float]:
    """Microseconds one request spends in each middleware itself, around a view that costs nothing."""
    from django.http import HttpResponse
    from django.test import RequestFactory
    from django.urls import resolve
    from django.utils.module_loading import import_string

    request = RequestFactory().get(reverse("documents:verify"))
    request.resolver_match = resolve(request.path_info)
    answer = HttpResponse(b"ok")
    chains = {"request id": [REQUEST_ID], "metrics": [METRICS]}
    if importlib.util.find_spec("django_prometheus"):
        chains["django-prometheus"] = [
            "django_prometheus.middleware.PrometheusBeforeMiddleware",
            "django_prometheus.middleware.PrometheusAfterMiddleware",
        ]
    figures = {}
    for name, paths in chains.items():
        handler: Any = lambda request: answer  # noqa: E731
        for path in reversed(paths):
            handler = import_string(path)(handler)
        for _ in range(1000):
            handler(request)
        started = time.perf_counter()
        for _ in range(calls):
            handler(request)
        figures[name] = (time.perf_counter() - started) / calls * 1e6
    return figures


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=5)
    options = parser.parse_args()
    url = reverse("documents:verify")
    lists = middleware_lists()
    best = {name: float("inf") for name in lists}
    for _ in range(options.rounds):
        for name, middleware in lists.items():
            best[name] = min(best[name], per_request(middleware, url, options.requests))
    baseline = best["none"]
    print(f"Django's test client, {options.requests} requests of {url}, fastest of {options.rounds} rounds:")
    for name, micros in best.items():
        print(f"  {name:34} {micros:8.1f} µs/request  {micros - baseline:+7.1f} µs")
    alone = isolated(options.requests * 20)
    print("Each middleware alone, around a view that costs nothing:")
    for name, micros in alone.items():
        print(f"  {name:34} {micros:8.1f} µs/request")
    print(
        json.dumps(
            {"requests": options.requests, "rounds": options.rounds, "us_per_request": best, "alone": alone}
        )
    )


if __name__ == "__main__":
    main()
