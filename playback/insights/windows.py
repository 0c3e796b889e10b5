"""The rollups behind every insight, kept current as runs end.

`record_run(run)` is called by `playback.runs.lifecycle` in the transaction that ends a
run: it appends the run to its flow's windows (all devices, its platform, its
device), sets its markers (new failure, fixed) against the previous finished run of
the flow on its platform, and counts its failed and flaky steps into their failure
groups. `rebuild()` recomputes all of it from the history (`rebuild_insights`);
`record_run` over the same runs in the same order gives the same rows.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any, NamedTuple

from django.core.paginator import Paginator
from django.db import connection

from playback import actions
from playback.insights import triage
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
STEP_FIELDS = (
    "step_number",
    "step_key",
    "failure_key",
    "action",
    "status",
    "attempts",
    "error",
    "attempt_errors",
)
# What a row made by `locked` starts with (a failure group needs its times).
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
GROUP_FIELDS = ["signature", "count", "first_seen", "last_seen", "flows", "devices", "example_runs"]
DEFAULTS = {FailureGroup: {"signature": "", "first_seen": EPOCH, "last_seen": EPOCH}}


class Ended(NamedTuple):
    """What the rollups read of an ended run."""

    pk: int
    flow_id: int
    device_id: int
    platform: str
    status: str
    finished_at: datetime | None


def ended(run: Any) -> Ended:
    return Ended(
        run.pk,
        run.flow_id,
        run.device_id,
        str(run.device.platform),
        str(run.status),
        run.finished_at,
    )


def scopes(run: Ended) -> list[str]:
    return ["", f"platform:{run.platform}", f"device:{run.device_id}"]


def record_run(run: Any) -> None:
    """Count an ended run in the rollups (inside the transaction that ended it): its
    windows read and written in one query each, its failure groups likewise."""
    end = ended(run)
    results = step_rows(run.pk)
    # Only what the run changes is read and written: a run that ended error or
    # cancelled touches `others` alone, any other run never does (a jsonb document
    # is sent, parsed and logged whole each time).
    counted = end.status in WINDOW_STATUSES
    documents = ["runs", "steps"] if counted else ["others"]
    windows = locked(FlowWindow, {"flow_id": end.flow_id}, "scope", scopes(end), documents)
    if counted:  # the windows' steps say what each step does
        add_summaries(run, results, windows)
    markers = roll(end, results, windows)
    save_rows(FlowWindow, windows.values(), documents)
    if any(markers.values()):
        type(run).objects.filter(pk=run.pk).update(**markers)
    for name, value in markers.items():
        setattr(run, name, value)
    backfill_failure_keys(end, results)
    failing = failing_steps(results)
    if failing:
        groups = locked(FailureGroup, {}, "key", list(failing), GROUP_FIELDS)
        new = [group for group in groups.values() if not group.count]
        add_failures(groups, end, failing)
        save_rows(FailureGroup, groups.values(), GROUP_FIELDS)
        triage.follow_similar(new)  # no query unless a group is new


def add_summaries(run: Any, results: list[dict[str, Any]], windows: dict[str, Any]) -> None:
    """Each step's summary: as the windows know it, else from the step's definition
    (read once per step the windows lack)."""
    known = {key: step.get("summary") for w in windows.values() for key, step in w.steps.items()}
    new = [r["step_number"] for r in results if r["step_key"] and not known.get(r["step_key"])]
    snapshots = (
        dict(run.step_results.filter(step_number__in=new).values_list("step_number", "definition"))
        if new
        else {}
    )
    for result in results:
        result["summary"] = known.get(result["step_key"]) or summary_of(
            result, snapshots.get(result["step_number"])
        )


def step_rows(run_id: int) -> list[dict[str, Any]]:
    """The run's step results (STEP_FIELDS), in step order, read with plain SQL."""
    from playback.models import StepResult

    fields = [StepResult._meta.get_field(name) for name in STEP_FIELDS]
    quote = connection.ops.quote_name
    sql = (
        f"SELECT {', '.join(quote(f.column) for f in fields)} "
        f"FROM {quote(StepResult._meta.db_table)} WHERE {quote('run_id')} = %s "
        f"ORDER BY {quote('step_number')}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [run_id])
        rows = cursor.fetchall()
    loads = [getattr(f, "from_db_value", None) for f in fields]
    return [
        {
            f.name: load(value, None, connection) if load else value
            for f, load, value in zip(fields, loads, row, strict=True)
        }
        for row in rows
    ]


def roll(run: Ended, results: list[dict[str, Any]], windows: dict[str, Any]) -> dict[str, bool]:
    """Append the run to its windows (by scope, as `scopes` names them) and give its
    markers against the previous finished run of the flow on its platform."""
    markers = {"new_failure": False, "fixed": False}
    if run.status in WINDOW_STATUSES:
        markers = compare_with_previous(windows[scopes(run)[1]], results)
    for window in windows.values():
        add_run(window, run, results)
    return markers


def save_rows(model: Any, rows: Iterable[Any], fields: list[str]) -> None:
    """UPDATE each row's `fields` in one executemany (Django's bulk_update builds a CASE
    per field: several times the cost for a handful of rows)."""
    columns = [model._meta.get_field(name) for name in fields]
    quote = connection.ops.quote_name
    sql = (
        f"UPDATE {quote(model._meta.db_table)} "
        f"SET {', '.join(f'{quote(c.column)} = %s' for c in columns)} "
        f"WHERE {quote(model._meta.pk.column)} = %s"
    )
    params = [
        [c.get_db_prep_save(getattr(row, c.attname), connection) for c in columns] + [row.pk]
        for row in rows
    ]
    with connection.cursor() as cursor:
        cursor.executemany(sql, params)


def locked(
    model: Any, fixed: dict[str, Any], field: str, values: list[Any], only: list[str] | None = None
) -> dict[Any, Any]:
    """The rows of `model` with `fixed` and each of `values` in `field`, created when
    missing (a concurrent creator wins quietly) and locked for this transaction; with
    `only`, those fields alone are read (besides the key and `field`)."""

    quote = connection.ops.quote_name
    opts = model._meta
    names = [opts.pk.name, field, *only] if only else []
    read = ", ".join(quote(opts.get_field(n).column) for n in names) if only else "*"
    column = quote(opts.get_field(field).column)
    where = "".join(f"{quote(opts.get_field(name).column)} = %s AND " for name in fixed)
    lock = " FOR UPDATE" if connection.features.has_select_for_update else ""

    def fetch(keys: list[Any]) -> dict[Any, Any]:
        # Plain SQL: the ORM's query building cost more than the query (a run's end
        # pays it). In one order for every transaction: two runs ending at once
        # cannot deadlock.
        sql = (
            f"SELECT {read} FROM {quote(opts.db_table)} WHERE {where}{column} IN "
            f"({', '.join(['%s'] * len(keys))}) ORDER BY {column}{lock}"
        )
        found = model.objects.raw(sql, [*fixed.values(), *keys])
        return {getattr(row, field): row for row in found}

    rows = fetch(values)
    missing = [v for v in values if v not in rows]
    if missing:
        made = [model(**fixed, **{field: v}, **DEFAULTS.get(model, {})) for v in missing]
        model.objects.bulk_create(made, ignore_conflicts=True)
        rows.update(fetch(missing))
    return rows


def add_run(window: FlowWindow, run: Ended, results: Iterable[dict[str, Any]]) -> None:
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
    return actions.summary(definition) if definition else str(result["action"])


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


def backfill_failure_keys(run: Ended, results: list[dict[str, Any]]) -> None:
    """Each failing step's key was written with the step (`step_recorder.record_step`); a
    row from before failure keys existed gets its key here."""
    from playback.models import StepResult

    for result in results:
        if not result["failure_key"] and (key := failure_key_of(result)):
            StepResult.objects.filter(run_id=run.pk, step_number=result["step_number"]).update(
                failure_key=key
            )
            result["failure_key"] = key


def failing_steps(results: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """The run's failed and flaky steps by failure key."""
    failing: dict[str, list[dict[str, Any]]] = {}
    for result in results:
        if result["failure_key"]:
            failing.setdefault(result["failure_key"], []).append(result)
    return failing


def add_failures(groups: dict[str, Any], run: Ended, failing: dict[str, list[dict]]) -> None:
    """Count the run's failing steps into their groups (`groups` holds each key)."""
    when = run.finished_at
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


def failure_group_runs(queryset: Any, key: str) -> Any:
    """The runs of `queryset` with a step in the failure group `key`, found from the
    group's steps (the partial index on failure_key; its "not empty" term is what lets
    SQLite use it). A group of up to MANY_STEPS steps hands its run ids over as they
    are, so the database does not walk every run to find them."""
    steps = group_steps(key)
    size = FailureGroup.objects.filter(key=key).values_list("count", flat=True).first() or 0
    if size <= MANY_STEPS:
        return queryset.filter(pk__in=list(steps.values_list("run_id", flat=True).distinct()))
    return queryset.filter(pk__in=steps.values("run_id"))


def failure_group_count(key: str) -> int:
    """How many runs have a step in the group, from its index alone (counting the runs
    a filtered list holds took 600 ms for a group of 148,000 runs at 1,000,000 runs on
    PostgreSQL; this takes 67 ms)."""
    return group_steps(key).values("run_id").distinct().count()


def group_steps(key: str) -> Any:
    """The step results of a failure group, through the partial index on failure_key
    (its "not empty" term is what lets SQLite use it)."""
    from playback.models import StepResult

    return StepResult.objects.filter(failure_key=key).exclude(failure_key="")


def only_failure_group(params: Any, allowed: set[str]) -> str | None:
    """The failure group a runs list is filtered by, when nothing else narrows it
    (`allowed`: the page, ordering and format parameters); else None."""
    key = params.get("failure_group")
    return key if key and set(params) <= {"failure_group", *allowed} else None


class KnownCountPaginator(Paginator):
    """A paginator told its count (`failure_group_count`) instead of counting."""

    def __init__(self, *args: Any, count: int, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.__dict__["count"] = count  # the cached property, set
