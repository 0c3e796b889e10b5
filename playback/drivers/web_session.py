"""The web device's browser and session: a headless Chromium per device with its own
profile (its app data), opened through Appium's Chromium driver; the driver that
plays on it: drivers/web.py."""

from __future__ import annotations

import contextlib
import copy
import hashlib
import logging
import os
import re
import signal
import socket
import time
from collections.abc import Iterator, Mapping
from contextlib import AbstractContextManager, ExitStack, contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from django.conf import settings

from playback.devices import sessions
from playback.drivers.capabilities import allowed_keys, full_name
from playback.drivers.session import open_session
from playback.drivers.web import WebDriver
from playback.engine import DeviceError
from playback.network import free_local_port, is_loopback_url
from playback.words import Platform

if TYPE_CHECKING:
    from playback.models import Device

log = logging.getLogger("playback.web")

# The phone a web device is, unless its capabilities say otherwise
# (`goog:chromeOptions.mobileEmulation`): a Pixel 8's viewport and touch screen, at
# 1 device pixel per CSS pixel: a screenshot costs a third of one at the Pixel's
# 2.625 (bench/web_device.py), and a device may ask for 2.625.
DEFAULT_PHONE = {
    "deviceMetrics": {"width": 412, "height": 915, "pixelRatio": 1.0, "touch": True},
    "userAgent": (
        "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 "
        "(KHTML, like Gecko) Chrome/156.0.0.0 Mobile Safari/537.36 PlaybackWebDevice"
    ),
}
# Headless, as root, on a machine without a display or an open network: no
# background connections, no first-run or update work.
CHROMIUM_ARGS = (
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--no-first-run",
    "--hide-scrollbars",
)
# How open_session words a server that answered but would not start the session.
SESSION_REFUSED = ("refused a session", "could not start a session")


def profile_of(device_id: str) -> Path:
    """The folder of a web device's browser profile (its app data): its id made safe
    for a file name (an id is free text: "../x" stays inside), and a hash of it."""
    safe = re.sub(r"[^A-Za-z0-9_-]+", "_", device_id)[:60]
    digest = hashlib.sha256(device_id.encode()).hexdigest()[:10]
    return Path(settings.PLAYBACK_WEB_PROFILES_DIR) / f"{safe}-{digest}"


def build_web_capabilities(
    *, device_id: str, extra: Mapping[str, Any] | None, chromedriver_port: int
) -> dict[str, Any]:
    """Capabilities for a Chromium session; the device's own (what it may set) win,
    and its `goog:chromeOptions` are merged into ours (its phone, its `args` added to
    ours). The device's profile persists, so its app data outlives a session as on a
    phone."""
    extra = dict(extra or {})
    profile = profile_of(device_id)
    chrome: dict[str, Any] = {
        "binary": settings.PLAYBACK_WEB_CHROMIUM,
        "args": [*CHROMIUM_ARGS, f"--user-data-dir={profile}"],
        "mobileEmulation": copy.deepcopy(DEFAULT_PHONE),
    }
    own = extra.pop("goog:chromeOptions", None)
    if isinstance(own, Mapping):
        # Only what a device may set (playback/drivers/capabilities.py refuses the rest
        # before a session opens; this merge never takes more).
        if isinstance(own.get("mobileEmulation"), Mapping):
            chrome["mobileEmulation"] = copy.deepcopy(dict(own["mobileEmulation"]))
        if isinstance(own.get("args"), list):
            chrome["args"] += [arg for arg in own["args"] if arg not in chrome["args"]]
    caps: dict[str, Any] = {
        "platformName": "linux",
        "browserName": "chrome",
        "appium:automationName": "Chromium",
        "appium:executable": settings.PLAYBACK_WEB_CHROMEDRIVER,
        "appium:autodownloadEnabled": False,  # nothing downloads at run time
        # Each session its own chromedriver: the driver kills any other on its port.
        "appium:chromedriverPort": chromedriver_port,
        "appium:newCommandTimeout": sessions.new_command_timeout_s(),
        "goog:chromeOptions": chrome,
    }
    allowed = set(allowed_keys(Platform.WEB))
    caps.update({key: value for key, value in extra.items() if full_name(key) in allowed})
    return caps


def missing_browser(capabilities: Mapping[str, Any]) -> str | None:
    """The path of Chromium or its chromedriver when either is not installed here."""
    chrome = capabilities.get("goog:chromeOptions") or {}
    for path in (chrome.get("binary"), capabilities.get("appium:executable")):
        if isinstance(path, str) and path and not os.access(path, os.X_OK):
            return path
    return None


def stop_stale_browser(profile: Path, *, wait_s: float = 3.0) -> bool:
    """Stop a Chromium left running on this profile (by a run whose worker was killed):
    a new Chromium on a profile in use hands over to the old one and exits, so the
    device could not play until Appium drops the abandoned session. A device plays one
    run at a time, so any Chromium on its profile is stale. Local processes only."""
    try:
        owner = os.readlink(profile / "SingletonLock")  # "<host>-<pid>"
    except OSError:
        return False
    host, _, pid = owner.rpartition("-")
    if host != socket.gethostname() or not pid.isdigit():
        return False
    try:
        command = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False
    if f"--user-data-dir={profile}".encode() not in command:
        return False
    with contextlib.suppress(ProcessLookupError):
        os.kill(int(pid), signal.SIGTERM)
        deadline = time.monotonic() + wait_s
        while Path(f"/proc/{pid}").exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        if Path(f"/proc/{pid}").exists():
            os.kill(int(pid), signal.SIGKILL)
    return True


@contextmanager
def open_web_session(device: Device, app_id: str) -> Iterator[WebDriver]:
    capabilities = build_web_capabilities(
        device_id=device.device_id, extra=device.capabilities, chromedriver_port=free_local_port()
    )
    local = is_loopback_url(device.appium_url)
    if local:
        missing = missing_browser(capabilities)
        if missing:
            raise DeviceError(
                f"Chromium not found ({missing} is missing) for web device "
                f"{device.device_id}: run make install"
            )

    def before_new() -> None:
        # Not before a warm session: its Chromium is the one on the profile.
        if local and stop_stale_browser(profile_of(device.device_id)):
            log.warning("Stopped a stale Chromium on web device %s's profile", device.device_id)

    with ExitStack() as stack:
        try:
            driver = stack.enter_context(
                open_session(
                    appium_url=device.appium_url,
                    capabilities=capabilities,
                    device_label=device.device_id,
                    connect_timeout_s=settings.APPIUM_CONNECT_TIMEOUT_S,
                    command_timeout_s=settings.APPIUM_COMMAND_TIMEOUT_S,
                    driver_class=WebDriver,
                    warm=sessions.warm_record(device),
                    before_new=before_new,
                )
            )
        except DeviceError as exc:
            if any(words in str(exc) for words in SESSION_REFUSED):
                raise DeviceError(
                    f"{exc} (Chromium not found or would not start on the Appium "
                    "server's host: run make install there)"
                ) from exc
            raise
        yield driver


def open_device_session(device: Device, app_id: str) -> AbstractContextManager[WebDriver]:
    """The registry's opener for `web` devices."""
    return open_web_session(device, app_id)
