"""The web device: a mobile web app in headless Chromium, through Appium's Chromium
driver (npm `appium-chromium-driver`, Debian `chromium` + `chromium-driver`).

The app's id is its start URL. The lifecycle a phone has is played on the page:
terminate = leave the app (about:blank), activate = open the start URL, clear =
the origin's cookies (through WebDriver) and its storage (from the page: the
driver has no CDP pass-through), state 4 = the app's page is loaded. `id` and
`accessibility id` locators become CSS (the driver knows only WebDriver's own
strategies). Taps and swipes are the W3C touch pointer actions of `AppiumDriver`,
in CSS pixels of the emulated phone; a swipe really scrolls.
"""

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
from urllib.parse import urlsplit

from django.conf import settings

from playback.drivers.appium import (
    NEW_COMMAND_TIMEOUT_S,
    AppiumDriver,
    CommandFailed,
    open_session,
)
from playback.drivers.capabilities import allowed_keys, full_name
from playback.engine import DeviceError, Locator
from playback.network import free_local_port, is_loopback_url, web_url_problem
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
STATE_NOT_RUNNING, STATE_LOADING, STATE_LOADED = 1, 2, 4

# The origin's storage, cleared from one of its pages (IndexedDB and the Cache API
# are asynchronous; service workers are unregistered so none serves old files).
CLEAR_STORAGE = """
const done = arguments[arguments.length - 1];
const quiet = (p) => Promise.resolve(p).catch(() => undefined);
(async () => {
  try { localStorage.clear(); } catch (e) {}
  try { sessionStorage.clear(); } catch (e) {}
  if (indexedDB && indexedDB.databases) {
    for (const db of await quiet(indexedDB.databases()) || []) {
      await quiet(new Promise((ok) => {
        const req = indexedDB.deleteDatabase(db.name);
        req.onsuccess = req.onerror = req.onblocked = ok;
      }));
    }
  }
  if (self.caches) {
    for (const key of await quiet(caches.keys()) || []) { await quiet(caches.delete(key)); }
  }
  if (navigator.serviceWorker) {
    for (const reg of await quiet(navigator.serviceWorker.getRegistrations()) || []) {
      await quiet(reg.unregister());
    }
  }
})().then(() => done(true), (e) => done(String(e)));
"""
PAGE_STATE = "return [document.readyState, location.href]"
PAGE_URL = "return location.href"
TYPE_CHUNK = 500  # characters typed per command
# Pages a web device may show whatever their host: the blank page it leaves an app
# for, Chromium's own error page, and a page made from its own URL.
HOSTLESS_SCHEMES = ("about", "chrome-error", "data")
# How open_session words a server that answered but would not start the session.
SESSION_REFUSED = ("refused a session", "could not start a session")


def css_string(value: str) -> str:
    """`value` as a CSS string literal (for an attribute selector)."""
    escaped = value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\a ")
    return f'"{escaped}"'


def origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


class ForbiddenPage(CommandFailed):
    """The device is on a page it may not open (PLAYBACK_WEB_ALLOWED_HOSTS); it left
    it, and nothing of it was kept."""


class WebDriver(AppiumDriver):
    """The engine's `Driver` on a Chromium session (a page is the app).

    Every page it opens is checked against PLAYBACK_WEB_ALLOWED_HOSTS before and
    after it loads (a redirect may lead anywhere), and the page is checked again
    before its screen or source is taken (a tap may have followed a link): on a page
    it may not show, the device goes to about:blank and the step fails, with
    nothing of that page kept.
    """

    def __init__(self, remote: Any, *, where: str):
        super().__init__(remote, where=where)
        self.allowed_origins: set[str] = set()  # checked once a session

    def page_problem(self, url: str) -> str | None:
        """Why the device may not show the page at `url`, or None."""
        scheme = urlsplit(url).scheme.lower()
        if scheme in HOSTLESS_SCHEMES:
            return None
        if scheme not in ("http", "https"):
            return f"a {scheme}: page is never shown"
        if origin(url) in self.allowed_origins:
            return None
        problem = web_url_problem(url)
        if problem is None:
            self.allowed_origins.add(origin(url))
        return problem

    def leave_if_forbidden(self, url: str) -> None:
        """Raise `ForbiddenPage` (after leaving it) when the device is on such a page."""
        problem = self.page_problem(url)
        if problem is None:
            return
        self._call("leaving a forbidden page", lambda: self.remote.get("about:blank"))
        raise ForbiddenPage(
            f"The page went to {origin(url)}, which a web device may not open: {problem} "
            "(nothing of that page was kept)"
        )

    def open_page(self, url: str, what: str) -> None:
        """Open `url` if it may be opened, then check where it ended up."""
        problem = web_url_problem(url)
        if problem is not None:
            raise ForbiddenPage(f"{what} failed: {url[:200]} may not be opened: {problem}")
        self._call(what, lambda: self.remote.get(url))
        self.leave_if_forbidden(self._page()[1])

    # A tap (a click, typing Enter, a swipe) may follow a link: the step fails when
    # it led somewhere the device may not go.
    def click(self, element: Any) -> None:
        super().click(element)
        self.leave_if_forbidden(self._href())

    def tap(self, x: int, y: int) -> None:
        super().tap(x, y)
        self.leave_if_forbidden(self._href())

    def type_text(self, text: str, element: Any | None) -> None:
        # In chunks, each one command: the browser's cost per character grows with the
        # field's value, and 10,000 characters in one command took 13-21 s here, close
        # to (and on a loaded host past) APPIUM_COMMAND_TIMEOUT_S.
        for start in range(0, max(len(text), 1), TYPE_CHUNK):
            super().type_text(text[start : start + TYPE_CHUNK], element)
        self.leave_if_forbidden(self._href())

    def swipe(self, start_x: int, start_y: int, end_x: int, end_y: int, duration_ms: int) -> None:
        super().swipe(start_x, start_y, end_x, end_y, duration_ms)
        self.leave_if_forbidden(self._href())

    def screenshot(self) -> bytes:
        self.leave_if_forbidden(self._href())
        return super().screenshot()

    def page_source(self) -> str:
        self.leave_if_forbidden(self._href())
        return super().page_source()

    def _href(self) -> str:
        return str(
            self._call("reading the page's URL", lambda: self.remote.execute_script(PAGE_URL))
        )

    def locate(self, locator: Locator) -> tuple[str, str]:
        if locator.using == "id":
            return "css selector", f"[id={css_string(locator.value)}]"
        if locator.using == "accessibility id":
            return "css selector", f"[aria-label={css_string(locator.value)}]"
        return locator.using, locator.value

    def _page(self) -> tuple[str, str]:
        ready, href = self._call(
            "reading the page's state", lambda: self.remote.execute_script(PAGE_STATE)
        )
        return str(ready), str(href)

    def terminate_app(self, app_id: str) -> None:
        self._call(f"leaving {app_id}", lambda: self.remote.get("about:blank"))

    def activate_app(self, app_id: str) -> None:
        self.open_page(app_id, f"opening {app_id}")

    def clear_app(self, app_id: str) -> None:
        what = f"clearing the data of {app_id}"
        if origin(self._page()[1]) != origin(app_id):
            self.open_page(app_id, what)  # storage is per origin
        self._call(what, self.remote.delete_all_cookies)
        result = self._call(what, lambda: self.remote.execute_async_script(CLEAR_STORAGE))
        if result is not True:
            raise CommandFailed(f"{what} failed: {result}")
        # Clearing stops the app, as `pm clear` does on a phone.
        self.terminate_app(app_id)

    def query_app_state(self, app_id: str) -> int:
        ready, href = self._page()
        self.leave_if_forbidden(href)  # a redirect at launch: fail now, not at the timeout
        if origin(href) != origin(app_id):
            return STATE_NOT_RUNNING
        return STATE_LOADED if ready == "complete" else STATE_LOADING


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
        "appium:newCommandTimeout": NEW_COMMAND_TIMEOUT_S,
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
    if is_loopback_url(device.appium_url):
        missing = missing_browser(capabilities)
        if missing:
            raise DeviceError(
                f"Chromium not found ({missing} is missing) for web device "
                f"{device.device_id}: run make install"
            )
        if stop_stale_browser(profile_of(device.device_id)):
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
