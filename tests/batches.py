"""Playing a batch's runs in this process, as the workers would (unit tests)."""

from __future__ import annotations

from typing import Any

from playback import services
from playback.devices import queue as devices_queue
from playback.models import Device, Run
from tests.helpers import session_of


def drain(batch: Any, drivers: dict[str, Any], *, until: int | None = None) -> list[Run]:
    """Play the batch's queued runs one at a time, oldest first, each on its device
    with `drivers[device_id]` (a scripted driver), until none is queued (or `until`
    runs were played). The runs played, in order."""
    played: list[Run] = []
    while until is None or len(played) < until:
        queued = list(Run.objects.filter(batch=batch, status="queued").order_by("pk"))
        for run in queued:
            device = Device.objects.get(pk=run.device_id)
            if device.current_run_id is None:
                devices_queue.dispatch_next(device_pk=device.pk)
                device.refresh_from_db()
            if device.current_run_id == run.pk:
                driver = drivers[device.device_id]
                played.append(services.execute_run(run_id=run.pk, open_session=session_of(driver)))
                break
        else:
            return played
    return played
