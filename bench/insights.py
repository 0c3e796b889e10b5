"""The insights at scale: rebuild throughput, each insights page and endpoint, and the
rollup's cost when a run ends.

    cd bench && ../.venv/bin/python insights.py [--runs 100000] [--steps 20] [--loads 15]

Fills a throwaway database (SQLite, or DATABASE_URL) with runs of 40 flows on 16
devices, 20 steps each, as the lifecycle writes them (step keys, snapshots; some
steps flaky or failed with errors of ~1,300 distinct signatures), then:
1. `rebuild_insights` from scratch: runs per second;
2. each page and endpoint, logged in as a superuser: median time, SQL queries;
3. `record_run` (what ending a run adds) on 200 runs, each rolled back: median.
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
    from playback.insights.identity import step_key
    from playback.insights.windows import failure_key_of
    from playback.models import Device, Run, StepResult
    from playback.words import RunSettings

    rng = random.Random(7)
    flows = []
    for i in range(40):
        flows.append(Flow.save_definition(parse_flow({
            "name": f"flow {i}", "platform": "sim", "app_id": "com.example",
            "steps": [{"action": "tap", "locator": {"using": "id", "value": f"f{i}-s{n}"}}
                      for n in range(steps)],
        })))  # fmt: skip
    definitions = {f.pk: [s.definition().as_json() for s in f.steps.all()] for f in flows}
    keys = {pk: [step_key(d) for d in defs] for pk, defs in definitions.items()}
    devices = [
        Device.objects.create(device_id=f"lab-{i}", platform="sim", appium_url="http://x:4723")
        for i in range(16)
    ]
    start = datetime.now(UTC) - timedelta(seconds=runs * 90)  # the last run ends now
    made = 0
    while made < runs:
        with transaction.atomic():
            objs, plans = [], []
            for i in range(made, min(made + 2000, runs)):
                status = rng.choice(STATUSES)
                flow = flows[i % len(flows)]
                plan = ["pass"] * steps
                if status == "error":
                    plan = ["blocked"] * steps
                for n in rng.sample(range(steps), rng.choice([0, 0, 1, 2])):
                    plan[n] = "flaky"
                if status in ("failed", "partial_success"):
                    plan[rng.randrange(steps)] = "fail"
                queued = start + timedelta(seconds=i * 90)
                objs.append(Run(
                    flow=flow, device=devices[i % len(devices)], status=status,
                    settings=RunSettings(retry_per_step=1), total_steps=steps,
                    successful_steps=plan.count("pass") + plan.count("flaky"),
                    flaky_steps=plan.count("flaky"), failed_steps=plan.count("fail"),
                    blocked_steps=plan.count("blocked"), duration_ms=rng.randint(800, 9000),
                    queued_at=queued, started_at=queued, finished_at=queued + timedelta(seconds=9),
                    error="Appium server is unreachable" if status == "error" else "",
                ))  # fmt: skip
                plans.append(plan)
            created = Run.objects.bulk_create(objs)
            results = []
            for run, plan in zip(created, plans, strict=True):
                for n, status in enumerate(plan):
                    error = {
                        "fail": f"Element not found: id='field-{run.pk % 997}' "
                        f"(waited {rng.randint(1, 9) * 100} ms)",
                        "flaky": f"element button-{run.pk % 313} is not clickable",
                    }.get(status, "")
                    errors = [error] * ({"flaky": 1, "fail": 2}.get(status, 0))
                    failure = failure_key_of(
                        {"status": status, "attempt_errors": errors, "error": error}
                    )
                    results.append(StepResult(
                        run=run, step_number=n + 1, action="tap", failure_key=failure,
                        definition=definitions[run.flow_id][n], step_key=keys[run.flow_id][n],
                        status=status, attempts={"pass": 1, "flaky": 2, "fail": 2}.get(status, 0),
                        attempt_errors=errors,
                        error=error, duration_ms=40,
                    ))  # fmt: skip
            StepResult.objects.bulk_create(results, batch_size=5000)
        made += len(objs)
        print(f"\r{made} runs, {made * steps} step results", end="", flush=True)
    print()
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=100_000)
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--loads", type=int, default=15)
    parser.add_argument("--reuse", action="store_true", help="Keep a database filled before.")
    args = parser.parse_args()
    reused = django_on_bench_db("insights", reuse=args.reuse)

    from django.contrib.auth import get_user_model
    from django.db import connection, transaction
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from playback.insights import rebuild, windows
    from playback.models import FailureGroup, Run, StepResult

    if not reused:
        started = time.perf_counter()
        fill(args.runs, args.steps)
        print(f"filled in {time.perf_counter() - started:.0f} s")
        started = time.perf_counter()
        count = rebuild.rebuild()
        took = time.perf_counter() - started
        print(f"rebuild_insights: {count} runs in {took:.0f} s = {count / took:.0f} runs/s")
    print(f"{Run.objects.count()} runs, {StepResult.objects.count()} step results, "
          f"{FailureGroup.objects.count()} failure groups")  # fmt: skip
    user, _ = get_user_model().objects.get_or_create(
        username="bench", defaults={"is_staff": True, "is_superuser": True}
    )
    client = Client()
    client.force_login(user)
    failed = Run.objects.filter(status="partial_success").order_by("-pk").first()
    passed = Run.objects.filter(flow=failed.flow, status="success").order_by("-pk").first()
    group = FailureGroup.objects.order_by("-last_seen").first()
    pages = {
        "admin: flaky steps (window 30)": "/admin/playback/flakystep/",
        "admin: flaky steps (200, sim)": "/admin/playback/flakystep/?window=200&platform=sim",
        "admin: failure groups": "/admin/playback/failuregroup/",
        "admin: runs of a failure group": f"/admin/playback/run/?failure_group={group.key}",
        "admin: runs marked new failure": "/admin/playback/run/?marker=new_failure",
        "admin: flow page (trends)": f"/admin/flows/flow/{failed.flow_id}/change/",
        "admin: flows list (sparklines)": "/admin/flows/flow/",
        "admin: compare two runs": f"/admin/playback/run/{failed.pk}/compare/{passed.pk}/",
        "API: flow stats": f"/api/flows/{failed.flow_id}/stats/?window=200",
        "API: flaky steps": "/api/insights/flaky-steps/",
        "API: failure groups": "/api/insights/failure-groups/",
    }
    print("| page | median | queries |\n|---|---|---|")
    for label, url in pages.items():
        times, queries = [], 0
        for _ in range(args.loads):
            with CaptureQueriesContext(connection) as ctx:
                t0 = time.perf_counter()
                response = client.get(url)
                times.append((time.perf_counter() - t0) * 1000)
            assert response.status_code == 200, (url, response.status_code)
            queries = len(ctx.captured_queries)
        print(f"| {label} | {statistics.median(times):.0f} ms | {queries} |")

    costs = []
    for run in Run.objects.select_related("device").order_by("-pk")[:200]:
        with transaction.atomic():
            t0 = time.perf_counter()
            windows.record_run(run)
            costs.append((time.perf_counter() - t0) * 1000)
            transaction.set_rollback(True)
    print(f"record_run (the rollups when a run of {args.steps} steps ends): "
          f"median {statistics.median(costs):.2f} ms of {len(costs)}")  # fmt: skip


if __name__ == "__main__":
    main()
