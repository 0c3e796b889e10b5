"""A batch's progress: its runs queued, its flows handed to devices, its status kept.

`start` queues a new batch's runs. In `split` mode each device of the batch plays
one of its flows at a time: `fill` hands each waiting flow (the longest first) to a
free device of its platform (the device queues do the rest). `run_started` turns a
queued batch running when its first run starts. `run_ended` is called by
`playback.runs.lifecycle` in the transaction that ends one of its runs, with why it
ended when that was not the flow's doing:
- its device went away (DEVICE_LOST): the device is marked failed (no more of the
  batch's flows go to it) and its flow waits once more for another device;
- its worker was lost (WORKER_LOST: killed, restarted): the device is not to blame;
  the flow is queued once more (split: it waits for the next free device; all: on
  the same device);
- anything else (the app would not start, a step failed, the run timed out) is the
  flow's own result.
Then the batch is filled again and its status recomputed
(`playback.outcomes.batch_status`). Flows that no device of the batch can play any
more (every device of their platform failed) are `unplayable`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db import transaction
from django.utils import timezone

from playback import verify
from playback.batches.models import Batch
from playback.outcomes import batch_status
from playback.runs import announce
from playback.words import ACTIVE_RUN_STATUSES, BatchMode, RunSettings, RunStatus, Verdict

QueueRun = Callable[..., Any]  # playback.runs.lifecycle.queue_run (passed in: no circle)
DEVICE_LOST = "device lost"  # why a run ended, when it was not the flow's doing
WORKER_LOST = "worker lost"


def start(batch: Batch, queue_run: QueueRun, *, requested_by: Any = None) -> None:
    """Queue a new batch's runs (inside the transaction that created it)."""
    from playback.models import Device

    if batch.mode in (BatchMode.ALL, BatchMode.REPEAT):
        flows = with_step_counts(batch.flow_ids)
        devices = Device.objects.in_bulk(batch.device_ids)
        for flow_id, device_id in batch.pairs or all_pairs(batch, flows, devices):
            queue(batch, flows[flow_id], devices[device_id], queue_run, requested_by=requested_by)
    else:
        batch.waiting = longest_first(batch.flow_ids)
        fill(batch, queue_run, requested_by=requested_by)
    refresh(batch)


def longest_first(flow_ids: list[int]) -> list[int]:
    """The flows with the most steps first (a stable sort: ties keep the order given),
    so a long flow does not start last and leave the other devices idle at the end."""
    flows = with_step_counts(flow_ids)
    return sorted(flow_ids, key=lambda pk: -flows[pk].n_steps if pk in flows else 0)


def with_step_counts(flow_ids: list[int]) -> dict[int, Any]:
    """The flows by id, each with `n_steps` (counted once, not once per run queued)."""
    from django.db.models import Count

    from flows.models import Flow

    return Flow.objects.annotate(n_steps=Count("steps")).in_bulk(flow_ids)


def all_pairs(batch: Batch, flows: dict, devices: dict) -> list[tuple[int, int]]:
    """Each flow with every device of the batch of its platform."""
    return [
        (flow_id, device_id)
        for flow_id in batch.flow_ids
        for device_id in batch.device_ids
        if devices[device_id].platform == flows[flow_id].platform
    ]


def queue(
    batch: Batch, flow: Any, device: Any, queue_run: QueueRun, *, requested_by: Any = None
) -> Any:
    """Queue one run of the batch (`flow` from `with_step_counts`)."""
    return queue_run(
        flow=flow,
        device=device,
        settings=RunSettings.from_stored(batch.settings),
        total_steps=flow.n_steps,
        requested_by=requested_by if requested_by is not None else batch.requested_by,
        requested_from=batch.requested_from or f"batch {batch.pk}",
        foreground=batch.local,
        batch=batch,
    )


def fill(batch: Batch, queue_run: QueueRun, *, requested_by: Any = None) -> None:
    """Hand waiting flows to the batch's free devices, in waiting order (the longest
    first, a flow whose device died at the front); flows no working device of their
    platform is left for become unplayable."""
    from playback.models import Device, Run

    working = [
        device
        for device in Device.objects.filter(pk__in=batch.device_ids, enabled=True).order_by("pk")
        if device.pk not in batch.failed_devices
    ]
    busy = set(
        Run.objects.filter(batch=batch, status__in=ACTIVE_RUN_STATUSES).values_list(
            "device_id", flat=True
        )
    )
    flows = with_step_counts(batch.waiting)
    for device in working:
        if device.pk in busy:
            continue
        flow_id = next(
            (f for f in batch.waiting if f in flows and flows[f].platform == device.platform),
            None,
        )
        if flow_id is not None:
            batch.waiting.remove(flow_id)
            queue(batch, flows[flow_id], device, queue_run, requested_by=requested_by)
    platforms = {device.platform for device in working}
    for flow_id in list(batch.waiting):
        if flow_id not in flows or flows[flow_id].platform not in platforms:
            batch.waiting.remove(flow_id)
            if flow_id not in batch.requeued:  # a flow played once already keeps its run
                batch.unplayable.append(flow_id)


def run_started(run_id: int) -> None:
    """One of its runs started: a batch still queued is running now."""
    batch_id = Batch.objects.filter(runs__pk=run_id).values_list("pk", flat=True).first()
    if batch_id is None:
        return
    if Batch.objects.filter(pk=batch_id, status=RunStatus.QUEUED).update(status=RunStatus.RUNNING):
        announce.batch_changed(Batch.objects.get(pk=batch_id), ended=False)


def run_ended(run: Any, queue_run: QueueRun, *, cause: str | None = None) -> None:
    """One of the batch's runs ended (or was cancelled before it started); `cause`:
    DEVICE_LOST, WORKER_LOST or None (the flow's own result)."""
    from playback.models import Run

    if not run.batch_id:
        return
    batch = Batch.objects.select_for_update().get(pk=run.batch_id)
    if batch.mode == BatchMode.SPLIT and not batch.cancel_requested:
        if cause == DEVICE_LOST and run.device_id not in batch.failed_devices:
            batch.failed_devices.append(run.device_id)
        if cause in (DEVICE_LOST, WORKER_LOST) and run.flow_id not in batch.requeued:
            batch.requeued.append(run.flow_id)  # once more, on the next free device
            batch.waiting.insert(0, run.flow_id)
        fill(batch, queue_run)
    elif cause == WORKER_LOST and not batch.cancel_requested:
        pair = Run.objects.filter(batch=batch, flow_id=run.flow_id, device_id=run.device_id)
        if not pair.exclude(pk=run.pk).exists():  # once more, on the same device
            flows = with_step_counts([run.flow_id])
            queue(batch, flows[run.flow_id], run.device, queue_run)
    refresh(batch)


def refresh(batch: Batch) -> None:
    """Recompute and save the batch's status (and when it finished)."""
    batch.status = batch_status(
        list(final_runs(batch).values()),
        unplayable=len(batch.unplayable),
        cancelled=batch.cancel_requested,
        waiting=len(batch.waiting),
    )
    ended = batch.status not in ACTIVE_RUN_STATUSES and batch.finished_at is None
    if ended:
        batch.finished_at = timezone.now()
        batch.verdict = batch_verdict(batch)
        if batch.mode == BatchMode.REPEAT:
            verify.ended(batch)
    batch.save()
    announce.batch_changed(batch, ended=ended)


def run_key(batch: Batch, flow_id: int, device_id: int, pk: int) -> tuple[int, int | None]:
    """What a run stands for in its batch: its flow (split), its flow and device (all),
    itself (repeat: every run counts)."""
    if batch.mode == BatchMode.ALL:
        return (flow_id, device_id)
    return (flow_id, pk) if batch.mode == BatchMode.REPEAT else (flow_id, None)


def final_runs(batch: Batch, runs: list[Any] | None = None) -> dict[tuple[int, int | None], str]:
    """The status of the last run of each flow (split) or flow and device (all), or of
    every run (repeat): a flow played again after its device died counts by its second
    run. `runs`: the batch's runs, when the caller has them (in any order)."""
    from playback.models import Run

    rows = (
        [
            (run.flow_id, run.device_id, run.pk, run.status)
            for run in sorted(runs, key=lambda r: r.pk)
        ]
        if runs is not None
        else Run.objects.filter(batch=batch)
        .order_by("pk")
        .values_list("flow_id", "device_id", "pk", "status")
    )
    last: dict[tuple[int, int | None], str] = {}
    for flow_id, device_id, pk, status in rows:
        last[run_key(batch, flow_id, device_id, pk)] = status
    return last


def batch_verdict(batch: Batch) -> str:
    """An ended batch's verdict: pass when each flow's (and device's) last run passed
    by its verdict (quarantined failures do not count), none was unplayable and the
    batch was not cancelled."""
    from playback.models import Run

    if batch.status == RunStatus.SUCCESS:
        return Verdict.PASS
    if batch.cancel_requested or batch.unplayable:
        return Verdict.FAIL
    rows = (
        Run.objects.filter(batch=batch)
        .order_by("pk")
        .values_list("flow_id", "device_id", "pk", "verdict")
    )
    last = {}
    for flow_id, device_id, pk, verdict in rows:
        last[run_key(batch, flow_id, device_id, pk)] = verdict
    passed = last and all(verdict == Verdict.PASS for verdict in last.values())
    return Verdict.PASS if passed else Verdict.FAIL


def progress_of(batch: Batch, runs: list[Any]) -> tuple[int, int]:
    """(done, total) for a progress bar: flows (all: flow and device pairs) ended,
    those no device could play included, of all the batch will play."""
    final = final_runs(batch, runs)
    done = sum(1 for status in final.values() if status not in ACTIVE_RUN_STATUSES)
    unplayable = len(batch.unplayable)
    return done + unplayable, len(final) + len(batch.waiting) + unplayable


def request_cancel(batch: Batch) -> bool:
    """Stop handing out flows and mark the batch cancelled (its runs are cancelled by
    the caller, each in its own transaction). False if it already ended."""
    with transaction.atomic():
        locked = Batch.objects.select_for_update().get(pk=batch.pk)
        if locked.status not in ACTIVE_RUN_STATUSES:
            return False
        locked.cancel_requested = True
        locked.waiting = []
        refresh(locked)
    batch.refresh_from_db()
    return True
