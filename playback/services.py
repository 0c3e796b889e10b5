"""Use cases of playback: the one entry point the CLI, the API, the admin and the
worker task call. Orchestration lives here; one-run transitions live on the model."""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import os
import socket
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from typing import Any

from django.conf import settings as django_settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from flows.models import Flow
from playback import engine, recording
from playback.models import Device, IdempotencyKey, Run, screenshot_name

log = logging.getLogger("playback.services")

# Opens a device session: a context manager yielding an engine Driver.
SessionOpener = Callable[[Device, str], contextlib.AbstractContextManager[engine.Driver]]
StepObserver = Callable[[Run, engine.StepOutcome], None]


class RunRequestError(ValueError):
    """A run that cannot be started; `errors` maps a field to what to fix."""

    def __init__(self, errors: dict[str, Any]):
        self.errors = errors
        super().__init__("; ".join(f"{key}: {value}" for key, value in errors.items()))


def start_run(
    *,
    flow: Flow,
    device: Device,
    settings: dict[str, Any] | None = None,
    requested_by: Any = None,
    rerun_of: Run | None = None,
    foreground: bool = False,
) -> Run:
    """Validate a run request and create the run, queued.

    Once the transaction commits, the device's queue is dispatched: if the device
    is free and this is its oldest queued run, a worker task is enqueued for it.
    A `foreground` run is played by the caller instead (`play_in_foreground`).
    """
    errors: dict[str, Any] = {}
    try:
        effective = engine.PlaybackSettings.parse(settings)
    except engine.SettingsError as exc:
        errors["settings"] = exc.errors
    else:
        limit = django_settings.PLAYBACK_MAX_RUN_TIMEOUT_S
        if effective.run_timeout_s is None:
            effective = dataclasses.replace(
                effective, run_timeout_s=min(django_settings.PLAYBACK_RUN_TIMEOUT_S, limit)
            )
        elif effective.run_timeout_s > limit:
            errors["settings"] = {
                "runTimeoutSeconds": f"At most {limit} seconds on this server "
                f"(got {effective.run_timeout_s})."
            }
    if not device.enabled:
        errors["device_id"] = f"Device {device.device_id} is disabled; enable it or pick another."
    elif device.platform != flow.platform:
        errors["device_id"] = (
            f"Device {device.device_id} is a {device.platform} device but flow "
            f"{flow.pk} ({flow.name}) is recorded for {flow.platform}."
        )
    step_count = flow.steps.count()
    if step_count == 0:
        errors["flow_id"] = f"Flow {flow.pk} ({flow.name}) has no steps to play."
    if errors:
        raise RunRequestError(errors)
    run = Run.objects.create(
        flow=flow,
        device=device,
        settings=effective.as_dict(),
        total_steps=step_count,
        requested_by=requested_by if getattr(requested_by, "pk", None) else None,
        rerun_of=rerun_of,
        foreground=foreground,
    )
    device_pk = device.pk
    transaction.on_commit(lambda: dispatch_next(device_pk=device_pk))
    return run


class IdempotencyConflict(Exception):
    """The Idempotency-Key was used before for another request."""


def start_run_once(
    *, key: str, fingerprint: str, requested_by: Any, **start: Any
) -> tuple[Run, bool]:
    """`start_run` at most once per (user, Idempotency-Key).

    Returns (run, created). The same key with the same request (`fingerprint`)
    gives back the run it created; with another request it is a conflict. Two
    concurrent requests with one key create one run: the unique (user, key) row is
    written in the run's transaction, and the loser reads the winner's.
    """

    def existing() -> tuple[Run, bool]:
        seen = IdempotencyKey.objects.select_related("run").get(user=requested_by, key=key)
        if seen.request_hash != fingerprint:
            raise IdempotencyConflict(
                f"Idempotency-Key {key!r} was already used for another request "
                f"(run {seen.run_id}); use a new key for a new request."
            )
        return seen.run, False

    if IdempotencyKey.objects.filter(user=requested_by, key=key).exists():
        return existing()
    try:
        with transaction.atomic():
            run = start_run(requested_by=requested_by, **start)
            IdempotencyKey.objects.create(
                user=requested_by, key=key, request_hash=fingerprint, run=run
            )
    except IntegrityError:
        return existing()
    return run, True


def rerun(*, run: Run, requested_by: Any = None) -> Run:
    """Start the same flow on the same device with the same settings."""
    return start_run(
        flow=run.flow,
        device=run.device,
        settings=run.settings,
        requested_by=requested_by,
        rerun_of=run,
    )


class RunConflict(Exception):
    """The run is in a state that does not allow this (e.g. cancelling a finished run)."""


class RunTakenAway(Exception):
    """The run was ended elsewhere (the sweeper) while this process played it."""


def worker_identity() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def cancel_run(*, run: Run) -> Run:
    """Cancel a run: a queued one at once, a running one before its next step/attempt."""
    now = timezone.now()
    with transaction.atomic():
        cancelled_queued = Run.objects.filter(pk=run.pk, status=Run.Status.QUEUED).update(
            status=Run.Status.CANCELLED,
            cancel_requested=True,
            finished_at=now,
            error="Cancelled before it started",
        )
        if cancelled_queued:
            StepRecorder(run, None, playing=False).not_run(
                engine_steps(run.flow), "Run cancelled", engine.StepStatus.SKIPPED
            )
        elif not Run.objects.filter(pk=run.pk, status=Run.Status.RUNNING).update(
            cancel_requested=True
        ):
            run.refresh_from_db()
            raise RunConflict(f"Run {run.pk} has already ended ({run.status}); nothing to cancel.")
    if cancelled_queued:
        release_device(run_id=run.pk, device_pk=run.device_id)
    run.refresh_from_db()
    return run


def wait_for_run(*, run_id: int, timeout_s: float, poll_s: float = 0.1) -> Run:
    """The run once it has ended, or as it stands when `timeout_s` runs out."""
    deadline = time.monotonic() + timeout_s
    while True:
        run = Run.objects.get(pk=run_id)
        if not run.is_active or time.monotonic() >= deadline:
            return run
        time.sleep(poll_s)


def dispatch_next(*, device_pk: int) -> Run | None:
    """Give a free device to its oldest queued run (FIFO) and enqueue its task.

    The device is taken with a conditional update (free -> this run), which only
    one of many concurrent dispatchers can win; nobody sleeps on a busy device.
    """
    from playback import tasks

    with transaction.atomic():
        run = (
            Run.objects.filter(device_id=device_pk, status=Run.Status.QUEUED)
            .order_by("queued_at", "pk")
            .first()
        )
        if run is None:
            return None
        taken = Device.objects.filter(pk=device_pk, current_run__isnull=True).update(
            current_run=run
        )
        if not taken:
            return None
        Run.objects.filter(pk=run.pk).update(dispatched_at=timezone.now())
        if not run.foreground:
            run_pk = run.pk
            transaction.on_commit(lambda: tasks.enqueue_run(run_pk))
    return run


def release_device(*, run_id: int, device_pk: int) -> None:
    """Free the device if this run holds it, and hand it to the next queued run."""
    Device.objects.filter(pk=device_pk, current_run_id=run_id).update(current_run=None)
    dispatch_next(device_pk=device_pk)


def play_in_foreground(
    *,
    run: Run,
    on_wait: Callable[[Run], None] | None = None,
    poll_s: float = 0.25,
    **execute_kwargs: Any,
) -> Run:
    """Play a foreground run here (the `play` command) once the device is its turn."""
    warned = False
    while not Device.objects.filter(pk=run.device_id, current_run_id=run.pk).exists():
        if not Run.objects.filter(pk=run.pk, status=Run.Status.QUEUED).exists():
            return Run.objects.get(pk=run.pk)  # cancelled while waiting
        if on_wait is not None and not warned:
            on_wait(run)
            warned = True
        dispatch_next(device_pk=run.device_id)
        time.sleep(poll_s)
    return execute_run(run_id=run.pk, **execute_kwargs)


def engine_steps(flow: Flow) -> list[engine.Step]:
    """The flow's stored steps as the engine's dataclasses."""
    steps = []
    for step in flow.steps.all():
        p = step.params or {}
        locator = engine.Locator(**step.locator) if step.locator else None
        steps.append(
            engine.Step(
                number=step.number,
                action=engine.Action(step.action),
                locator=locator,
                x=p.get("x"),
                y=p.get("y"),
                start_x=p.get("start_x"),
                start_y=p.get("start_y"),
                end_x=p.get("end_x"),
                end_y=p.get("end_y"),
                duration_ms=p.get("duration", 500),
                text=p.get("text"),
                timeout_ms=step.timeout_ms,
            )
        )
    return steps


def engine_timing() -> engine.Timing:
    return engine.Timing(
        retry_pause_s=django_settings.PLAYBACK_RETRY_PAUSE_S,
        launch_timeout_s=django_settings.PLAYBACK_LAUNCH_TIMEOUT_S,
        element_timeout_ms=django_settings.PLAYBACK_ELEMENT_TIMEOUT_MS,
    )


@contextlib.contextmanager
def open_appium_session(device: Device, app_id: str) -> Iterator[engine.Driver]:
    from playback.drivers import appium

    capabilities = appium.build_capabilities(
        platform=device.platform,
        device_id=device.device_id,
        extra=device.capabilities,
        sim_app=str(django_settings.SIM_APP_PATH),
    )
    with appium.open_session(
        appium_url=device.appium_url,
        capabilities=capabilities,
        device_label=device.device_id,
        connect_timeout_s=django_settings.APPIUM_CONNECT_TIMEOUT_S,
        command_timeout_s=django_settings.APPIUM_COMMAND_TIMEOUT_S,
    ) as driver:
        yield driver


class StepRecorder:
    """Saves each step as the engine reports it, and keeps the run's counters live.

    While playing, a step is saved only if the run is still `running`; a run ended
    elsewhere (by the sweeper) raises `RunTakenAway` and the step is not written.
    `cancel_requested` is what the run said when the last step was written.
    """

    def __init__(self, run: Run, observer: StepObserver | None, *, playing: bool = True):
        self.run = run
        self.observer = observer
        self.playing = playing
        self.statuses: list[str] = []
        self.tally: Counter[str] = Counter()  # kept as it goes: no recount per step
        self.cancel_requested: bool | None = None

    def __call__(self, outcome: engine.StepOutcome) -> None:
        screenshot = ""
        if outcome.screenshot:
            screenshot = default_storage.save(
                screenshot_name(self.run.pk, outcome.step), ContentFile(outcome.screenshot)
            )
        self.statuses.append(str(outcome.status))
        self.tally[outcome.status] += 1
        counts = engine.counts_from_tally(self.tally)
        cancel = recording.save_step(
            run_id=self.run.pk,
            step={
                "step_number": outcome.step,
                "action": outcome.action,
                "status": str(outcome.status),
                "attempts": outcome.attempts,
                "attempt_errors": outcome.attempt_errors,
                "duration_ms": outcome.duration_ms,
                "error": outcome.error or "",
                "screenshot": screenshot,
                "screenshot_error": outcome.screenshot_error or "",
            },
            counts=counts,
            only_running=self.playing,
        )
        if cancel is None:
            if screenshot:
                default_storage.delete(screenshot)
            raise RunTakenAway(f"Run {self.run.pk} was ended while it played")
        self.cancel_requested = cancel
        for key in recording.COUNT_FIELDS:
            setattr(self.run, key, counts[key])
        if self.observer is not None:
            self.observer(self.run, outcome)

    def not_run(
        self, steps: list[engine.Step], error: str, status: str = engine.StepStatus.BLOCKED
    ) -> None:
        """Record steps that were never played (blocked, or skipped when cancelled)."""
        for step in steps:
            self(engine.StepOutcome(step.number, str(step.action), status, error=error))


def execute_run(
    *,
    run_id: int,
    open_session: SessionOpener | None = None,
    on_step: StepObserver | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> Run:
    """Claim a queued run and play it on its device; returns the run as it ended.

    A run that is not queued any more (claimed by another worker, cancelled) is
    returned untouched: a run is never played twice.
    """
    if not Run.claim(run_id, worker=worker_identity()):
        run = Run.objects.get(pk=run_id)
        if not run.is_active:
            # Cancelled while it waited for a worker: hand the device on.
            release_device(run_id=run.pk, device_pk=run.device_id)
        return run
    run = Run.objects.select_related("flow", "device").get(pk=run_id)
    heartbeat = _Heartbeat(run.pk, django_settings.PLAYBACK_HEARTBEAT_S)
    heartbeat.start()
    try:
        return _play(run, open_session=open_session, on_step=on_step, sleep=sleep)
    except RunTakenAway:
        log.warning("Run %s was ended elsewhere while it played; stopped.", run_id)
        return Run.objects.get(pk=run_id)
    finally:
        heartbeat.stop()
        release_device(run_id=run.pk, device_pk=run.device_id)


def _end_interrupted(
    run: Run, recorder: StepRecorder, steps: list[engine.Step], started: float
) -> None:
    reason = "Interrupted (the playing process was stopped)"
    recorder.not_run(steps[len(recorder.statuses) :], reason, engine.StepStatus.SKIPPED)
    run.mark_finished(
        status=Run.Status.CANCELLED,
        error=reason,
        duration_ms=round((time.monotonic() - started) * 1000),
    )


class _Heartbeat(threading.Thread):
    """Writes the run's heartbeat while a long step runs (steps write it too)."""

    def __init__(self, run_id: int, interval_s: float):
        super().__init__(name=f"heartbeat-run-{run_id}", daemon=True)
        self.run_id = run_id
        self.interval_s = interval_s
        self.stopped = threading.Event()

    def run(self) -> None:
        try:
            while not self.stopped.wait(self.interval_s):
                Run.objects.filter(pk=self.run_id, status=Run.Status.RUNNING).update(
                    heartbeat_at=timezone.now()
                )
        except Exception:  # a missed beat is what the sweeper is for
            log.exception("Heartbeat of run %s failed", self.run_id)
        finally:
            connection.close()

    def stop(self) -> None:
        self.stopped.set()
        self.join(timeout=self.interval_s + 5)


def _play(
    run: Run,
    *,
    open_session: SessionOpener | None,
    on_step: StepObserver | None,
    sleep: Callable[[float], None],
) -> Run:
    run_id = run.pk
    started = time.monotonic()
    steps = engine_steps(run.flow)
    if len(steps) != run.total_steps:  # the flow was edited while the run waited
        run.total_steps = len(steps)
        Run.objects.filter(pk=run_id).update(total_steps=len(steps))
    recorder = StepRecorder(run, on_step)
    opener = open_session or open_appium_session
    if not steps:
        run.mark_finished(
            status=Run.Status.ERROR,
            error=f"Flow {run.flow_id} has no steps any more; nothing was played.",
            duration_ms=0,
        )
        return run

    def should_cancel() -> bool:
        # Right after a step was written, its UPDATE already told us; otherwise
        # (before step 1, between retries) ask.
        if recorder.cancel_requested is not None:
            cancel, recorder.cancel_requested = recorder.cancel_requested, None
            return cancel
        status, cancel = Run.objects.filter(pk=run_id).values_list("status", "cancel_requested")[0]
        if status != Run.Status.RUNNING:
            raise RunTakenAway(f"Run {run_id} is {status} now")
        return cancel

    status, error = Run.Status.ERROR, ""
    try:
        with opener(run.device, run.flow.app_id) as driver:
            outcome = engine.play(
                driver,
                steps,
                app_id=run.flow.app_id,
                settings=engine.PlaybackSettings.parse(run.settings),
                timing=engine_timing(),
                on_step=recorder,
                should_cancel=should_cancel,
                sleep=sleep,
            )
        status, error = outcome.status, outcome.error or ""
    except engine.DeviceError as exc:
        error = engine.describe(exc)
    except RunTakenAway:
        raise
    except KeyboardInterrupt:
        # Ctrl-C on `play`: the run ends cancelled, not "running" forever.
        _end_interrupted(run, recorder, steps, started)
        raise
    except Exception as exc:
        log.exception("Run %s ended with an internal error", run_id)
        error = f"Internal error: {engine.describe(exc)}"
    if status == Run.Status.ERROR:
        recorder.not_run(steps[len(recorder.statuses) :], f"Not run: {error}")
    run.mark_finished(
        status=str(status), error=error, duration_ms=round((time.monotonic() - started) * 1000)
    )
    return run
