"""Playing a run: a worker (or `play`) claims it, opens a session on its device,
hands the steps to the engine and records what it reports; the run ends through
`playback.runs.lifecycle` however the play ends."""

from __future__ import annotations

import dataclasses
import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from django.conf import settings as django_settings
from django.db import connection
from django.utils import timezone

from flows.models import Flow
from flows.models import Step as FlowStep
from playback import engine, quarantines
from playback.devices import queue as devices_queue
from playback.drivers import registry
from playback.drivers.registry import SessionOpener
from playback.insights import identity
from playback.locators import Locator
from playback.models import Device, Run
from playback.runs import lifecycle, recording, step_recorder, step_writer, workers
from playback.video.recorder import RunVideo
from playback.visual.judge import VisualJudge
from playback.words import ACTIVE_RUN_STATUSES as ACTIVE
from playback.words import RunStatus

log = logging.getLogger("playback.services")


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
        given = devices_queue.dispatch_next(device_pk=run.device_id)
        if given is None or given.pk != run.pk:  # given to this run: no need to wait
            time.sleep(poll_s)
    return execute_run(run_id=run.pk, **execute_kwargs)


def execute_run(
    *,
    run_id: int,
    open_session: SessionOpener | None = None,
    on_step: step_recorder.StepObserver | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> Run:
    """Claim a queued run and play it on its device; returns the run as it ended.

    A run that is not queued any more (claimed by another worker, cancelled) is
    returned untouched: a run is never played twice.
    """
    if not lifecycle.claim(run_id, worker=workers.identity()):
        run = Run.objects.get(pk=run_id)
        if not run.is_active:
            # Cancelled while it waited for a worker: hand the device on.
            devices_queue.release_device(run_id=run.pk, device_pk=run.device_id)
        return run
    run = Run.objects.select_related("flow", "device").get(pk=run_id)
    heartbeat = _Heartbeat(run.pk, django_settings.PLAYBACK_HEARTBEAT_S)
    heartbeat.start()
    try:
        return _play(run, open_session=open_session, on_step=on_step, sleep=sleep)
    except step_recorder.RunTakenAway:
        log.warning("Run %s was ended elsewhere while it played; stopped.", run_id)
        return Run.objects.get(pk=run_id)
    finally:
        heartbeat.stop()
        devices_queue.release_device(run_id=run.pk, device_pk=run.device_id)


def engine_steps(flow: Flow) -> list[engine.Step]:
    """The flow's stored steps as the engine's dataclasses."""
    return [engine_step(step) for step in flow.steps.all()]


def engine_step(step: FlowStep) -> engine.Step:
    """A stored step as the engine's dataclass."""
    return engine.Step(
        number=step.number,
        action=step.action,
        locator=Locator(**step.locator) if step.locator else None,
        params=dict(step.params or {}),
        timeout_ms=step.timeout_ms,
        optional=step.optional,
        retries=step.retries,
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
    on_step: step_recorder.StepObserver | None,
    sleep: Callable[[float], None],
) -> Run:
    run_id = run.pk
    started = time.monotonic()
    flow_steps = list(run.flow.steps.all())
    played_from = [step.definition().as_json() for step in flow_steps]
    whole_flow, keys = quarantines.quarantined_keys(run.flow_id)
    steps = [
        dataclasses.replace(
            engine_step(step), quarantined=whole_flow or identity.step_key(played) in keys
        )
        for step, played in zip(flow_steps, played_from, strict=True)
    ]
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
    recorder = step_recorder.StepRecorder(
        run,
        on_step,
        played={step["step"]: step for step in played_from},
        writer=step_writer.StepWriter(f"steps-of-run-{run_id}") if step_writer.wanted() else None,
    )

    def should_cancel() -> bool:
        # Right after a step was written, its UPDATE already told us; otherwise
        # (before step 1, between retries, a step written behind) ask.
        if recorder.cancel_requested is not None:
            cancel, recorder.cancel_requested = recorder.cancel_requested, None
            return cancel
        status, cancel = recording.run_state(run_id)
        if status != RunStatus.RUNNING:
            raise step_recorder.RunTakenAway(f"Run {run_id} is {status} now")
        return cancel

    def elapsed_ms() -> int:
        return round((time.monotonic() - started) * 1000)

    status, error, device_lost = RunStatus.ERROR, "", False
    try:
        with (open_session or registry.open_session)(run.device, run.flow.app_id) as driver:
            Run.objects.filter(pk=run_id).update(session_reused=driver.reused)
            video = RunVideo(driver, run)
            video.start()
            try:
                outcome = engine.play(
                    driver,
                    steps,
                    app_id=run.flow.app_id,
                    settings=run.settings,
                    timing=engine_timing(),
                    on_step=video.marking(recorder),
                    should_cancel=should_cancel,
                    sleep=sleep,
                    judge=VisualJudge(run),
                )
                recorder.flush()  # every step durable before the run ends
            except BaseException:
                video.abandon()
                raise
            video.finish(outcome.status)
        status, error, device_lost = outcome.status, outcome.error or "", outcome.device_lost
        if outcome.cancelled_before is not None:
            canceller = Run.objects.get(pk=run_id).cancelled_by
            error = lifecycle.cancel_reason(canceller, outcome.cancelled_before)
    except engine.DeviceError as exc:  # no session: the device or its Appium is away
        error, device_lost = engine.describe(exc), True
    except step_recorder.RunTakenAway:
        raise
    except KeyboardInterrupt:
        # Ctrl-C on `play`: the run ends cancelled, not "running" forever.
        recorder.close()
        lifecycle.end_interrupted(run, duration_ms=elapsed_ms(), steps=played_from)
        raise
    except Exception as exc:
        log.exception("Run %s ended with an internal error", run_id)
        error = f"Internal error: {engine.describe(exc)}"
    finally:
        recorder.close()  # the steps written behind are all in before the run ends
    lifecycle.finish(
        run,
        status=str(status),
        error=error,
        duration_ms=elapsed_ms(),
        steps=played_from,
        device_lost=device_lost,
    )
    return run


def play_batch_here(batch: Any, **execute_kwargs: Any) -> None:
    """Play a local batch's runs in this process (`play --local`): one thread per
    device, each playing the device's queued runs of the batch in turn (a split
    batch queues a device's next flow as its run ends) until the batch has ended."""
    from playback.batches.models import Batch

    def play_on(device_pk: int) -> None:
        try:
            while True:
                queued = Run.objects.filter(
                    batch_id=batch.pk, device_id=device_pk, status=RunStatus.QUEUED
                )
                run = queued.order_by("pk").first()
                if run is not None:
                    play_in_foreground(run=run, poll_s=0.05, **execute_kwargs)
                elif not Batch.objects.filter(pk=batch.pk, status__in=ACTIVE).exists():
                    return
                else:
                    time.sleep(0.05)  # another device's run may hand this one a flow
        except Exception:
            log.exception("Playing batch %s on device %s here failed", batch.pk, device_pk)
        finally:
            connection.close()  # this thread's own connection

    threads = [threading.Thread(target=play_on, args=(pk,), daemon=True) for pk in batch.device_ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        while thread.is_alive():
            thread.join(0.2)  # a Ctrl-C reaches the caller between joins
