"""The history `insights.py` measures: runs of 40 flows on 16 devices, 20 steps each,
as the lifecycle writes them (step keys, snapshots, failure keys; 6/10 success, 1/10
failed, 2/10 partial success, 1/10 error; 2/3 of runs with a flaky step), ~1,300
failure signatures of which one is large (a third of the flaky steps: "spinner still
visible after N ms"), the last run ending now, one every 90 s.

On PostgreSQL the step results are written by one INSERT … SELECT per 100,000 runs
from a plan per run (1,000,000 runs / 20,000,000 step results in minutes); on SQLite
by the ORM.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

STATUSES = ["success"] * 6 + ["failed", "partial_success", "partial_success", "error"]


def fill_python(runs: int, steps: int) -> None:
    """Runs and step results made with the ORM (SQLite)."""
    from django.db import transaction

    from playback.insights.identity import failure_key_of, step_key
    from playback.models import Run, StepResult
    from playback.words import RunSettings

    rng = random.Random(7)
    flows, devices, definitions = flows_and_devices(steps)
    keys = {pk: [step_key(d) for d in defs] for pk, defs in definitions.items()}
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
                        "flaky": f"element 'button-{run.pk % 313}' is not clickable"
                        if run.pk % 3
                        else f"spinner still visible after {run.pk % 50 * 10} ms",
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


def fill(runs: int, steps: int) -> None:
    from django.db import connection

    if connection.vendor == "postgresql":
        fill_postgres(runs, steps)
    else:
        fill_python(runs, steps)
    with connection.cursor() as cursor:
        # As autovacuum leaves a table in use: its visibility map set (index-only scans).
        cursor.execute("VACUUM ANALYZE" if connection.vendor == "postgresql" else "ANALYZE")


def flows_and_devices(steps: int) -> tuple[list, list, dict]:
    from flows.definitions import parse_flow
    from flows.models import Flow
    from playback.models import Device

    flows = [
        Flow.save_definition(parse_flow({
            "name": f"flow {i}", "platform": "sim", "app_id": "com.example",
            "steps": [{"action": "tap", "locator": {"using": "id", "value": f"f{i}-s{n}"}}
                      for n in range(steps)],
        }))
        for i in range(40)
    ]  # fmt: skip
    devices = [
        Device.objects.create(device_id=f"lab-{i}", platform="sim", appium_url="http://x:4723")
        for i in range(16)
    ]
    definitions = {f.pk: [s.definition().as_json() for s in f.steps.all()] for f in flows}
    return flows, devices, definitions


def fill_postgres(runs: int, steps: int) -> None:
    """A plan per run (status, its failed step, its flaky steps) copied into a
    temporary table; runs and step results made from it by SQL."""
    import json

    from django.db import connection, transaction

    from playback.insights.identity import step_key
    from playback.words import RunSettings

    rng = random.Random(7)
    flows, devices, definitions = flows_and_devices(steps)
    start = datetime.now(UTC) - timedelta(seconds=runs * 90)
    settings = json.dumps(RunSettings(retry_per_step=1).stored())
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TEMP TABLE bench_step (flow_id bigint, n int, definition jsonb, key text)"
        )
        with cursor.cursor.copy("COPY bench_step FROM STDIN") as copy:
            for flow_id, defs in definitions.items():
                for n, d in enumerate(defs, 1):
                    copy.write_row((flow_id, n, json.dumps(d), step_key(d)))
        cursor.execute(
            "CREATE TEMP TABLE bench_plan (id bigint, flow_id bigint, device_id bigint, "
            "status text, fail int, flaky1 int, flaky2 int, finished timestamptz, ms int)"
        )
    for first in range(0, runs, 100_000):
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("TRUNCATE bench_plan")
            with cursor.cursor.copy("COPY bench_plan FROM STDIN") as copy:
                for i in range(first, min(first + 100_000, runs)):
                    status = rng.choice(STATUSES)
                    flaky = [*rng.sample(range(1, steps + 1), rng.choice([0, 0, 1, 2])), 0, 0]
                    fail = rng.randint(1, steps) if status in ("failed", "partial_success") else 0
                    if status == "error":
                        flaky = [0, 0]
                    copy.write_row((i + 1, flows[i % len(flows)].pk,
                                    devices[i % len(devices)].pk, status, fail,
                                    *flaky[:2], start + timedelta(seconds=i * 90 + 9),
                                    rng.randint(800, 9000)))  # fmt: skip
            cursor.execute(RUNS_SQL, {"steps": steps, "settings": settings})
            cursor.execute(STEPS_SQL)  # no parameters: its % are SQL's
        print(f"\r{min(first + 100_000, runs)} runs", end="", flush=True)
    print()
    check_failure_keys()
    with connection.cursor() as cursor:
        cursor.execute("SELECT setval(pg_get_serial_sequence('playback_run', 'id'), "
                       "(SELECT max(id) FROM playback_run))")  # fmt: skip


PLAN_FLAKY = "(CASE WHEN flaky1 > 0 AND flaky1 <> fail THEN 1 ELSE 0 END + " \
             "CASE WHEN flaky2 > 0 AND flaky2 <> fail THEN 1 ELSE 0 END)"  # fmt: skip
RUNS_SQL = f"""
INSERT INTO playback_run (id, flow_id, device_id, status, settings, total_steps,
    successful_steps, flaky_steps, failed_steps, skipped_steps, blocked_steps, duration_ms,
    queued_at, started_at, finished_at, worker, cancel_requested, foreground, error,
    media_bytes, requested_from, search_text, fixed, new_failure, verdict, video_error)
SELECT id, flow_id, device_id, status, %(settings)s::jsonb, %(steps)s,
    CASE WHEN status = 'error' THEN 0 ELSE %(steps)s - (fail > 0)::int END,
    {PLAN_FLAKY}, (fail > 0)::int, 0,
    CASE WHEN status = 'error' THEN %(steps)s ELSE 0 END, ms,
    finished - interval '9 seconds', finished - interval '9 seconds', finished, '', false,
    false, CASE WHEN status = 'error' THEN 'Appium server is unreachable' ELSE '' END,
    0, '', '', false, false, CASE WHEN status = 'success' THEN 'pass' ELSE 'fail' END, ''
FROM bench_plan
"""
STEP_ERROR = """CASE
    WHEN p.status = 'error' THEN ''
    WHEN s.n = p.fail THEN format('Element not found: id=''field-%s'' (waited %s ms)',
                                  p.id % 997, (p.id % 9 + 1) * 100)
    WHEN s.n IN (p.flaky1, p.flaky2) AND p.id % 3 = 0
        THEN format('spinner still visible after %s ms', p.id % 50 * 10)
    WHEN s.n IN (p.flaky1, p.flaky2) THEN format('element ''button-%s'' is not clickable',
                                                 p.id % 313)
    ELSE '' END"""
STEPS_SQL = rf"""
INSERT INTO playback_stepresult (run_id, step_number, action, status, attempts,
    attempt_errors, duration_ms, error, screenshot, screenshot_error, finished_at,
    definition, attempt_log, failure_key, step_key, quarantined)
SELECT id, n, 'tap', status, attempts,
    CASE WHEN status = 'fail' THEN jsonb_build_array(error, error)
         WHEN status = 'flaky' THEN jsonb_build_array(error) ELSE '[]'::jsonb END,
    40, error, '', '', finished, definition, '[]'::jsonb,
    CASE WHEN error = '' THEN '' ELSE left(encode(sha256(convert_to(
        regexp_replace(regexp_replace(error, '\(waited [0-9]+ ms\)', '(waited N ms)'),
                       'after [0-9]+ ms', 'after N ms'), 'UTF8')), 'hex'), 16)
    END, key, false
FROM (
    SELECT p.id, s.n, s.definition, s.key, p.finished,
        CASE WHEN p.status = 'error' THEN 'blocked' WHEN s.n = p.fail THEN 'fail'
             WHEN s.n IN (p.flaky1, p.flaky2) THEN 'flaky' ELSE 'pass' END AS status,
        CASE WHEN p.status = 'error' THEN 0 WHEN s.n IN (p.fail, p.flaky1, p.flaky2) THEN 2
             ELSE 1 END AS attempts,
        {STEP_ERROR} AS error
    FROM bench_plan p JOIN bench_step s ON s.flow_id = p.flow_id
) AS planned
"""


def check_failure_keys() -> None:
    """The SQL's failure keys are the ones `record_step` would have written."""
    from playback.insights.identity import failure_key_of
    from playback.models import StepResult

    rows = StepResult.objects.exclude(failure_key="").values(
        "status", "error", "attempt_errors", "failure_key"
    )[:500]
    assert rows and all(failure_key_of(r) == r["failure_key"] for r in rows)
