"""Opening an Appium session on a device (UiAutomator2, XCUITest, the simulated
device's fake driver; the web device: drivers/web.py).

`open_session()` builds the client with bounded connect/command timeouts, yields
the platform's engine `Driver` on the device's warm session or a new one, and keeps
the session for the next run or closes it (playback/devices/sessions.py). A server
that will not open one is a `DeviceError` whose words say why.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager
from typing import TYPE_CHECKING, Any

from appium import webdriver
from appium.options.common.base import AppiumOptions
from django.conf import settings
from selenium.common.exceptions import SessionNotCreatedException, WebDriverException

from playback.devices import sessions
from playback.devices.sessions import WarmRecord
from playback.drivers.appium import (
    AppiumDriver,
    first_line,
    is_transport_error,
    transport_reason,
)
from playback.drivers.attach import KeptSession, attach, client_config, close, is_alive, session_key
from playback.drivers.ios import IosDriver
from playback.engine import DeviceError
from playback.network import redacted, webdriver_status
from playback.words import Platform

if TYPE_CHECKING:
    from playback.models import Device

log = logging.getLogger("playback.appium")

# platform -> (platformName, appium:automationName); the web device: drivers/web.py
PLATFORM_CAPABILITIES = {
    Platform.ANDROID: ("Android", "UiAutomator2"),
    Platform.IOS: ("iOS", "XCUITest"),
    Platform.SIM: ("Fake", "Fake"),
}
# Closing the session of a device already lost (it hung or went away) waits this long
# at most: the server frees an abandoned session itself (its newCommandTimeout).
CLOSE_LOST_SESSION_S = 1.0


def build_capabilities(
    *, platform: str, device_id: str, extra: Mapping[str, Any] | None
) -> dict[str, Any]:
    """Capabilities for a session on this device; the device's own capabilities win
    (the app of a simulated device is one of them: `appium:app`)."""
    platform_name, automation = PLATFORM_CAPABILITIES[platform]
    caps: dict[str, Any] = {
        "platformName": platform_name,
        "appium:automationName": automation,
        "appium:udid": device_id,
        "appium:deviceName": device_id,
        "appium:newCommandTimeout": sessions.new_command_timeout_s(),
        # The engine decides about restarts and data; the session must not.
        "appium:noReset": True,
    }
    caps.update(extra or {})
    return caps


# The Appium client's words for an answer that is not a W3C session (it quotes the body).
NOT_A_W3C_ANSWER = "A valid W3C session creation response"


def _not_appium(appium_url: str, device_label: str) -> DeviceError:
    # What a server that is not Appium answered is never repeated: it may be anything
    # (a metadata service, an internal page).
    return DeviceError(
        f"The server at {appium_url} did not answer as an Appium server (device {device_label})."
    )


@contextmanager
def open_session(
    *,
    appium_url: str,
    capabilities: Mapping[str, Any],
    device_label: str,
    connect_timeout_s: float,
    command_timeout_s: float,
    driver_class: type[AppiumDriver] = AppiumDriver,
    warm: WarmRecord | None = None,
    before_new: Callable[[], None] | None = None,
) -> Iterator[AppiumDriver]:
    """A session on the device: its kept one when `warm` has one opened with these
    capabilities that still answers, else a new one (`before_new` first). As the block
    ends the session is kept for the next run (`warm`, when the block ended normally
    and no command found the device lost) or closed. Messages name the server without
    its credentials (`user:key@`)."""
    shown = redacted(appium_url)
    where = f"device {device_label} via {shown}"
    key = session_key(appium_url, capabilities)
    remote = _reattach(warm.take(key), command_timeout_s) if warm is not None else None
    reused = remote is not None
    if remote is None:
        if before_new is not None:
            before_new()
        remote = _new_session(
            appium_url, capabilities, device_label, connect_timeout_s, command_timeout_s
        )
    driver = driver_class(remote, where=where)
    driver.reused = reused
    kept = False
    try:
        yield driver
        if warm is not None and not driver.broken:
            kept = warm.keep(KeptSession(id=remote.session_id, url=appium_url, key=key))
    finally:
        if not kept:
            close(remote, timeout_s=CLOSE_LOST_SESSION_S if driver.lost else command_timeout_s)


def _reattach(kept: KeptSession | None, command_timeout_s: float) -> webdriver.Remote | None:
    """The kept session, if it still answers; a dead or foreign one is closed (no error:
    the run opens a new one)."""
    if kept is None:
        return None
    try:
        remote = attach(
            kept.url,
            kept.id,
            connect_timeout_s=settings.APPIUM_CONNECT_TIMEOUT_S,
            command_timeout_s=command_timeout_s,
        )
    except Exception as exc:
        log.info("Could not attach to warm session %s: %s", kept.id, exc)
        return None
    if is_alive(remote):
        return remote
    close(remote, timeout_s=CLOSE_LOST_SESSION_S)
    return None


def _new_session(
    appium_url: str,
    capabilities: Mapping[str, Any],
    device_label: str,
    connect_timeout_s: float,
    command_timeout_s: float,
) -> webdriver.Remote:
    """A new session; a server that will not open one is a `DeviceError` saying why."""
    shown = redacted(appium_url)
    options = AppiumOptions()
    options.load_capabilities(dict(capabilities))
    # A farm's credentials go in the client's config (a Basic authorization header),
    # not in the URL the client keeps and logs.
    address, config = client_config(
        appium_url, connect_timeout_s=connect_timeout_s, command_timeout_s=command_timeout_s
    )
    try:
        return webdriver.Remote(address, options=options, client_config=config)
    except SessionNotCreatedException as exc:
        if not (exc.msg or "").startswith(NOT_A_W3C_ANSWER):
            raise DeviceError(
                f"Appium at {shown} refused a session for device {device_label}: {first_line(exc)}"
            ) from exc
        raise _not_appium(shown, device_label) from exc
    except Exception as exc:
        if is_transport_error(exc):
            raise DeviceError(
                f"Appium server {shown} for device {device_label} is unreachable: "
                f"{transport_reason(exc)}"
            ) from exc
        if (
            isinstance(exc, WebDriverException)
            and webdriver_status(appium_url, timeout_s=connect_timeout_s).answers
        ):
            # A WebDriver server's own error: its message is Appium's own words.
            raise DeviceError(
                f"Appium at {shown} could not start a session for device "
                f"{device_label}: {first_line(exc)}"
            ) from exc
        raise _not_appium(shown, device_label) from exc


# The engine's driver of each platform this module opens sessions for.
DRIVER_CLASSES: dict[str, type[AppiumDriver]] = {Platform.IOS: IosDriver}


def open_device_session(device: Device, app_id: str) -> AbstractContextManager[AppiumDriver]:
    """The registry's opener: a session on `device` with the server's timeouts (its
    warm one when sessions are kept)."""
    return open_session(
        appium_url=device.appium_url,
        capabilities=build_capabilities(
            platform=device.platform, device_id=device.device_id, extra=device.capabilities
        ),
        device_label=device.device_id,
        connect_timeout_s=settings.APPIUM_CONNECT_TIMEOUT_S,
        command_timeout_s=settings.APPIUM_COMMAND_TIMEOUT_S,
        driver_class=DRIVER_CLASSES.get(device.platform, AppiumDriver),
        warm=sessions.warm_record(device),
    )
