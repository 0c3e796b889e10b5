"""The device side of runs: one run per device at a time, the others wait in FIFO
order. `dispatch_next` gives a free device to its oldest queued run and enqueues
its task; `release_device` frees a device its run no longer needs and hands it on.
Called by playback/runs/lifecycle.py (a run queued or ended), the services and the
sweeper."""

from __future__ import annotations

import logging

from django.db import transaction
from django.utils import timezone

from playback import queue
from playback.models import Device, Run
from playback.words import RunStatus

log = logging.getLogger("playback.lifecycle")  # the name logs have always had


def dispatch_next(*, device_pk: int) -> Run | None:
    """Give a free device to its oldest queued run (FIFO) and enqueue its task.

    The device is taken with a conditional update (free -> this run), which only
    one of many concurrent dispatchers can win; nobody sleeps on a busy device.
    A foreground run (`play`) is played by its own process, not enqueued.
    """
    with transaction.atomic():
        queued = Run.objects.filter(device_id=device_pk, status=RunStatus.QUEUED)
        run = queued.order_by("queued_at", "pk").first()
        if run is None:
            return None
        free = Device.objects.filter(pk=device_pk, current_run__isnull=True)
        if not free.update(current_run=run):
            return None
        Run.objects.filter(pk=run.pk).update(dispatched_at=timezone.now())
        if not run.foreground:
            run_pk = run.pk
            transaction.on_commit(lambda: _enqueue_or_give_back(run_pk, device_pk))
    return run


def _enqueue_or_give_back(run_id: int, device_pk: int) -> None:
    """Enqueue a dispatched run's task; if the broker cannot take it, the run stays
    queued but gives its device back (nothing holds the device for a task that does
    not exist); the sweeper dispatches it again once the broker answers."""
    try:
        queue.enqueue_run(run_id)
    except Exception:
        log.exception("The broker refused run %s's task; it waits for the sweeper", run_id)
        with transaction.atomic():
            Run.objects.filter(pk=run_id, status=RunStatus.QUEUED).update(dispatched_at=None)
            Device.objects.filter(pk=device_pk, current_run_id=run_id).update(current_run=None)


def release_device(*, run_id: int, device_pk: int) -> None:
    """Free the device if this run holds it, and hand it to the next queued run."""
    Device.objects.filter(pk=device_pk, current_run_id=run_id).update(current_run=None)
    dispatch_next(device_pk=device_pk)
