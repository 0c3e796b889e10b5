"""`rebuild_insights`: every rollup again from the history.

The runs are read in the order they ended, a page at a time with their steps, and
rolled up in memory by the same rules as `windows.record_run` (`roll`,
`add_failures`); the rollups are written at the end in one transaction (readers see
the old rollups or the new, never half). Idempotent.
"""

from __future__ import annotations

from collections.abc import Iterator
from itertools import islice
from typing import Any

from django.db import transaction
from django.db.models import Q

from playback.insights.identity import failure_key_of, step_key
from playback.insights.models import FailureGroup, FlowWindow
from playback.insights.windows import (
    DEFAULTS,
    STEP_FIELDS,
    WINDOW_STATUSES,
    Ended,
    add_failures,
    failing_steps,
    roll,
    scopes,
    summary_of,
)
from playback.words import RunStatus, StepStatus

ENDED_STATUSES = (*WINDOW_STATUSES, RunStatus.ERROR, RunStatus.CANCELLED)
RUN_FIELDS = ("pk", "flow_id", "device_id", "device__platform", "status", "finished_at")


class Rollups:
    """The windows, failure groups and markers of the runs added so far, in memory."""

    def __init__(self) -> None:
        self.windows: dict[tuple[int, str], FlowWindow] = {}
        self.groups: dict[str, FailureGroup] = {}
        self.marked: dict[tuple[bool, bool], list[int]] = {}
        self.summaries: dict[str, str] = {}  # step key -> what the step does

    def add(self, run: Ended, results: list[dict[str, Any]]) -> None:
        windows = {
            scope: self.windows.setdefault(
                (run.flow_id, scope), FlowWindow(flow_id=run.flow_id, scope=scope)
            )
            for scope in scopes(run)
        }
        markers = roll(run, results, windows)
        if any(markers.values()):
            self.marked.setdefault((markers["new_failure"], markers["fixed"]), []).append(run.pk)
        failing = failing_steps(results)
        for key in failing:
            if key not in self.groups:
                self.groups[key] = FailureGroup(key=key, **DEFAULTS[FailureGroup])
        add_failures(self.groups, run, failing)

    def save(self, *, batch: int) -> None:
        from playback.models import Run

        with transaction.atomic():
            # What people decided of a group stays with its key.
            for group, row in kept_triage(self.groups):
                for name, value in row.items():
                    setattr(group, name, value)
            FlowWindow.objects.all().delete()
            FailureGroup.objects.all().delete()
            Run.objects.filter(Q(new_failure=True) | Q(fixed=True)).update(
                new_failure=False, fixed=False
            )
            FlowWindow.objects.bulk_create(self.windows.values(), batch_size=500)
            FailureGroup.objects.bulk_create(self.groups.values(), batch_size=1000)
            for (new_failure, fixed), pks in self.marked.items():
                for start in range(0, len(pks), batch):
                    Run.objects.filter(pk__in=pks[start : start + batch]).update(
                        new_failure=new_failure, fixed=fixed
                    )


TRIAGE_FIELDS = (
    "label",
    "label_source",
    "similar_to",
    "comment",
    "issue_url",
    "labelled_by_id",
    "labelled_at",
)


def kept_triage(groups: dict[str, FailureGroup]) -> list[tuple[FailureGroup, dict[str, Any]]]:
    """The rebuilt groups with the triage their key had (those someone labelled)."""
    rows = FailureGroup.objects.exclude(label_source="").values("key", *TRIAGE_FIELDS)
    return [(groups[row.pop("key")], row) for row in rows if row["key"] in groups]


def rebuild(*, batch: int = 2000) -> int:
    """Every rollup again from the history; the number of runs counted."""
    backfill_step_keys(batch=batch)
    backfill_failure_keys(batch=batch)
    rollups = Rollups()
    count = 0
    for runs in pages_of_ended_runs(batch):
        steps = steps_of(runs, rollups.summaries)
        for run in runs:
            rollups.add(run, steps.get(run.pk, []))
        count += len(runs)
    rollups.save(batch=batch)
    return count


def pages_of_ended_runs(batch: int) -> Iterator[list[Ended]]:
    """The ended runs, oldest end first, `batch` at a time (one query, read as it goes)."""
    from playback.models import Run

    rows = (
        Run.objects.filter(finished_at__isnull=False, status__in=ENDED_STATUSES)
        .exclude(started_at__isnull=True)
        .order_by("finished_at", "pk")
        .values_list(*RUN_FIELDS)
        .iterator(chunk_size=batch)
    )
    while page := [Ended(*row) for row in islice(rows, batch)]:
        yield page


def steps_of(runs: list[Ended], summaries: dict[str, str]) -> dict[int, list[dict[str, Any]]]:
    """The runs' step results by run, in step order, as `record_run` reads them, each
    with its summary (a step's snapshot is read the first time its key is seen)."""
    from playback.models import StepResult

    rows = (
        StepResult.objects.filter(run_id__in=[run.pk for run in runs])
        .order_by("run_id", "step_number")
        .values_list("pk", "run_id", *STEP_FIELDS)
    )
    by_run: dict[int, list[dict[str, Any]]] = {}
    unknown: dict[int, dict[str, Any]] = {}
    for pk, run_id, *values in rows:
        result = dict(zip(STEP_FIELDS, values, strict=True))
        key = result["step_key"]
        if key and key not in summaries:
            unknown[pk] = result
        by_run.setdefault(run_id, []).append(result)
    if unknown:
        snapshots = dict(
            StepResult.objects.filter(pk__in=list(unknown)).values_list("pk", "definition")
        )
        for pk, result in unknown.items():
            summaries.setdefault(result["step_key"], summary_of(result, snapshots.get(pk)))
    for results in by_run.values():
        for result in results:
            result["summary"] = summaries.get(result["step_key"]) or summary_of(result, None)
    return by_run


def backfill_step_keys(*, batch: int) -> None:
    """Step results recorded before step keys existed get theirs (from their snapshot)."""
    from playback.models import StepResult

    while True:
        rows = list(
            StepResult.objects.filter(step_key="")
            .exclude(definition={})
            .only("pk", "definition")[:batch]
        )
        if not rows:
            return
        for row in rows:
            row.step_key = step_key(row.definition)
        StepResult.objects.bulk_update(rows, ["step_key"])


def backfill_failure_keys(*, batch: int) -> None:
    """Failed and flaky step results recorded before failure keys existed get theirs."""
    from playback.models import StepResult

    last = 0
    while True:
        rows = list(
            StepResult.objects.filter(
                failure_key="", pk__gt=last, status__in=[StepStatus.FAIL, StepStatus.FLAKY]
            )
            .order_by("pk")
            .only("pk", "status", "error", "attempt_errors")[:batch]
        )
        if not rows:
            return
        for row in rows:
            row.failure_key = failure_key_of(
                {"status": row.status, "error": row.error, "attempt_errors": row.attempt_errors}
            )
        StepResult.objects.bulk_update([r for r in rows if r.failure_key], ["failure_key"])
        last = rows[-1].pk
