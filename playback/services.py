"""Use cases of playback: the one entry point the API, the admin, the CLI and the
worker task call. They orchestrate; every change of a run's state is a transition
of `playback.lifecycle`."""

from __future__ import annotations

import dataclasses
import logging
import os
import socket
import threading
import time
from collections.abc import Callable
from typing import Any

from django.conf import settings as django_settings
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from flows.models import Flow
from flows.models import Step as FlowStep
from playback import engine, lifecycle
from playback.drivers import registry
from playback.drivers.registry import SessionOpener
from playback.models import Device, IdempotencyKey, Run
from playback.words import Action, RunSettings, RunStatus, SettingsError, parse_settings

log = logging.getLogger("playback.services")


class RunRequestError(ValueError):
    """A run that cannot be started; `errors` maps a field to what to fix
    (`settings` maps each bad setting, by field name, to what is allowed)."""

    def __init__(self, errors: dict[str, Any]):
        self.errors = errors
        super().__init__("; ".join(f"{key}: {value}" for key, value in errors.items()))


class RunConflict(Exception):
    """The run is in a state that does not allow this (e.g. cancelling a finished run)."""


class IdempotencyConflict(Exception):
    """The Idempotency-Key was used before for another request."""


def effective_settings(settings: RunSettings | None) -> RunSettings:
    """The settings a run plays with: checked against this server's limits, the
    run timeout filled in with the server's default. Raises `SettingsError`."""
    limit = django_settings.PLAYBACK_MAX_RUN_TIMEOUT_S
    checked = parse_settings((settings or RunSettings()).stored(), max_run_timeout_s=limit)
    if checked.run_timeout_s is None:
        default = min(django_settings.PLAYBACK_RUN_TIMEOUT_S, limit)
        checked = dataclasses.replace(checked, run_timeout_s=default)
    return checked


def start_run(
    *,
    flow: Flow,
    device: Device,
    settings: RunSettings | None = None,
    requested_by: Any = None,
    rerun_of: Run | None = None,
    foreground: bool = False,
) -> Run:
    """Check a run request and queue the run; every problem is reported at once.

    Once the transaction commits, the device's queue is dispatched: if the device
    is free and this is its oldest queued run, a worker task is enqueued for it.
    A `foreground` run is played by the caller instead (`play_in_foreground`).
    """
    errors: dict[str, Any] = {}
    try:
        effective = effective_settings(settings)
    except SettingsError as exc:
        errors["settings"] = exc.errors
    errors.update(run_request_problems(flow=flow, device=device))
    if errors:
        raise RunRequestError(errors)
    return lifecycle.queue_run(
        flow=flow,
        device=device,
        settings=effective,
        total_steps=flow.steps.count(),
        requested_by=requested_by,
        rerun_of=rerun_of,
        foreground=foreground,
    )


def run_request_problems(*, flow: Flow, device: Device) -> dict[str, str]:
    """Why this flow cannot be played on this device ({field: what to fix}), if it cannot."""
    problems: dict[str, str] = {}
    if not device.enabled:
        problems["device_id"] = f"Device {device.device_id} is disabled; enable it or pick another."
    elif device.platform != flow.platform:
        problems["device_id"] = (
            f"Device {device.device_id} is a {device.platform} device but flow "
            f"{flow.pk} ({flow.name}) is recorded for {flow.platform}."
        )
    if not flow.steps.exists():
        problems["flow_id"] = f"Flow {flow.pk} ({flow.name}) has no steps to play."
    return problems


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


def rerun(*, run: Run, requested_by: Any = None, **overrides: Any) -> Run:
    """Start the same flow on the same device with the same settings, but for the
    settings given (by field name) in `overrides`."""
    return start_run(
        flow=run.flow,
        device=run.device,
        settings=dataclasses.replace(run.settings, **overrides),
        requested_by=requested_by,
        rerun_of=run,
    )


def cancel_run(*, run: Run, requested_by: Any = None) -> Run:
    """Cancel a run: a queued one at once, a running one before its next step or
    attempt (the step in flight finishes; `cancel_requested` says it is coming)."""
    if not lifecycle.cancel_queued(run, by=requested_by) and not lifecycle.request_cancel(
        run, by=requested_by
    ):
        run.refresh_from_db()
        raise RunConflict(f"Run {run.pk} has already ended ({run.status}); nothing to cancel.")
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
        if not Run.objects.filter(pk=run.pk, status=RunStatus.QUEUED).exists():
            return Run.objects.get(pk=run.pk)  # cancelled while waiting
        if on_wait is not None and not warned:
            on_wait(run)
            warned = True
        lifecycle.dispatch_next(device_pk=run.device_id)
        time.sleep(poll_s)
    return execute_run(run_id=run.pk, **execute_kwargs)


def worker_identity() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def execute_run(
    *,
    run_id: int,
    open_session: SessionOpener | None = None,
    on_step: lifecycle.StepObserver | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> Run:
    """Claim a queued run and play it on its device; returns the run as it ended.

    A run that is not queued any more (claimed by another worker, cancelled) is
    returned untouched: a run is never played twice.
    """
    if not lifecycle.claim(run_id, worker=worker_identity()):
        run = Run.objects.get(pk=run_id)
        if not run.is_active:
            # Cancelled while it waited for a worker: hand the device on.
            lifecycle.release_device(run_id=run.pk, device_pk=run.device_id)
        return run
    run = Run.objects.select_related("flow", "device").get(pk=run_id)
    heartbeat = _Heartbeat(run.pk, django_settings.PLAYBACK_HEARTBEAT_S)
    heartbeat.start()
    try:
        return _play(run, open_session=open_session, on_step=on_step, sleep=sleep)
    except lifecycle.RunTakenAway:
        log.warning("Run %s was ended elsewhere while it played; stopped.", run_id)
        return Run.objects.get(pk=run_id)
    finally:
        heartbeat.stop()
        lifecycle.release_device(run_id=run.pk, device_pk=run.device_id)


def engine_steps(flow: Flow) -> list[engine.Step]:
    """The flow's stored steps as the engine's dataclasses."""
    return [engine_step(step) for step in flow.steps.all()]


def engine_step(step: FlowStep) -> engine.Step:
    """A stored step as the engine's dataclass."""
    p = step.params or {}
    return engine.Step(
        number=step.number,
        action=Action(step.action),
        locator=engine.Locator(**step.locator) if step.locator else None,
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


def engine_timing() -> engine.Timing:
    return engine.Timing(
        retry_pause_s=django_settings.PLAYBACK_RETRY_PAUSE_S,
        launch_timeout_s=django_settings.PLAYBACK_LAUNCH_TIMEOUT_S,
        element_timeout_ms=django_settings.PLAYBACK_ELEMENT_TIMEOUT_MS,
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
                Run.objects.filter(pk=self.run_id, status=RunStatus.RUNNING).update(
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
    on_step: lifecycle.StepObserver | None,
    sleep: Callable[[float], None],
) -> Run:
    run_id = run.pk
    started = time.monotonic()
    flow_steps = list(run.flow.steps.all())
    steps = [engine_step(step) for step in flow_steps]
    played_from = [step.definition().as_json() for step in flow_steps]
    if len(steps) != run.total_steps:  # the flow was edited while the run waited
        run.total_steps = len(steps)
        Run.objects.filter(pk=run_id).update(total_steps=len(steps))
    if not steps:
        lifecycle.finish(
            run,
            status=RunStatus.ERROR,
            error=f"Flow {run.flow_id} has no steps any more; nothing was played.",
            duration_ms=0,
        )
        return run
    recorder = lifecycle.StepRecorder(
        run, on_step, played={step["step"]: step for step in played_from}
    )

    def should_cancel() -> bool:
        # Right after a step was written, its UPDATE already told us; otherwise
        # (before step 1, between retries) ask.
        if recorder.cancel_requested is not None:
            cancel, recorder.cancel_requested = recorder.cancel_requested, None
            return cancel
        status, cancel = Run.objects.filter(pk=run_id).values_list("status", "cancel_requested")[0]
        if status != RunStatus.RUNNING:
            raise lifecycle.RunTakenAway(f"Run {run_id} is {status} now")
        return cancel

    def elapsed_ms() -> int:
        return round((time.monotonic() - started) * 1000)

    status, error = RunStatus.ERROR, ""
    try:
        with (open_session or registry.open_session)(run.device, run.flow.app_id) as driver:
            outcome = engine.play(
                driver,
                steps,
                app_id=run.flow.app_id,
                settings=run.settings,
                timing=engine_timing(),
                on_step=recorder,
                should_cancel=should_cancel,
                sleep=sleep,
            )
        status, error = outcome.status, outcome.error or ""
        if outcome.cancelled_before is not None:
            canceller = Run.objects.get(pk=run_id).cancelled_by
            error = lifecycle.cancel_reason(canceller, outcome.cancelled_before)
    except engine.DeviceError as exc:
        error = engine.describe(exc)
    except lifecycle.RunTakenAway:
        raise
    except KeyboardInterrupt:
        # Ctrl-C on `play`: the run ends cancelled, not "running" forever.
        lifecycle.end_interrupted(run, duration_ms=elapsed_ms(), steps=played_from)
        raise
    except Exception as exc:
        log.exception("Run %s ended with an internal error", run_id)
        error = f"Internal error: {engine.describe(exc)}"
    lifecycle.finish(
        run, status=str(status), error=error, duration_ms=elapsed_ms(), steps=played_from
    )
    return run
