"""Verify a fix: play a flow N times on one device (a batch of mode `repeat`) and say
how many runs passed first time, passed only on a retry (flaky) or failed. A verify of
at least LIFT_AT runs that all passed first time lifts the flow's quarantines (each
records the batch that lifted it): the fix holds (SPEC "Wave 3")."""

from __future__ import annotations

from typing import Any

from playback import quarantines
from playback.words import BatchMode, RunSettings, RunStatus

MAX_TIMES = 50
LIFT_AT = 10
# A verify retries each step once: a step that passes only on its retry is flaky, not
# passed first time (without a retry it would just fail).
DEFAULT_SETTINGS = RunSettings(retry_per_step=1)


def start(
    *, flow: Any, device_id: Any, times: Any, requested_by: Any = None, requested_from: str = ""
) -> Any:
    """Queue the verify batch, or RunRequestError naming each problem."""
    from playback import services

    errors: dict[str, Any] = {}
    if isinstance(times, bool) or not isinstance(times, int) or not 1 <= times <= MAX_TIMES:
        errors["times"] = f"Must be a whole number from 1 to {MAX_TIMES}."
    if not isinstance(device_id, str) or not device_id:
        errors["device_id"] = "Required: the device id to play it on."
    if errors:
        raise services.RunRequestError(errors)
    from playback.models import Device

    device = Device.objects.filter(device_id=device_id).first()
    if device is None:
        raise services.RunRequestError({"device_id": f"No device {device_id!r}."})
    return services.start_batch(
        flows=[flow.pk],
        devices=[device.device_id],
        mode=BatchMode.REPEAT,
        pairs=[(flow.pk, device.pk)] * times,
        settings=DEFAULT_SETTINGS,
        requested_by=requested_by,
        requested_from=requested_from,
    )


def tally(batch: Any, runs: list[Any] | None = None) -> dict[str, int] | None:
    """{times, passed_first_time, flaky, failed} of an ended verify (None otherwise)."""
    if batch.mode != BatchMode.REPEAT or batch.finished_at is None:
        return None
    runs = list(batch.runs.all()) if runs is None else runs
    passed = [run for run in runs if run.status == RunStatus.SUCCESS]
    first_time = sum(1 for run in passed if not run.flaky_steps)
    return {
        "times": len(batch.pairs),
        "passed_first_time": first_time,
        "flaky": len(passed) - first_time,
        "failed": len(runs) - len(passed),
    }


def ended(batch: Any) -> list[int]:
    """A verify ended: when it proved the fix (at least LIFT_AT runs, every one passed
    first time), the flow's quarantines are lifted by it. The ids lifted."""
    found = tally(batch)
    if not found or found["times"] < LIFT_AT or found["passed_first_time"] != found["times"]:
        return []
    lifted = list(quarantines.applying().filter(flow_id__in=batch.flow_ids))
    for item in lifted:
        quarantines.lift(item, batch=batch)
    return [item.pk for item in lifted]
