"""Which driver plays on which platform.

Each kind of device has one module here whose opener takes a `Device` and the
app's id and returns a context manager yielding an engine `Driver`, with the
session always closed when the block ends. A new kind of device is one module
and one line below.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING

from django.utils.module_loading import import_string

from playback.drivers.capabilities import capabilities_problems
from playback.drivers.protocol import Driver
from playback.engine import DeviceError
from playback.network import appium_url_problem
from playback.words import Platform

if TYPE_CHECKING:
    from playback.models import Device

SessionOpener = Callable[["Device", str], AbstractContextManager[Driver]]

# Dotted paths: a driver's client library is imported only when a run needs it.
OPENERS: dict[Platform, str] = {
    Platform.ANDROID: "playback.drivers.session.open_device_session",
    Platform.IOS: "playback.drivers.session.open_device_session",
    Platform.SIM: "playback.drivers.session.open_device_session",
    Platform.WEB: "playback.drivers.web_session.open_device_session",
}


def opener_for(platform: str) -> SessionOpener:
    return import_string(OPENERS[Platform(platform)])


def open_session(device: Device, app_id: str) -> AbstractContextManager[Driver]:
    """A session on `device` through the driver of its platform, if its server is
    still one devices may use (checked again: a name may resolve elsewhere now) and
    its capabilities are ones it may set (a row saved before the rule)."""
    problem = appium_url_problem(device.appium_url)
    if problem:
        raise DeviceError(f"Device {device.device_id}'s Appium URL is not allowed: {problem}")
    refused = capabilities_problems(device.platform, device.capabilities or {})
    if refused:
        raise DeviceError(
            f"Device {device.device_id}'s capabilities are not allowed (an editor must "
            f"change them): {' '.join(refused)}"
        )
    return opener_for(device.platform)(device, app_id)
