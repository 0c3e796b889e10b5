"""The sweeper: nothing stays `running` or `queued` forever, no device stays locked.

It runs on a django-q2 schedule (every minute, see migration 0002), whenever a
worker process starts (playback.apps), and as `manage.py sweep_runs`.
"""

from __future__ import annotations

import logging
import os
import socket
from datetime import timedelta

from django.conf import settings as django_settings
from django.db import transaction
from django.utils import timezone

from playback.models import Device, Run
from playback.services import StepRecorder, dispatch_next, engine_steps, release_device

log = logging.getLogger("playback.sweeper")


def _worker_is_gone(worker: str) -> bool:
    """True when `worker` (host:pid) is a process of this host that no longer exists."""
    host, _, pid = worker.rpartition(":")
    if host != socket.gethostname() or not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


def end_lost_run(*, run: Run, reason: str) -> bool:
    """End a running run whose worker is gone: `error`, its finished steps kept, the
    rest blocked, its device handed to the next run. False if it was not running."""
    now = timezone.now()
    error = f"Worker lost: {reason}"
    with transaction.atomic():
        ended = Run.objects.filter(pk=run.pk, status=Run.Status.RUNNING).update(
            status=Run.Status.ERROR, error=error, finished_at=now
        )
        if not ended:
            return False
        done = set(run.step_results.values_list("step_number", flat=True))
        recorder = StepRecorder(run, None, playing=False)
        recorder.statuses = list(run.step_results.values_list("status", flat=True))
        recorder.tally.update(recorder.statuses)
        left = [s for s in engine_steps(run.flow) if s.number not in done]
        recorder.not_run(left, f"Not run: {error}")
        if run.started_at:
            Run.objects.filter(pk=run.pk).update(
                duration_ms=round((now - run.started_at).total_seconds() * 1000)
            )
    release_device(run_id=run.pk, device_pk=run.device_id)
    return True


def sweep_runs() -> dict[str, list[int]]:
    """Make sure nothing stays running or queued forever, and no device stays locked.

    - a running run whose heartbeat is older than PLAYBACK_LOST_AFTER_S, or whose
      worker process on this host is gone, ends as `error` ("Worker lost");
    - a device held by a run that has ended is freed;
    - a free device with queued runs is given to the oldest;
    - a run given its device long ago (PLAYBACK_REDISPATCH_AFTER_S) that no worker
      picked up (a broker without delivery receipts lost its task) is enqueued again;
      claiming is a conditional update, so a duplicate task plays nothing twice.

    """
    from playback import tasks

    now = timezone.now()
    lost_before = now - timedelta(seconds=django_settings.PLAYBACK_LOST_AFTER_S)
    report: dict[str, list[int]] = {"lost": [], "freed": [], "dispatched": [], "requeued": []}
    for run in Run.objects.filter(status=Run.Status.RUNNING).select_related("flow"):
        if run.heartbeat_at is None or run.heartbeat_at < lost_before:
            seen = run.heartbeat_at.strftime("%H:%M:%S UTC") if run.heartbeat_at else "never"
            reason = f"no heartbeat since {seen} (worker {run.worker or 'unknown'})"
        elif run.worker and _worker_is_gone(run.worker):
            reason = f"its worker process {run.worker} is gone"
        else:
            continue
        if end_lost_run(run=run, reason=reason):
            log.warning("Run %s ended: worker lost (%s)", run.pk, reason)
            report["lost"].append(run.pk)
    for device_pk, run_pk in (
        Device.objects.filter(current_run__isnull=False)
        .exclude(current_run__status__in=Run.ACTIVE_STATUSES)
        .values_list("pk", "current_run_id")
    ):
        release_device(run_id=run_pk, device_pk=device_pk)
        report["freed"].append(device_pk)
    waiting = (
        Run.objects.filter(status=Run.Status.QUEUED, device__current_run__isnull=True)
        .order_by()  # the default ordering would make DISTINCT return duplicates
        .values_list("device_id", flat=True)
        .distinct()
    )
    for device_pk in list(waiting):
        run = dispatch_next(device_pk=device_pk)
        if run is not None:
            report["dispatched"].append(run.pk)
    stale = now - timedelta(seconds=django_settings.PLAYBACK_REDISPATCH_AFTER_S)
    for run_pk in Run.objects.filter(
        status=Run.Status.QUEUED,
        foreground=False,
        holding_device__isnull=False,
        dispatched_at__lt=stale,
    ).values_list("pk", flat=True):
        Run.objects.filter(pk=run_pk).update(dispatched_at=now)
        tasks.enqueue_run(run_pk)
        report["requeued"].append(run_pk)
    return report
