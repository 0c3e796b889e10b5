"""The insights at scale: rebuild throughput, each insights page and endpoint, and the
rollup's cost when a run ends.

    cd bench && ../.venv/bin/python insights.py [--runs 100000] [--steps 20] [--loads 15]

Fills a throwaway database (SQLite, or DATABASE_URL) with runs of 40 flows on 16
devices, 20 steps each (bench/_insights_data.py), then:
1. `rebuild_insights` from scratch: runs per second;
2. each page and endpoint, logged in as a superuser: median time, SQL queries;
3. `record_run` (what ending a run adds) on 200 runs, each rolled back: median.
"""

from __future__ import annotations

import argparse
import statistics
import time

from _insights_data import fill
from _setup import django_on_bench_db


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
    largest = FailureGroup.objects.order_by("-count").first()
    print(f"failure groups: the latest has {group.count} steps, the largest {largest.count}")
    # Triage as a team would have it: 100 groups labelled by people, five categories.
    from playback.insights import categories, triage

    labelled = list(FailureGroup.objects.order_by("-count")[:100])
    triage.label_groups(labelled, user, label="automation_bug")
    categories.save(categories.parse([
        {"name": "Assertions", "matchedStatuses": ["failed"]},
        {"name": "Missing elements", "messageRegex": ".*not found.*"},
        {"name": "Timeouts", "messageRegex": ".*(timed out|timeout).*"},
        {"name": "Sessions", "messageRegex": ".*[Ss]ession.*", "matchedStatuses": ["broken"]},
        {"name": "Anything else", "messageRegex": ".*"},
    ]))  # fmt: skip
    pages = {
        "admin: flaky steps (window 30)": "/admin/playback/flakystep/",
        "admin: flaky steps (200, sim)": "/admin/playback/flakystep/?window=200&platform=sim",
        "admin: failure groups": "/admin/playback/failuregroup/",
        "admin: failure groups labelled automation bug": (
            "/admin/playback/failuregroup/?label=automation_bug"
        ),
        "admin: a failure group's page": f"/admin/playback/failuregroup/{largest.key}/",
        "admin: quarantines": "/admin/playback/quarantine/",
        "admin: runs of a failure group": f"/admin/playback/run/?failure_group={group.key}",
        "admin: runs of the largest failure group": (
            f"/admin/playback/run/?failure_group={largest.key}"
        ),
        "admin: runs marked new failure": "/admin/playback/run/?marker=new_failure",
        "admin: flow page (trends)": f"/admin/flows/flow/{failed.flow_id}/change/",
        "admin: flows list (sparklines)": "/admin/flows/flow/",
        "admin: compare two runs": f"/admin/playback/run/{failed.pk}/compare/{passed.pk}/",
        "API: flow stats": f"/api/flows/{failed.flow_id}/stats/?window=200",
        "API: flaky steps": "/api/insights/flaky-steps/",
        "API: failure groups": "/api/insights/failure-groups/",
        "API: categories": "/api/insights/categories/",
        "API: runs of a failure group": f"/api/playback/runs/?failure_group={group.key}",
        "API: runs of the largest failure group": (
            f"/api/playback/runs/?failure_group={largest.key}"
        ),
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

    # A new failure group compared with the 100 labelled ones (what a run pays when
    # it fails in a new way; nothing when it does not).
    costs = []
    for n in range(50):
        with transaction.atomic():
            new = FailureGroup.objects.create(
                key=f"{n:016x}", signature=f"{largest.signature} (variant {n})",
                first_seen=largest.first_seen, last_seen=largest.last_seen,
            )  # fmt: skip
            t0 = time.perf_counter()
            triage.follow_similar([new])
            costs.append((time.perf_counter() - t0) * 1000)
            transaction.set_rollback(True)
    print(f"a new failure group against 100 labelled: median {statistics.median(costs):.2f} ms")


if __name__ == "__main__":
    main()
