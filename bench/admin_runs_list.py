"""The admin's runs list with 100,000 runs and 2,000,000 step results.

    cd bench && ../.venv/bin/python admin_runs_list.py [--runs 100000] [--steps 20] [--loads 15]

Fills a throwaway SQLite database (or DATABASE_URL), then loads each admin page
with Django's test client as a logged-in superuser and reports the median time
and the number of SQL queries per page.
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from datetime import UTC, datetime, timedelta

from _setup import django_on_bench_db

STATUSES = ["success"] * 6 + ["failed", "partial_success", "partial_success", "error"]


def fill(runs: int, steps: int) -> None:
    from django.db import connection, transaction

    from flows.definitions import parse_flow
    from flows.models import Flow
    from playback.models import Device, Run, StepResult
    from playback.runs.search import search_text
    from playback.words import RunSettings

    rng = random.Random(7)
    flows = [
        Flow.save_definition(parse_flow({
            "name": f"flow {i}", "platform": "sim", "app_id": "com.example",
            "steps": [{"action": "tap", "x": 1, "y": 1}] * steps,
        }))
        for i in range(40)
    ]  # fmt: skip
    devices = [
        Device.objects.create(device_id=f"lab-{i}", platform="sim", appium_url="http://x:4723")
        for i in range(16)
    ]
    start = datetime(2026, 1, 1, tzinfo=UTC)
    batch = 2000
    made = 0
    while made < runs:
        with transaction.atomic():
            objs = []
            for i in range(made, min(made + batch, runs)):
                status = rng.choice(STATUSES)
                flaky = rng.randint(0, 2) if status != "error" else 0
                failed = 1 if status in ("failed", "partial_success") else 0
                queued = start + timedelta(seconds=i * 90)
                error = "Appium server is unreachable" if status == "error" else ""
                # Steps that failed or were flaky say why, with the element they sought
                # (as real errors do: many distinct texts).
                step_errors = [
                    (f"Failed after 2 attempts: Element not found: id='field-{i % 997}'",
                     [f"Element not found: id='field-{i % 997}'"] * 2)
                    for _ in range(failed)
                ] + [
                    (f"Passed on attempt 2; attempt 1 failed: click failed: element "
                     f"button-{i % 313} is not clickable", [f"element button-{i % 313} is "
                     "not clickable"])
                    for _ in range(flaky)
                ]  # fmt: skip
                objs.append(Run(
                    flow=flows[i % len(flows)], device=devices[i % len(devices)], status=status,
                    settings=RunSettings(retry_per_step=1), total_steps=steps,
                    successful_steps=steps - failed - (steps if status == "error" else 0) * 0,
                    flaky_steps=flaky, failed_steps=failed, duration_ms=rng.randint(800, 9000),
                    queued_at=queued, started_at=queued, finished_at=queued + timedelta(seconds=9),
                    error=error, search_text=search_text(error, step_errors),
                ))  # fmt: skip
            created = Run.objects.bulk_create(objs)
            results = [
                StepResult(run=run, step_number=n, action="tap", status="pass", attempts=1,
                           duration_ms=40, screenshot=f"runs/{run.pk}/step-{n:04d}.png")
                for run in created
                for n in range(1, steps + 1)
            ]  # fmt: skip
            StepResult.objects.bulk_create(results, batch_size=5000)
        made += len(objs)
        print(f"\r{made} runs, {made * steps} step results", end="", flush=True)
    print()
    with connection.cursor() as cursor:  # statistics, as a live database keeps them
        cursor.execute("ANALYZE")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=100_000)
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--loads", type=int, default=15)
    parser.add_argument("--reuse", action="store_true", help="Keep a database filled before.")
    args = parser.parse_args()
    reused = django_on_bench_db("admin", reuse=args.reuse)

    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from playback.models import Run, StepResult

    if not reused:
        started = time.perf_counter()
        fill(args.runs, args.steps)
        print(f"filled in {time.perf_counter() - started:.0f} s")
    print(f"{Run.objects.count()} runs, {StepResult.objects.count()} step results")
    user, _ = get_user_model().objects.get_or_create(
        username="bench", defaults={"is_staff": True, "is_superuser": True}
    )
    client = Client()
    client.force_login(user)
    some_run = Run.objects.order_by("-pk").first()
    pages = {
        "runs list": "/admin/playback/run/",
        "runs list, status=failed": "/admin/playback/run/?status__exact=failed",
        "runs list, has flaky steps": "/admin/playback/run/?flaky=yes",
        "runs list, one flow": f"/admin/playback/run/?flow__id__exact={some_run.flow_id}",
        "runs list, a month": "/admin/playback/run/?queued_at__year=2026&queued_at__month=2",
        "runs list, search 'unreachable'": "/admin/playback/run/?q=unreachable",
        "runs list, search a step's error": "/admin/playback/run/?q=id%3D%27field-42%27",
        "runs list, search words many runs hold": "/admin/playback/run/?q=not+clickable",
        "runs list, page 500": "/admin/playback/run/?p=500",
        f"run page ({args.steps} steps)": f"/admin/playback/run/{some_run.pk}/change/",
        "flows list": "/admin/flows/flow/",
        "flow page": f"/admin/flows/flow/{some_run.flow_id}/change/",
        "devices list": "/admin/playback/device/",
    }
    print("| page | median | queries |\n|---|---|---|")
    for label, url in pages.items():
        times = []
        for _ in range(args.loads):
            connection.queries_log.clear()
            with CaptureQueriesContext(connection) as ctx:
                t0 = time.perf_counter()
                response = client.get(url)
                times.append((time.perf_counter() - t0) * 1000)
            assert response.status_code == 200, (url, response.status_code)
        print(f"| {label} | {statistics.median(times):.0f} ms | {len(ctx.captured_queries)} |")


if __name__ == "__main__":
    main()
