"""Every change of a run's state, in one place.

    queue ──▶ queued ──claim──▶ running ──finish──▶ success | failed | partial_success
                │                  │                              | error | cancelled
                │                  ├─ record_step: each step, with the run's counters
                │                  ├─ request_cancel: the engine stops before its next
                │                  │   step or attempt, then `finish` ends it cancelled
                │                  ├─ end_lost (sweeper): error, "Worker lost: ..."
                │                  ├─ end_interrupted (Ctrl-C on `play`): cancelled
                │                  └─ time_out (sweeper): error, "Run timed out ..."
                └─ cancel_queued: cancelled

Each transition is a conditional `UPDATE ... WHERE status = <from>`: of two callers
(two workers, a worker and the sweeper, two cancels) exactly one wins and the other
gets False and changes nothing. A run that ends records the steps it never played
through one path (`_record_not_played`). The device side (`dispatch_next` gives a
free device to its oldest queued run, `release_device` frees it) is
playback/devices_queue.py.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable, Sequence
from typing import Any

from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone

from flows.models import Flow
from playback import announce, evidence, recording, search, words
from playback.batches import progress
from playback.devices_queue import dispatch_next, release_device
from playback.engine import StepOutcome
from playback.insights import identity, windows
from playback.live import publish
from playback.models import Device, Run, StepResult
from playback.words import RunSettings, RunStatus, StepStatus

log = logging.getLogger("playback.lifecycle")

StepObserver = Callable[[Run, StepOutcome], None]


class RunTakenAway(Exception):
    """The run was ended elsewhere (the sweeper) while this process played it."""


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
        search.index_run(run)
        progress.run_ended(run, queue_run)  # its batch's, if it has one
        announce.run_ended(run)
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


class StepRecorder:
    """Records each step as the engine reports it, with the run's counters kept live.

    A step is written only while the run is `running`: a run ended elsewhere (by
    the sweeper) raises `RunTakenAway` and nothing is written. `cancel_requested`
    is what the run said when the last step was written (no extra query per step).
    """

    def __init__(
        self,
        run: Run,
        observer: StepObserver | None = None,
        *,
        played: dict[int, dict[str, Any]] | None = None,
    ):
        self.run = run
        self.observer = observer
        self.played = played or {}  # step number -> the step as played
        self.recorded = 0
        self.tally: Counter[str] = Counter()  # kept as it goes: no recount per step
        self.cancel_requested: bool | None = None

    def __call__(self, outcome: StepOutcome) -> None:
        self.tally[outcome.status] += 1
        counts = words.counters_from_tally(self.tally)
        try:
            cancel = record_step(self.run, outcome, counts, self.played.get(outcome.step, {}))
        except BaseException:
            self.tally[outcome.status] -= 1  # the counters move only with the row
            raise
        if cancel is None:
            self.tally[outcome.status] -= 1
            raise RunTakenAway(f"Run {self.run.pk} was ended while it played")
        self.recorded += 1
        self.cancel_requested = cancel
        publish.changed(run_id=self.run.pk)
        for key in words.COUNTER_FIELDS:
            setattr(self.run, key, counts[key])
        if self.observer is not None:
            self.observer(self.run, outcome)


def record_step(
    run: Run, outcome: StepOutcome, counts: dict[str, int], definition: dict[str, Any]
) -> bool | None:
    """Write one played step of a running run with the run's counters, in one commit.

    Returns the run's `cancel_requested`, or None (and nothing kept) when the run
    is not running any more.
    """
    screenshot, screenshot_error = "", outcome.screenshot_error or ""
    if outcome.screenshot:
        screenshot, screenshot_error = evidence.save_screenshot(
            run.pk, outcome.step, outcome.screenshot
        )
    media_bytes = len(outcome.screenshot) if screenshot else 0
    attempt_log = []
    for taken in outcome.attempt_evidence:
        entry, size = evidence.save_attempt(run.pk, outcome.step, taken)
        attempt_log.append(
            {k: recording.stored_text(v) if isinstance(v, str) else v for k, v in entry.items()}
        )
        media_bytes += size
    cancel = recording.save_step(
        run_id=run.pk,
        step={
            "step_number": outcome.step,
            "action": outcome.action,
            "definition": definition,
            **identity.step_keys(definition, vars(outcome)),
            "status": str(outcome.status),
            "attempts": outcome.attempts,
            "attempt_errors": [recording.stored_text(e) for e in outcome.attempt_errors],
            "attempt_log": attempt_log,
            "duration_ms": outcome.duration_ms,
            "error": recording.stored_text(outcome.error or ""),
            "screenshot": screenshot,
            "screenshot_error": recording.stored_text(screenshot_error),
        },
        counts=counts,
        media_bytes=media_bytes,
    )
    if cancel is None:  # nothing was recorded: nothing of it stays on storage
        kept = [screenshot] + [e[k] for e in attempt_log for k in ("screenshot", "source")]
        for name in filter(None, kept):
            default_storage.delete(name)
    return cancel


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


def end_lost(run: Run, *, reason: str) -> bool:
    """running -> error: its worker is gone. Finished steps are kept, the rest
    blocked, the device handed to the next run. False if it was not running."""
    error = f"Worker lost: {reason}"
    ended = _end(
        run,
        status=RunStatus.ERROR,
        error=error,
        duration_ms=_elapsed_ms(run),
        not_played=(StepStatus.BLOCKED, f"Not run: {error}"),
        cause=progress.WORKER_LOST,
    )
    if ended:
        release_device(run_id=run.pk, device_pk=run.device_id)
    return ended


def time_out(run: Run) -> bool:
    """running -> error: the run is past its own timeout and its worker did not end it
    (the sweeper's safety net; the engine itself stops a run at its timeout)."""
    limit = run.settings.run_timeout_s
    ended = _end(
        run,
        status=RunStatus.ERROR,
        error=f"Run timed out after {limit:g} s (ended by the sweeper: its worker did not stop)",
        duration_ms=_elapsed_ms(run),
        not_played=(StepStatus.SKIPPED, "Run timed out"),
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
        _record_not_played(run, *not_played, steps=steps)
        run.status, run.error = status, error
        run.duration_ms, run.finished_at = duration_ms, finished_at
        search.index_run(run)
        windows.record_run(run)  # the insights' rollups, in the same transaction
        progress.run_ended(run, queue_run, cause=cause)  # its batch's, if it has one
        announce.run_ended(run)  # live events and webhooks, once this commits
    return True


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
    counts = {"total_steps": len(done) + len(left), **words.counters_from_tally(tally)}
    Run.objects.filter(pk=run.pk).update(**counts)
    for key, value in counts.items():
        setattr(run, key, value)
