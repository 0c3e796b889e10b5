"""The sweeper: nothing stays `running` or `queued` forever, no device stays locked.

It runs on a django-q2 schedule (every minute, see migration 0002), whenever a
worker process starts (playback.apps), and as `manage.py sweep_runs`. Every change
it makes to a run is a transition of `playback.runs.lifecycle`.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from django.conf import settings as django_settings
from django.utils import timezone

from playback import quarantines, queue, words
from playback.devices import queue as devices_queue
from playback.devices import reachability, sessions
from playback.models import Device, Run
from playback.runs import lifecycle, workers
from playback.webhooks import delivery as webhooks
from playback.words import RunStatus

log = logging.getLogger("playback.sweeper")  # the name logs have always had


def _lost_reason(run: Run, lost_before) -> str | None:
    if run.heartbeat_at is None or run.heartbeat_at < lost_before:
        seen = run.heartbeat_at.strftime("%H:%M:%S UTC") if run.heartbeat_at else "never"
        return f"no heartbeat since {seen} (worker {run.worker or 'unknown'})"
    if run.worker and workers.is_gone(run.worker):
        return f"its worker process {run.worker} is gone"
    return None


def _past_its_timeout(run: Run, now, grace: timedelta) -> bool:
    limit = run.settings.run_timeout_s
    return bool(
        limit and run.started_at and now > run.started_at + timedelta(seconds=limit) + grace
    )


def sweep_runs(*, probe: bool = False) -> dict[str, list[int]]:
    """Make sure nothing stays running or queued forever, and no device stays locked.

    - a running run whose heartbeat is older than PLAYBACK_LOST_AFTER_S, or whose
      worker process on this host is gone, ends as `error` ("Worker lost");
    - a running run past its own timeout by more than PLAYBACK_LOST_AFTER_S (its
      worker beats but does not stop it) ends as `error` ("Run timed out");
    - a device held by a run that has ended is freed;
    - a free device with queued runs is given to the oldest;
    - a run given its device long ago (PLAYBACK_REDISPATCH_AFTER_S) that no worker
      picked up (a broker without delivery receipts lost its task) is enqueued again;
      claiming is a conditional update, so a duplicate task plays nothing twice;
    - a webhook try whose worker died is counted as failed and tried again, and a
      due delivery with no try on its way is queued (playback/webhooks/delivery.py);
    - a warm session idle for PLAYBACK_SESSION_IDLE_S, or a disabled device's, is
      closed (playback/devices/sessions.py);
    - with `probe` (the minute's schedule), every enabled device's Appium is asked
      whether it answers (playback/devices/reachability.py).
    """
    now = timezone.now()
    grace = timedelta(seconds=django_settings.PLAYBACK_LOST_AFTER_S)
    report: dict[str, list[int]] = {
        "lost": [],
        "timed_out": [],
        "freed": [],
        "dispatched": [],
        "requeued": [],
        "probed": [],
    }
    for run in Run.objects.filter(status=RunStatus.RUNNING).select_related("flow"):
        reason = _lost_reason(run, now - grace)
        if reason is not None:
            if lifecycle.end_lost(run, reason=reason):
                log.warning("Run %s ended: worker lost (%s)", run.pk, reason)
                report["lost"].append(run.pk)
        elif _past_its_timeout(run, now, grace) and lifecycle.time_out(run):
            log.warning("Run %s ended: past its own timeout", run.pk)
            report["timed_out"].append(run.pk)
    for device_pk, run_pk in (
        Device.objects.filter(current_run__isnull=False)
        .exclude(current_run__status__in=words.ACTIVE_RUN_STATUSES)
        .values_list("pk", "current_run_id")
    ):
        devices_queue.release_device(run_id=run_pk, device_pk=device_pk)
        report["freed"].append(device_pk)
    waiting = (
        Run.objects.filter(status=RunStatus.QUEUED, device__current_run__isnull=True)
        .order_by()  # the default ordering would make DISTINCT return duplicates
        .values_list("device_id", flat=True)
        .distinct()
    )
    for device_pk in list(waiting):
        run = devices_queue.dispatch_next(device_pk=device_pk)
        if run is not None:
            report["dispatched"].append(run.pk)
    stale = now - timedelta(seconds=django_settings.PLAYBACK_REDISPATCH_AFTER_S)
    for run_pk in Run.objects.filter(
        status=RunStatus.QUEUED,
        foreground=False,
        holding_device__isnull=False,
        dispatched_at__lt=stale,
    ).values_list("pk", flat=True):
        # Conditional, so two sweepers at once enqueue it once.
        if Run.objects.filter(pk=run_pk, dispatched_at__lt=stale).update(dispatched_at=now):
            try:
                queue.enqueue_run(run_pk)
            except Exception:  # the broker is still away: the next sweep tries again
                log.exception("The broker refused run %s's task again", run_pk)
                continue
            report["requeued"].append(run_pk)
    report.update(webhooks.sweep())
    report["quarantines_expired"] = quarantines.announce_expired(now)
    report["sessions_closed"] = sessions.close_idle(now)
    if probe:
        devices = list(Device.objects.filter(enabled=True))
        report["probed"] = [device.pk for device in reachability.probe_all(devices)]
    return report
