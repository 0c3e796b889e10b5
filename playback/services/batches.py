"""Use cases around batches: start one (flows by id, name or tag on devices by id or
platform), cancel it, re-run its failed runs. Their runs go through the device
queues like any run; `playback.batches.progress` keeps the batch going."""

from __future__ import annotations

import contextlib
from typing import Any

from django.db import transaction

from flows.definitions import PLATFORMS
from flows.tags import tag_problem
from playback.batches import progress
from playback.batches.models import Batch
from playback.http.ids import MAX_ID
from playback.inputs import text_problem
from playback.runs import lifecycle
from playback.services.runs import RunConflict, RunRequestError, cancel_run, effective_settings
from playback.words import BatchMode, RunSettings, RunStatus, SettingsError

MAX_FLOWS = 500
MAX_DEVICES = 100
MAX_RUNS = 2000


def check_batch(
    *,
    flows: list[Any] | None = None,
    tag: str | None = None,
    devices: list[Any] | None = None,
    platform: str | None = None,
    mode: str = BatchMode.SPLIT,
    settings: RunSettings | None = None,
    pairs: list[tuple[int, int]] | None = None,
) -> tuple[list[Any], list[Any], RunSettings]:
    """The flows, devices and effective settings of a batch request, or every problem
    at once (`RunRequestError`, {field: what to fix}). Writes nothing."""
    errors: dict[str, Any] = {}
    picked_flows = pick_flows(errors, flows, tag)
    picked_devices = pick_devices(errors, devices, platform)
    if mode not in tuple(BatchMode):
        errors["mode"] = f"Must be one of {', '.join(BatchMode)} (got {mode!r})."
    elif mode == BatchMode.REPEAT and not pairs:
        errors["mode"] = "A repeat is a verify's: POST /api/flows/{id}/verify/ starts one."
    effective = RunSettings()
    try:
        effective = effective_settings(settings)
    except SettingsError as exc:
        errors["settings"] = exc.errors
    if picked_flows and picked_devices:
        platforms = {device.platform for device in picked_devices}
        orphans = [f"{f.name} ({f.platform})" for f in picked_flows if f.platform not in platforms]
        if orphans:
            errors["devices"] = (
                f"No device of the batch can play {', '.join(orphans[:5])}"
                f"{' and more' if len(orphans) > 5 else ''}: add a device of that platform."
            )
        elif mode == BatchMode.ALL and not pairs:
            count = sum(1 for f in picked_flows for d in picked_devices if d.platform == f.platform)
            if count > MAX_RUNS:
                errors["devices"] = f"{count} runs; a batch plays at most {MAX_RUNS}."
    if errors:
        raise RunRequestError(errors)
    return picked_flows, picked_devices, effective


def start_batch(
    *,
    flows: list[Any] | None = None,
    tag: str | None = None,
    devices: list[Any] | None = None,
    platform: str | None = None,
    mode: str = BatchMode.SPLIT,
    settings: RunSettings | None = None,
    requested_by: Any = None,
    requested_from: str = "",
    rerun_of: Batch | None = None,
    pairs: list[tuple[int, int]] | None = None,
    local: bool = False,
    schedule: Any = None,
) -> Batch:
    """Check a batch request (`check_batch`) and queue it."""
    picked_flows, picked_devices, effective = check_batch(
        flows=flows,
        tag=tag,
        devices=devices,
        platform=platform,
        mode=mode,
        settings=settings,
        pairs=pairs,
    )
    with transaction.atomic():
        batch = Batch.objects.create(
            mode=mode,
            tag=(tag or "").strip().lower(),
            platform=platform or "",
            flow_ids=[flow.pk for flow in picked_flows],
            device_ids=[device.pk for device in picked_devices],
            pairs=[list(pair) for pair in pairs or []],
            settings=effective.stored(),
            requested_by=requested_by if getattr(requested_by, "pk", None) else None,
            requested_from=requested_from[:200],
            rerun_of=rerun_of,
            local=local,
            schedule=schedule,
        )
        progress.start(batch, lifecycle.queue_run, requested_by=requested_by)
    return batch


def pick_flows(errors: dict[str, Any], given: list[Any] | None, tag: str | None) -> list[Any]:
    """The flows a batch names (ids or exact names, in the order given) or tags."""
    from flows.models import Flow

    if (given is None) == (tag is None):
        errors["flows"] = "Give flows (their ids or names) or a tag, one of the two."
        return []
    if tag is not None:
        if problem := tag_problem(tag):
            errors["tag"] = problem
            return []
        found = list(Flow.objects.filter(tags__name=tag.strip().lower()).order_by("name"))
        if not found:
            errors["tag"] = f"No flow is tagged {tag.strip().lower()!r}."
        return found
    if not isinstance(given, list) or not given or len(given) > MAX_FLOWS:
        errors["flows"] = f"Must be a list of 1 to {MAX_FLOWS} flow ids or names."
        return []
    if bad := [repr(g) for g in given if not reference_ok(g)][:5]:
        errors["flows"] = f"Not a flow id (1 to {MAX_ID}) or a name: {', '.join(bad)}."
        return []
    by_id = Flow.objects.in_bulk([g for g in given if isinstance(g, int)])
    by_name = Flow.objects.in_bulk([g for g in given if isinstance(g, str)], field_name="name")
    picked, unknown = [], []
    for item in given:
        flow = by_id.get(item) if isinstance(item, int) else by_name.get(item)
        if flow is None:
            unknown.append(repr(item))
        elif flow not in picked:
            picked.append(flow)
    if unknown:
        errors["flows"] = f"No flow with id or name {', '.join(unknown[:10])}."
    empty = [flow.name for flow in picked if not flow.steps.exists()]
    if empty:
        errors["flows"] = f"Flow {', '.join(empty[:5])} has no steps to play."
    return picked


def reference_ok(item: Any) -> bool:
    """An id in the database's range, or a name the database can compare with."""
    if isinstance(item, bool):
        return False
    if isinstance(item, int):
        return 1 <= item <= MAX_ID
    return isinstance(item, str) and 0 < len(item) <= 200 and text_problem(item) is None


def pick_devices(errors: dict[str, Any], given: list[Any] | None, platform: str | None) -> list:
    """The enabled devices a batch names (device ids) or every enabled one of a platform."""
    from playback.models import Device

    if (given is None) == (platform is None):
        errors["devices"] = "Give devices (their device ids) or a platform, one of the two."
        return []
    if platform is not None:
        if platform not in PLATFORMS:
            errors["platform"] = f"Must be one of {', '.join(PLATFORMS)} (got {platform!r})."
            return []
        found = list(Device.objects.filter(platform=platform, enabled=True).order_by("device_id"))
        if not found:
            errors["platform"] = f"No enabled {platform} device."
        return found
    if not isinstance(given, list) or not given or len(given) > MAX_DEVICES:
        errors["devices"] = f"Must be a list of 1 to {MAX_DEVICES} device ids."
        return []
    if bad := [repr(g) for g in given if not reference_ok(str(g))][:5]:
        errors["devices"] = f"Not a device id: {', '.join(bad)}."
        return []
    names = [str(item) for item in given]
    found = Device.objects.in_bulk(names, field_name="device_id")
    unknown = [repr(name) for name in names if name not in found]
    disabled = [name for name in names if name in found and not found[name].enabled]
    if unknown:
        errors["devices"] = f"No device with device id {', '.join(unknown[:10])}."
    elif disabled:
        errors["devices"] = (
            f"Device {', '.join(disabled[:10])} is disabled; enable it or leave it out."
        )
    return list({name: found[name] for name in names if name in found}.values())


def cancel_batch(*, batch: Batch, requested_by: Any = None) -> Batch:
    """No more of its flows start; its queued runs are cancelled at once and its
    running ones before their next step (their steps in flight finish)."""
    if not progress.request_cancel(batch):
        raise RunConflict(
            f"Batch {batch.pk} has already ended ({batch.status}); nothing to cancel."
        )
    for run in batch.runs.filter(status__in=(RunStatus.QUEUED, RunStatus.RUNNING)):
        with contextlib.suppress(RunConflict):  # it ended meanwhile
            cancel_run(run=run, requested_by=requested_by)
    batch.refresh_from_db()
    return batch


def rerun_failed(*, batch: Batch, requested_by: Any = None, requested_from: str = "") -> Batch:
    """A new batch of what did not succeed: in `split`, its flows whose last run did
    not succeed (and those no device could play) on the same devices; in `all`, the
    same flow and device pairs."""
    batch.refresh_from_db()
    if batch.status in (RunStatus.QUEUED, RunStatus.RUNNING):
        raise RunConflict(f"Batch {batch.pk} is still {batch.status}; re-run it once it ends.")
    if batch.mode == BatchMode.REPEAT:
        raise RunConflict(f"Batch {batch.pk} is a verify: verify the flow again instead.")
    failed = [key for key, status in progress.final_runs(batch).items() if status != "success"]
    if batch.mode == BatchMode.ALL:
        pairs = [(flow_id, device_id) for flow_id, device_id in failed]
        flow_ids = list(dict.fromkeys(flow_id for flow_id, _ in pairs))
    else:
        pairs = None
        flow_ids = list(dict.fromkeys([*(flow_id for flow_id, _ in failed), *batch.unplayable]))
    if not flow_ids:
        raise RunConflict(f"Batch {batch.pk} has no failed run to play again.")
    from playback.models import Device

    devices = Device.objects.filter(pk__in=[d for _, d in pairs] if pairs else batch.device_ids)
    if not pairs:  # split: the batch's devices still enabled share the flows
        devices = devices.filter(enabled=True)
    names = list(devices.order_by("device_id").values_list("device_id", flat=True))
    if not names:
        raise RunRequestError({"devices": f"No device of batch {batch.pk} is enabled any more."})
    return start_batch(
        flows=flow_ids,
        devices=names,
        mode=batch.mode,
        settings=RunSettings.from_stored(batch.settings),
        requested_by=requested_by,
        requested_from=requested_from,
        rerun_of=batch,
        pairs=pairs,
    )
