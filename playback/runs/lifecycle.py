"""Every change of a run's state, in one place.

    queue ──▶ queued ──claim──▶ running ──finish──▶ success | failed | partial_success
                │                  │                              | error | cancelled
                │                  ├─ each step, with the run's counters: step_recorder.py
                │                  ├─ request_cancel: the engine stops before its next
                │                  │   step or attempt, then `finish` ends it cancelled
                │                  ├─ end_lost (sweeper): error, "Worker lost: ..."
                │                  ├─ end_interrupted (Ctrl-C on `play`): cancelled
                │                  ├─ end_stopped (Ctrl-C on `make run`): cancelled
                │                  └─ time_out (sweeper): error, "Run timed out ..."
                └─ cancel_queued: cancelled

Each transition is a conditional `UPDATE ... WHERE status = <from>`: of two callers
(two workers, a worker and the sweeper, two cancels) exactly one wins and the other
gets False and changes nothing. A run that ends records the steps it never played
through one path (`_record_not_played`), and what follows its end (search text,
insights, its batch, live events and webhooks) is one list, `RUN_ENDED_HOOKS`, run
in the same transaction. The device side (`dispatch_next` gives a
free device to its oldest queued run, `release_device` frees it) is
playback/devices/queue.py.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Sequence
from typing import Any

from django.db import transaction
from django.utils import timezone

from flows.models import Flow
from playback import step_counters, words
from playback.batches import progress
from playback.devices.queue import dispatch_next, release_device
from playback.insights import identity, windows
from playback.live import publish
from playback.models import Device, Run, StepResult
from playback.runs import announce, search
from playback.words import RunSettings, RunStatus, StepStatus

log = logging.getLogger("playback.lifecycle")  # the name logs have always had


# --- what follows a run's end ------------------------------------------------------------
def _index(run: Run, **_: Any) -> None:
    search.index_run(run)


def _rollups(run: Run, *, cancelled_queued: bool = False, **_: Any) -> None:
    if not cancelled_queued:  # a run that never started says nothing of the app
        windows.record_run(run)


def _batch(run: Run, *, cause: str | None = None, **_: Any) -> None:
    progress.run_ended(run, queue_run, cause=cause)  # its batch's, if it has one


def _announce(run: Run, **_: Any) -> None:
    announce.run_ended(run)  # live events and webhooks, once this commits


# Called in order inside the transaction that ended the run (or cancelled it queued):
# its search text, the insights' rollups, its batch, then what is said about it.
RUN_ENDED_HOOKS = (_index, _rollups, _batch, _announce)


def run_ended(run: Run, **context: Any) -> None:
    for hook in RUN_ENDED_HOOKS:
        hook(run, **context)


# --- queued ------------------------------------------------------------------------------
def queue_run(
    *,
    flow: Flow,
    device: Device,
    settings: RunSettings,
    total_steps: int,
    requested_by: Any = None,
    requested_from: str = "",
    rerun_of: Run | None = None,
    foreground: bool = False,
    batch: Any = None,
) -> Run:
    """A new run, queued; its device's queue is dispatched once the transaction commits."""
    run = Run.objects.create(
        flow=flow,
        device=device,
        settings=settings,
        total_steps=total_steps,
        requested_by=requested_by if getattr(requested_by, "pk", None) else None,
        requested_from=requested_from[:200],
        rerun_of=rerun_of,
        foreground=foreground,
        batch=batch,
    )
    device_pk = device.pk
    transaction.on_commit(lambda: dispatch_next(device_pk=device_pk))
    return run


def cancel_queued(run: Run, *, by: Any = None) -> bool:
    """queued -> cancelled, its steps skipped, its device handed on. False if not queued."""
    with transaction.atomic():
        ended = Run.objects.filter(pk=run.pk, status=RunStatus.QUEUED).update(
            status=RunStatus.CANCELLED,
            cancel_requested=True,
            cancelled_by=_user(by),
            finished_at=timezone.now(),
            error=cancel_reason(by, "it started"),
        )
        if not ended:
            return False
        _record_not_played(run, StepStatus.SKIPPED, "Run cancelled")
        run.status, run.error = RunStatus.CANCELLED, cancel_reason(by, "it started")
        run_ended(run, cancelled_queued=True)
    release_device(run_id=run.pk, device_pk=run.device_id)
    return True


# --- running -----------------------------------------------------------------------------
def claim(run_id: int, *, worker: str = "") -> bool:
    """queued -> running, for a run that holds its device.

    True for exactly one caller, however many workers try at once: the WHERE
    clause is re-checked under the row lock by PostgreSQL and under the single
    writer lock by SQLite. A re-delivered task never plays a run twice.
    """
    now = timezone.now()
    claimed = Run.objects.filter(
        pk=run_id, status=RunStatus.QUEUED, holding_device__isnull=False
    ).update(status=RunStatus.RUNNING, started_at=now, heartbeat_at=now, worker=worker)
    if claimed:
        publish.changed(run_id=run_id)
        progress.run_started(run_id)  # its batch's, if it has one
    return claimed == 1


def request_cancel(run: Run, *, by: Any = None) -> bool:
    """Ask a running run to stop before its next step or attempt. False if not running."""
    return (
        Run.objects.filter(pk=run.pk, status=RunStatus.RUNNING).update(
            cancel_requested=True, cancelled_by=_user(by)
        )
        == 1
    )


def cancel_reason(by: Any, before: str) -> str:
    """A cancelled run's error: who cancelled it and before which step."""
    who = f" by {by.get_username()}" if getattr(by, "pk", None) else ""
    return f"Cancelled{who} before {before}"


def _user(by: Any) -> Any:
    return by if getattr(by, "pk", None) else None


# --- ended -------------------------------------------------------------------------------
def finish(
    run: Run,
    *,
    status: str,
    error: str = "",
    duration_ms: int | None,
    not_played: tuple[StepStatus, str] | None = None,
    steps: Sequence[dict[str, Any]] | None = None,
    device_lost: bool = False,
) -> bool:
    """running -> `status`, as the process that played it saw it end.

    Steps it never played are recorded with `not_played` (status, reason); `steps`
    are the steps it played from, as played (default: the flow's steps now);
    `device_lost`: it ended because its device went away (its batch drops it).
    False (and nothing written) when the run is not running any more.
    """
    return _end(
        run,
        status=status,
        error=error,
        duration_ms=duration_ms,
        not_played=not_played or (StepStatus.BLOCKED, f"Not run: {error}"),
        steps=steps,
        cause=progress.DEVICE_LOST if device_lost else None,
    )


def end_interrupted(
    run: Run, *, duration_ms: int, steps: Sequence[dict[str, Any]] | None = None
) -> bool:
    """running -> cancelled: the playing process was stopped (Ctrl-C on `play`)."""
    return _end(
        run,
        status=RunStatus.CANCELLED,
        error="Interrupted (the playing process was stopped)",
        duration_ms=duration_ms,
        not_played=(StepStatus.SKIPPED, "Run cancelled"),
        steps=steps,
    )


def end_stopped(run: Run, *, why: str) -> bool:
    """running -> cancelled: its operator stopped what plays it (Ctrl-C on `make run`):
    a run stopped on purpose, not a failure (no failure group, no "error"). Finished
    steps are kept, the rest skipped, the device handed to the next run."""
    return _end_from_outside(
        run,
        status=RunStatus.CANCELLED,
        error=f"Cancelled: {why}",
        not_played=(StepStatus.SKIPPED, "Run cancelled"),
    )


def end_lost(run: Run, *, reason: str) -> bool:
    """running -> error: its worker is gone. Finished steps are kept, the rest
    blocked, the device handed to the next run. False if it was not running."""
    error = f"Worker lost: {reason}"
    return _end_from_outside(
        run,
        status=RunStatus.ERROR,
        error=error,
        not_played=(StepStatus.BLOCKED, f"Not run: {error}"),
        cause=progress.WORKER_LOST,
    )


def time_out(run: Run) -> bool:
    """running -> error: the run is past its own timeout and its worker did not end it
    (the sweeper's safety net; the engine itself stops a run at its timeout)."""
    limit = run.settings.run_timeout_s
    return _end_from_outside(
        run,
        status=RunStatus.ERROR,
        error=f"Run timed out after {limit:g} s (ended by the sweeper: its worker did not stop)",
        not_played=(StepStatus.SKIPPED, "Run timed out"),
    )


def _end_from_outside(
    run: Run,
    *,
    status: str,
    error: str,
    not_played: tuple[StepStatus, str],
    cause: str | None = None,
) -> bool:
    """A run ended by another process than the one playing it (the sweeper, `make
    run`'s stop): timed from its start, and its device freed here, since the player
    will not free it."""
    ended = _end(
        run,
        status=status,
        error=error,
        duration_ms=_elapsed_ms(run),
        not_played=not_played,
        cause=cause,
    )
    if ended:
        release_device(run_id=run.pk, device_pk=run.device_id)
    return ended


def _elapsed_ms(run: Run) -> int | None:
    if run.started_at is None:
        return None
    return round((timezone.now() - run.started_at).total_seconds() * 1000)


def _end(
    run: Run,
    *,
    status: str,
    error: str,
    duration_ms: int | None,
    not_played: tuple[StepStatus, str],
    steps: Sequence[dict[str, Any]] | None = None,
    cause: str | None = None,
) -> bool:
    finished_at = timezone.now()
    with transaction.atomic():
        ended = Run.objects.filter(pk=run.pk, status=RunStatus.RUNNING).update(
            status=status, error=error, duration_ms=duration_ms, finished_at=finished_at
        )
        if not ended:
            return False
        run.status, run.error = status, error
        _record_not_played(run, *not_played, steps=steps)
        run.duration_ms, run.finished_at = duration_ms, finished_at
        run_ended(run, cause=cause)
    return True


def verdict_of(run_id: int, status: str) -> str:
    """pass or fail for CI: a run that failed only in quarantined (or optional) steps
    passes; error and cancelled runs fail."""
    if status == RunStatus.SUCCESS:
        return words.Verdict.PASS
    if status not in (RunStatus.FAILED, RunStatus.PARTIAL_SUCCESS):
        return words.Verdict.FAIL
    failed = StepResult.objects.filter(run_id=run_id, status=StepStatus.FAIL, quarantined=False)
    # An optional step is marked in its snapshot (read here: a JSON key's absence
    # is NULL in SQL, and would hide the steps that are not optional).
    counted = any(
        not (d or {}).get("optional") for d in failed.values_list("definition", flat=True)
    )
    return words.Verdict.FAIL if counted else words.Verdict.PASS


def _record_not_played(
    run: Run,
    status: StepStatus,
    reason: str,
    *,
    steps: Sequence[dict[str, Any]] | None = None,
) -> None:
    """The one path for steps a run never played: each step without a result gets
    `status` and `reason` (and its snapshot), and the run's counters are recounted.
    Called inside the transaction that ended the run."""
    done = dict(StepResult.objects.filter(run_id=run.pk).values_list("step_number", "status"))
    if steps is None:
        steps = [step.definition().as_json() for step in run.flow.steps.order_by("number")]
    left = [step for step in steps if step["step"] not in done]
    StepResult.objects.bulk_create(
        [
            StepResult(
                run_id=run.pk,
                step_number=step["step"],
                action=step["action"],
                definition=step,
                step_key=identity.step_key(step),
                status=status,
                error=reason,
            )
            for step in left
        ]
    )
    tally = Counter(done.values())
    tally[status] += len(left)
    # The run's total is what it recorded: its flow may have been edited since it
    # was queued.
    counts = {"total_steps": len(done) + len(left), **step_counters.counters_from_tally(tally)}
    counts["verdict"] = verdict_of(run.pk, run.status)
    Run.objects.filter(pk=run.pk).update(**counts)
    for key, value in counts.items():
        setattr(run, key, value)
