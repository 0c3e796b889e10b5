"""The engine's Driver on the Appium-Python-Client.

`open_session()` builds the capabilities from a device, opens a session with
bounded connect/command timeouts, yields an `AppiumDriver` and always closes the
session. Errors come out as one-line messages: `DeviceError` when the server or
the session is gone (the run cannot go on), `CommandFailed` for everything a retry
may fix (element not there yet, not clickable, ...).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import unquote, urlsplit

import urllib3
from appium import webdriver
from appium.options.common.base import AppiumOptions
from appium.webdriver.client_config import AppiumClientConfig
from appium.webdriver.common.appiumby import AppiumBy
from django.conf import settings
from selenium.common.exceptions import (
    InvalidSessionIdException,
    NoSuchDriverException,
    NoSuchElementException,
    SessionNotCreatedException,
    StaleElementReferenceException,
    TimeoutException,
    WebDriverException,
)
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.support.wait import WebDriverWait

from playback.engine import DeviceError, Locator
from playback.network import redacted, webdriver_status
from playback.words import Platform

if TYPE_CHECKING:
    from playback.models import Device

log = logging.getLogger("playback.appium")

T = TypeVar("T")

# platform -> (platformName, appium:automationName); the web device: drivers/web.py
PLATFORM_CAPABILITIES = {
    Platform.ANDROID: ("Android", "UiAutomator2"),
    Platform.IOS: ("iOS", "XCUITest"),
    Platform.SIM: ("Fake", "Fake"),
}
LOCATOR_BY = {
    "accessibility id": AppiumBy.ACCESSIBILITY_ID,
    "id": AppiumBy.ID,
    "xpath": AppiumBy.XPATH,
    "class name": AppiumBy.CLASS_NAME,
    "-android uiautomator": AppiumBy.ANDROID_UIAUTOMATOR,
    "-ios predicate string": AppiumBy.IOS_PREDICATE,
    "-ios class chain": AppiumBy.IOS_CLASS_CHAIN,
    "css selector": AppiumBy.CSS_SELECTOR,
}
ELEMENT_POLL_S = 0.05
# Seconds Appium keeps an abandoned session (a killed worker) before closing it.
NEW_COMMAND_TIMEOUT_S = 120
# Closing the session of a device already lost (it hung or went away) waits this long
# at most: the server frees an abandoned session itself (NEW_COMMAND_TIMEOUT_S).
CLOSE_LOST_SESSION_S = 1.0


class CommandFailed(Exception):
    """A device command failed in a way a retry may fix."""


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


def _first_line(exc: WebDriverException) -> str:
    text = (exc.msg or type(exc).__name__).split("; For documentation")[0]
    return text.strip().splitlines()[0] if text.strip() else type(exc).__name__


def _is_transport_error(exc: BaseException) -> bool:
    return isinstance(exc, (urllib3.exceptions.HTTPError, OSError))


def _transport_reason(exc: BaseException) -> str:
    """What went wrong on the wire, in words (urllib3 wraps the cause in MaxRetryError)."""
    cause = getattr(exc, "reason", None) or exc
    if isinstance(cause, (urllib3.exceptions.ReadTimeoutError, TimeoutError)):
        return "no answer in time (the device or its Appium server hangs)"
    if isinstance(cause, (urllib3.exceptions.NewConnectionError, ConnectionRefusedError)):
        return "connection refused (is the Appium server running?)"
    if isinstance(cause, urllib3.exceptions.ProtocolError):
        return "the connection was dropped"
    return str(cause)


class AppiumDriver:
    """The engine's `Driver` on one open Appium session."""

    def __init__(self, remote: webdriver.Remote, *, where: str):
        self.remote = remote
        self.where = where  # "device X via http://..." for messages
        self.lost = False  # the server stopped answering or went away

    def _call(self, what: str, fn: Callable[[], T]) -> T:
        try:
            return fn()
        except (InvalidSessionIdException, NoSuchDriverException) as exc:
            raise DeviceError(
                f"the Appium session on {self.where} ended during {what}: {_first_line(exc)}"
            ) from exc
        except WebDriverException as exc:
            raise CommandFailed(f"{what} failed: {_first_line(exc)}") from exc
        except Exception as exc:
            if _is_transport_error(exc):
                self.lost = True
                reason = _transport_reason(exc)
                raise DeviceError(
                    f"lost contact with {self.where} during {what}: {reason}"
                ) from exc
            raise

    def locate(self, locator: Locator) -> tuple[str, str]:
        """The WebDriver strategy and value that find `locator` on this device."""
        return LOCATOR_BY[locator.using], locator.value

    def find(self, locator: Locator, timeout_ms: int) -> Any:
        by, value = self.locate(locator)

        def wait() -> Any:
            waiter = WebDriverWait(
                self.remote,
                timeout_ms / 1000,
                poll_frequency=ELEMENT_POLL_S,
                ignored_exceptions=(NoSuchElementException,),
            )
            try:
                return waiter.until(lambda d: d.find_element(by, value))
            except TimeoutException:
                raise CommandFailed(
                    f"Element not found: {locator} (waited {timeout_ms} ms)"
                ) from None

        return self._call(f"finding {locator}", wait)

    def check(self, locator: Locator, text: str | None, timeout_ms: int) -> None:
        by, value = self.locate(locator)
        last = ["not found"]  # what the last look saw, for the message

        def shown(remote: webdriver.Remote) -> bool:
            try:
                element = remote.find_element(by, value)
            except NoSuchElementException:
                last[0] = "not found"
                return False
            if not element.is_displayed():
                last[0] = "found but not displayed"
                return False
            if text is None:
                return True
            actual = element.text or ""
            last[0] = f"its text is {actual[:200]!r}"
            return text in actual

        def wait() -> None:
            waiter = WebDriverWait(
                self.remote,
                timeout_ms / 1000,
                poll_frequency=ELEMENT_POLL_S,
                ignored_exceptions=(StaleElementReferenceException,),
            )
            try:
                waiter.until(shown)
            except TimeoutException:
                want = f" with text containing {text!r}" if text is not None else ""
                raise CommandFailed(
                    f"Assertion failed: {locator} not displayed{want} "
                    f"(waited {timeout_ms} ms; {last[0]})"
                ) from None

        self._call(f"checking {locator}", wait)

    def click(self, element: Any) -> None:
        self._call("click", element.click)

    def type_text(self, text: str, element: Any | None) -> None:
        if element is not None:
            self._call("typing", lambda: element.send_keys(text))
        else:
            # W3C key actions go to whatever element has the focus.
            self._call("typing", lambda: ActionChains(self.remote).send_keys(text).perform())

    def tap(self, x: int, y: int) -> None:
        self._call(f"tap at ({x}, {y})", lambda: self.remote.tap([(x, y)]))

    def swipe(self, start_x: int, start_y: int, end_x: int, end_y: int, duration_ms: int) -> None:
        self._call(
            "swipe",
            lambda: self.remote.swipe(start_x, start_y, end_x, end_y, duration_ms),
        )

    def screenshot(self) -> bytes:
        return self._call("screenshot", self.remote.get_screenshot_as_png)

    def page_source(self) -> str:
        return self._call("reading the UI source", lambda: self.remote.page_source)

    def terminate_app(self, app_id: str) -> None:
        self._call(f"terminating {app_id}", lambda: self.remote.terminate_app(app_id))

    def activate_app(self, app_id: str) -> None:
        self._call(f"launching {app_id}", lambda: self.remote.activate_app(app_id))

    def clear_app(self, app_id: str) -> None:
        self._call(
            f"clearing the data of {app_id}",
            lambda: self.remote.execute_script("mobile: clearApp", {"appId": app_id}),
        )

    def query_app_state(self, app_id: str) -> int:
        return int(self._call(f"querying {app_id}", lambda: self.remote.query_app_state(app_id)))


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
                f"Appium at {shown} refused a session for device {device_label}: {_first_line(exc)}"
            ) from exc
        raise _not_appium(shown, device_label) from exc
    except Exception as exc:
        if _is_transport_error(exc):
            raise DeviceError(
                f"Appium server {shown} for device {device_label} is unreachable: "
                f"{_transport_reason(exc)}"
            ) from exc
        if (
            isinstance(exc, WebDriverException)
            and webdriver_status(appium_url, timeout_s=connect_timeout_s).answers
        ):
            # A WebDriver server's own error: its message is Appium's own words.
            raise DeviceError(
                f"Appium at {shown} could not start a session for device "
                f"{device_label}: {_first_line(exc)}"
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
    )
