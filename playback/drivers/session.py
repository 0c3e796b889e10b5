"""Opening an Appium session on a device (UiAutomator2, XCUITest, the simulated
device's fake driver; the web device: drivers/web.py).

`open_session()` builds the client with bounded connect/command timeouts, yields
the platform's engine `Driver` and always closes the session. A server that will
not open one is a `DeviceError` whose words say why.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlsplit

import urllib3
from appium import webdriver
from appium.options.common.base import AppiumOptions
from appium.webdriver.client_config import AppiumClientConfig
from django.conf import settings
from selenium.common.exceptions import SessionNotCreatedException, WebDriverException

from playback.drivers.appium import (
    AppiumDriver,
    first_line,
    is_transport_error,
    transport_reason,
)
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
# Seconds Appium keeps an abandoned session (a killed worker) before closing it.
NEW_COMMAND_TIMEOUT_S = 120
# Closing the session of a device already lost (it hung or went away) waits this long
# at most: the server frees an abandoned session itself (NEW_COMMAND_TIMEOUT_S).
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
        "appium:newCommandTimeout": NEW_COMMAND_TIMEOUT_S,
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
) -> Iterator[AppiumDriver]:
    """Open an Appium session; the session is closed however the block ends. Its
    messages name the server without its credentials (`user:key@`)."""
    shown = redacted(appium_url)
    where = f"device {device_label} via {shown}"
    options = AppiumOptions()
    options.load_capabilities(dict(capabilities))
    # A farm's credentials go in the client's config (a Basic authorization header),
    # not in the URL the client keeps and logs.
    parts = urlsplit(appium_url)
    address = parts._replace(netloc=parts.netloc.rpartition("@")[2]).geturl()
    config = AppiumClientConfig(
        remote_server_addr=address,
        username=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password or "") if parts.username else None,
        timeout=urllib3.Timeout(connect=connect_timeout_s, read=command_timeout_s),
        keep_alive=True,
        # No hidden retries: a command that times out has timed out (urllib3 would
        # send idempotent ones - screenshots, the session's DELETE - three more times).
        init_args_for_pool_manager={"init_args_for_pool_manager": {"retries": False}},
    )
    try:
        remote = webdriver.Remote(address, options=options, client_config=config)
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
    driver = driver_class(remote, where=where)
    try:
        yield driver
    finally:
        if driver.lost:
            short = urllib3.Timeout(connect=CLOSE_LOST_SESSION_S, read=CLOSE_LOST_SESSION_S)
            remote.command_executor.client_config.timeout = short
        try:
            remote.quit()
        except Exception as exc:  # the session may already be gone; nothing to free
            log.info("Closing the Appium session on %s failed: %s", where, exc)


# The engine's driver of each platform this module opens sessions for.
DRIVER_CLASSES: dict[str, type[AppiumDriver]] = {Platform.IOS: IosDriver}


def open_device_session(device: Device, app_id: str) -> AbstractContextManager[AppiumDriver]:
    """The registry's opener: a session on `device` with the server's timeouts."""
    return open_session(
        appium_url=device.appium_url,
        capabilities=build_capabilities(
            platform=device.platform, device_id=device.device_id, extra=device.capabilities
        ),
        device_label=device.device_id,
        connect_timeout_s=settings.APPIUM_CONNECT_TIMEOUT_S,
        command_timeout_s=settings.APPIUM_COMMAND_TIMEOUT_S,
        driver_class=DRIVER_CLASSES.get(device.platform, AppiumDriver),
    )
