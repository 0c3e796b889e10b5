"""Whether each device's Appium server answers: a probe of its `GET /status`, kept on
the device (answer, latency, when), refreshed by the sweeper every minute and before
a run starts when the last probe is older than PLAYBACK_PROBE_MAX_AGE_S."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from django.conf import settings
from django.db import connection
from django.utils import timezone

from playback.models import Device
from playback.network import redacted, webdriver_status


def probe(device: Device) -> Device:
    """Ask the device's Appium now and keep the answer on the device."""
    status = webdriver_status(device.appium_url, timeout_s=settings.PLAYBACK_PROBE_TIMEOUT_S)
    fields = {
        "reachable": status.answers,
        "probe_latency_ms": status.latency_ms,
        "probed_at": timezone.now(),
        "probe_error": status.problem[:500],
    }
    Device.objects.filter(pk=device.pk).update(**fields)
    for name, value in fields.items():
        setattr(device, name, value)
    return device


def probe_all(devices: list[Device]) -> list[Device]:
    """Probe many devices at once (each waits at most PLAYBACK_PROBE_TIMEOUT_S)."""

    def one(device: Device) -> Device:
        try:
            return probe(device)
        finally:
            connection.close()  # this thread's own connection

    with ThreadPoolExecutor(max_workers=max(1, min(8, len(devices)))) as pool:
        return list(pool.map(one, devices))


def unreachable(device: Device) -> str | None:
    """Why the device cannot be played on now, from a fresh enough probe, or None."""
    age = settings.PLAYBACK_PROBE_MAX_AGE_S
    if device.probed_at is None or (timezone.now() - device.probed_at).total_seconds() > age:
        probe(device)
    if device.reachable:
        return None
    return (
        f"Device {device.device_id} is unreachable: its Appium at {redacted(device.appium_url)} "
        f"did not answer ({device.probe_error})."
    )
