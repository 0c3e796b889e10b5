"""The rollups behind every insight, kept current as runs end.

`record_run(run)` is called by `playback.lifecycle` in the transaction that ends a
run: it appends the run to its flow's windows (all devices, its platform, its
device), sets its markers (new failure, fixed) against the previous finished run of
the flow on its platform, and counts its failed and flaky steps into their failure
groups. `rebuild()` recomputes all of it from the history (`rebuild_insights`);
`record_run` over the same runs in the same order gives the same rows.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from django.db import connection, transaction
from django.db.models import Q

from playback.insights.identity import failure_key_of, failure_of, failure_signature
from playback.insights.models import KEEP_RUNS, FailureGroup, FlowWindow
from playback.words import RunStatus, StepStatus

WINDOW_STATUSES = (RunStatus.SUCCESS, RunStatus.FAILED, RunStatus.PARTIAL_SUCCESS)
LETTERS = {
    StepStatus.PASS: "P",
    StepStatus.FLAKY: "K",
    StepStatus.FAIL: "F",
    StepStatus.SKIPPED: "S",
    StepStatus.BLOCKED: "B",
}
PASSED = "PK"
EXAMPLES = 5
MANY_STEPS = 5000  # a failure group this large is filtered by a subquery
STEP_FIELDS = ("step_number", "step_key", "failure_key", "action", "status", "attempts",
               "error", "attempt_errors")  # fmt: skip
# What a row made by `locked` starts with (a failure group needs its times).
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
DEFAULTS = {FailureGroup: {"signature": "", "first_seen": EPOCH, "last_seen": EPOCH}}


def scopes(run: Any) -> list[str]:
    return ["", f"platform:{run.device.platform}", f"device:{run.device_id}"]


def record_run(run: Any) -> None:
    """Count an ended run in the rollups (inside the transaction that ended it): its
    windows read and written in one query each, its failure groups likewise."""
    results = list(run.step_results.order_by("step_number").values(*STEP_FIELDS))
    wanted = scopes(run)
    windows = locked(FlowWindow, {"flow_id": run.flow_id}, "scope", wanted)
    known = {key: step.get("summary") for w in windows.values() for key, step in w.steps.items()}
    new = [r["step_number"] for r in results if r["step_key"] and not known.get(r["step_key"])]
    snapshots = dict(run.step_results.filter(step_number__in=new)
                     .values_list("step_number", "definition")) if new else {}  # fmt: skip
    for result in results:  # what a step does, read once per step the windows lack
        result["summary"] = known.get(result["step_key"]) or summary_of(
            result, snapshots.get(result["step_number"])
        )
    markers = {"new_failure": False, "fixed": False}
    if run.status in WINDOW_STATUSES:
        markers = compare_with_previous(windows[wanted[1]], results)  # its platform's
    for window in windows.values():
        add_run(window, run, results)
    save_rows(FlowWindow, windows.values(), ["runs", "others", "steps"])
    if any(markers.values()):
        type(run).objects.filter(pk=run.pk).update(**markers)
    for name, value in markers.items():
        setattr(run, name, value)
    count_failures(run, results)


def save_rows(model: Any, rows: Iterable[Any], fields: list[str]) -> None:
    """UPDATE each row's `fields` in one executemany (Django's bulk_update builds a CASE
    per field: several times the cost for a handful of rows)."""
    columns = [model._meta.get_field(name) for name in fields]
    quote = connection.ops.quote_name
    sql = (f"UPDATE {quote(model._meta.db_table)} "
           f"SET {', '.join(f'{quote(c.column)} = %s' for c in columns)} "
           f"WHERE {quote(model._meta.pk.column)} = %s")  # fmt: skip
    params = [
        [c.get_db_prep_save(getattr(row, c.attname), connection) for c in columns] + [row.pk]
        for row in rows
    ]
    with connection.cursor() as cursor:
        cursor.executemany(sql, params)


def locked(model: Any, fixed: dict[str, Any], field: str, values: list[Any]) -> dict[Any, Any]:
    """The rows of `model` with `fixed` and each of `values` in `field`, created when
    missing (a concurrent creator wins quietly) and locked for this transaction."""

    def fetch(keys: list[Any]) -> dict[Any, Any]:
        # In one order for every transaction: two runs ending at once cannot deadlock.
        found = (model.objects.select_for_update()
                 .filter(**fixed, **{f"{field}__in": keys}).order_by(field))  # fmt: skip
        return {getattr(row, field): row for row in found}

    rows = fetch(values)
    missing = [v for v in values if v not in rows]
    if missing:
        made = [model(**fixed, **{field: v}, **DEFAULTS.get(model, {})) for v in missing]
        model.objects.bulk_create(made, ignore_conflicts=True)
        rows.update(fetch(missing))
    return rows


def add_run(window: FlowWindow, run: Any, results: Iterable[dict[str, Any]]) -> None:
    finished = run.finished_at.isoformat() if run.finished_at else None
    entry = [run.pk, str(run.status)]
    if run.status not in WINDOW_STATUSES:  # error, cancelled: counted apart
        window.others = [*window.others, entry][-KEEP_RUNS:]
        return
    window.runs = [*window.runs, entry][-KEEP_RUNS:]
    seen = set()
    for result in results:
        key = result["step_key"]
        if not key or key in seen:
            continue
        seen.add(key)
        step = window.steps.get(key) or {"s": "", "a": "", "last_failure": None}
        pad = len(window.runs) - 1 - len(step["s"])
        letter = LETTERS.get(result["status"], "-")
        attempts = str(min(result["attempts"], 9)) if letter in "PKF" else "-"
        step["s"] = ("-" * pad + step["s"] + letter)[-KEEP_RUNS:]
        step["a"] = ("-" * pad + step["a"] + attempts)[-KEEP_RUNS:]
        step["summary"] = result["summary"]
        if letter == "F":
            step["last_failure"] = [run.pk, finished, result["error"][:500]]
        window.steps[key] = step
    for key, step in list(window.steps.items()):
        if key not in seen:  # not in this run (edited out, or a run of an older version)
            step["s"], step["a"] = (step["s"] + "-")[-KEEP_RUNS:], (step["a"] + "-")[-KEEP_RUNS:]
            if set(step["s"]) == {"-"}:
                del window.steps[key]


def summary_of(result: dict[str, Any], definition: dict[str, Any] | None) -> str:
    from flows.definitions import summary

    return summary(definition) if definition else str(result["action"])


def compare_with_previous(window: FlowWindow, results: list[dict[str, Any]]) -> dict[str, bool]:
    """The markers of a run against the last run in the window (its platform's)."""
    if not window.runs:
        return {"new_failure": False, "fixed": False}
    before = {key: step["s"][-1] for key, step in window.steps.items() if step["s"]}
    new_failure = fixed = False
    for result in results:
        letter, was = LETTERS.get(result["status"], "-"), before.get(result["step_key"])
        new_failure |= letter == "F" and was is not None and was in PASSED
        fixed |= letter in PASSED and was == "F"
    return {"new_failure": new_failure, "fixed": fixed}


def count_failures(run: Any, results: list[dict[str, Any]]) -> None:
    """Count the run's failed and flaky steps into their groups (each step's key was
    written with the step, `lifecycle.record_step`; an older row gets it here)."""
    from playback.models import StepResult

    failing: dict[str, list[dict[str, Any]]] = {}  # failure key -> its steps
    for result in results:
        key = result["failure_key"]
        if not key and (key := failure_key_of(result)):
            StepResult.objects.filter(run_id=run.pk, step_number=result["step_number"]).update(
                failure_key=key
            )
        if key:
            failing.setdefault(key, []).append(result)
    if not failing:
        return
    when = run.finished_at
    groups = locked(FailureGroup, {}, "key", list(failing))
    for key, steps in failing.items():
        group = groups[key]
        if not group.count:  # new: this run is its first
            group.signature = failure_signature(failure_of(steps[0]) or "")[:2000]
            group.first_seen = group.last_seen = when
        group.count += len(steps)
        group.last_seen = max(group.last_seen, when)
        group.first_seen = min(group.first_seen, when)
        group.flows = sorted({*group.flows, run.flow_id})
        group.devices = sorted({*group.devices, run.device_id})
        group.example_runs = ([run.pk] + [r for r in group.example_runs if r != run.pk])[:EXAMPLES]
    save_rows(
        FailureGroup,
        groups.values(),
        ["signature", "count", "first_seen", "last_seen", "flows", "devices", "example_runs"],
    )


def backfill_step_keys(*, batch: int) -> None:
    """Step results recorded before step keys existed get theirs (from their snapshot)."""
    from playback.insights.identity import step_key
    from playback.models import StepResult

    while True:
        rows = list(StepResult.objects.filter(step_key="").exclude(definition={})
                    .only("pk", "definition")[:batch])  # fmt: skip
        if not rows:
            return
        for row in rows:
            row.step_key = step_key(row.definition)
        StepResult.objects.bulk_update(rows, ["step_key"])


def rebuild(*, batch: int = 2000) -> int:
    """Every rollup again from the history, runs in the order they ended. Idempotent."""
    from playback.models import Run

    backfill_step_keys(batch=batch)
    with transaction.atomic():
        FlowWindow.objects.all().delete()
        FailureGroup.objects.all().delete()
        Run.objects.filter(Q(new_failure=True) | Q(fixed=True)).update(
            new_failure=False, fixed=False
        )
    ended = (
        Run.objects.filter(finished_at__isnull=False, status__in=[*WINDOW_STATUSES,
                                                                   RunStatus.ERROR,
                                                                   RunStatus.CANCELLED])
        .exclude(started_at__isnull=True)
        .select_related("device")
        .order_by("finished_at", "pk")
    )  # fmt: skip
    count = 0
    last = None
    while True:
        page = ended
        if last is not None:
            page = ended.filter(Q(finished_at__gt=last[0]) | Q(finished_at=last[0], pk__gt=last[1]))
        runs = list(page[:batch])
        if not runs:
            return count
        with transaction.atomic():
            for run in runs:
                record_run(run)
        count += len(runs)
        last = (runs[-1].finished_at, runs[-1].pk)


def failure_group_runs(queryset: Any, key: str) -> Any:
    """The runs of `queryset` with a step in the failure group `key`, found from the
    group's steps (the partial index on failure_key; its "not empty" term is what lets
    SQLite use it). A group of up to MANY_STEPS steps hands its run ids over as they
    are, so the database does not walk every run to find them."""
    from playback.models import StepResult

    steps = StepResult.objects.filter(failure_key=key).exclude(failure_key="")
    size = FailureGroup.objects.filter(key=key).values_list("count", flat=True).first() or 0
    if size <= MANY_STEPS:
        return queryset.filter(pk__in=list(steps.values_list("run_id", flat=True).distinct()))
    return queryset.filter(pk__in=steps.values("run_id"))
