"""The engine's Driver on the Appium-Python-Client (Android's calls; the simulated
device answers the same ones, iOS's own: drivers/ios.py; sessions: drivers/session.py).

Errors come out as one-line messages: `DeviceError` when the server or the session
is gone (the run cannot go on), `CommandFailed` for everything a retry may fix
(element not there yet, not clickable, ...).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import urllib3
from appium import webdriver
from appium.webdriver.common.appiumby import AppiumBy
from selenium.common.exceptions import (
    InvalidSessionIdException,
    NoSuchDriverException,
    NoSuchElementException,
    StaleElementReferenceException,
    TimeoutException,
    WebDriverException,
)
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.support.wait import WebDriverWait

from playback.drivers import gestures, text_locators
from playback.drivers.keys import BACKSPACE, KEYS
from playback.engine import DeviceError
from playback.locators import Locator

T = TypeVar("T")

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


class CommandFailed(Exception):
    """A device command failed in a way a retry may fix."""


def first_line(exc: WebDriverException) -> str:
    text = (exc.msg or type(exc).__name__).split("; For documentation")[0]
    return text.strip().splitlines()[0] if text.strip() else type(exc).__name__


def is_transport_error(exc: BaseException) -> bool:
    return isinstance(exc, (urllib3.exceptions.HTTPError, OSError))


def transport_reason(exc: BaseException) -> str:
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
        self.broken = False  # a command found the session or its server gone
        self.reused = False  # the session is a warm one an earlier run kept

    def _call(self, what: str, fn: Callable[[], T]) -> T:
        try:
            return fn()
        except (InvalidSessionIdException, NoSuchDriverException) as exc:
            self.broken = True
            raise DeviceError(
                f"the Appium session on {self.where} ended during {what}: {first_line(exc)}"
            ) from exc
        except WebDriverException as exc:
            raise CommandFailed(f"{what} failed: {first_line(exc)}") from exc
        except Exception as exc:
            if is_transport_error(exc):
                self.lost = self.broken = True
                reason = transport_reason(exc)
                raise DeviceError(
                    f"lost contact with {self.where} during {what}: {reason}"
                ) from exc
            raise

    def locate(self, locator: Locator) -> tuple[str, str]:
        """The WebDriver strategy and value that find `locator` on this device."""
        return LOCATOR_BY[locator.using], locator.value

    def text_matches(self, locator: Locator) -> list[Any]:
        """The elements a `text` locator finds, in order: Android's (and the simulated
        device's) by their text, then by their content-desc."""
        found: list[Any] = []
        for attribute in ("text", "description"):
            selector = text_locators.ui_selector(attribute, locator.value, regex=locator.regex)
            for element in self.remote.find_elements(AppiumBy.ANDROID_UIAUTOMATOR, selector):
                if element not in found:
                    found.append(element)
        return found

    def lookup(self, locator: Locator) -> Any:
        """The element `locator` finds now (its `index`-th match); NoSuchElementException
        when there is none."""
        if locator.using == "text":
            found = self.text_matches(locator)
        elif locator.index is None:
            return self.remote.find_element(*self.locate(locator))
        else:
            found = self.remote.find_elements(*self.locate(locator))
        index = locator.index or 0
        if index >= len(found):
            raise NoSuchElementException(f"{len(found)} found, no match number {index}")
        return found[index]

    def find(self, locator: Locator, timeout_ms: int) -> Any:
        def wait() -> Any:
            waiter = WebDriverWait(
                self.remote,
                timeout_ms / 1000,
                poll_frequency=ELEMENT_POLL_S,
                ignored_exceptions=(NoSuchElementException,),
            )
            try:
                return waiter.until(lambda d: self.lookup(locator))
            except TimeoutException:
                raise CommandFailed(
                    f"Element not found: {locator} (waited {timeout_ms} ms)"
                ) from None

        return self._call(f"finding {locator}", wait)

    def check(self, locator: Locator, text: str | None, timeout_ms: int) -> None:
        last = ["not found"]  # what the last look saw, for the message

        def shown(remote: webdriver.Remote) -> bool:
            try:
                element = self.lookup(locator)
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

    def visible(self, locator: Locator) -> bool:
        def look() -> bool:
            try:
                return bool(self.shown(self.lookup(locator)))
            except (NoSuchElementException, StaleElementReferenceException):
                return False

        return self._call(f"looking for {locator}", look)

    def shown(self, element: Any) -> bool:
        """Displayed, as the platform's automation says (it knows the screen)."""
        return element.is_displayed()

    def center(self, element: Any) -> tuple[int, int]:
        rect = self._call("reading an element's bounds", lambda: element.rect)
        return round(rect["x"] + rect["width"] / 2), round(rect["y"] + rect["height"] / 2)

    def screen_size(self) -> tuple[int, int]:
        size = self._call("reading the screen's size", self.remote.get_window_size)
        return int(size["width"]), int(size["height"])

    def long_press(self, x: int, y: int, duration_ms: int) -> None:
        self._call(
            f"long press at ({x}, {y})",
            lambda: gestures.presses(self.remote, x, y, [duration_ms]),
        )

    def double_tap(self, x: int, y: int) -> None:
        self._call(
            f"double tap at ({x}, {y})",
            lambda: gestures.presses(self.remote, x, y, gestures.DOUBLE_TAP_MS),
        )

    def back(self) -> None:
        self._call("going back", self.remote.back)

    def hide_keyboard(self) -> None:
        def hide() -> None:
            if self.remote.is_keyboard_shown():
                self.remote.hide_keyboard()

        self._call("hiding the keyboard", hide)

    def press_key(self, key: str) -> None:
        code = KEYS[key].android
        self._call(f"pressing {key}", lambda: self.remote.press_keycode(code))

    def type_keys(self, keys: str, what: str) -> None:
        """WebDriver keys (W3C key actions) into whatever element has the focus."""
        self._call(what, lambda: ActionChains(self.remote).send_keys(keys).perform())

    def erase_text(self, count: int) -> None:
        self.type_keys(BACKSPACE * count, f"erasing {count} characters")

    def open_link(self, url: str, app_id: str) -> None:
        self._call(
            f"opening {url[:200]}",
            lambda: self.remote.execute_script("mobile: deepLink", {"url": url, "package": app_id}),
        )

    def click(self, element: Any) -> None:
        self._call("click", element.click)

    def type_text(self, text: str, element: Any | None) -> None:
        if element is not None:
            self._call("typing", lambda: element.send_keys(text))
        else:
            self.type_keys(text, "typing")

    def tap(self, x: int, y: int) -> None:
        self._call(f"tap at ({x}, {y})", lambda: self.remote.tap([(x, y)]))

    def swipe(self, start_x: int, start_y: int, end_x: int, end_y: int, duration_ms: int) -> None:
        self._call(
            "swipe",
            lambda: self.remote.swipe(start_x, start_y, end_x, end_y, duration_ms),
        )

    def screenshot(self) -> bytes:
        return self._call("screenshot", self.remote.get_screenshot_as_png)

    def bounds(self, element: Any) -> tuple[int, int, int, int]:
        """The element's x, y, width and height, in the screen's units."""
        rect = self._call("reading an element's bounds", lambda: element.rect)
        return tuple(round(rect[k]) for k in ("x", "y", "width", "height"))  # type: ignore[return-value]

    def default_masks(self) -> list[tuple[int, int, int, int]]:
        """What a screen comparison leaves out by default: Android's status bar (its
        clock and icons change on their own); none where the device has none."""
        try:
            bars = self.remote.execute_script("mobile: getSystemBars")
        except WebDriverException:  # not an Android device (the simulated one)
            return []
        bar = (bars or {}).get("statusBar") or {}
        if not bar.get("visible", True) or not bar.get("height"):
            return []
        return [(bar.get("x", 0), bar.get("y", 0), bar["width"], bar["height"])]

    def steady_screenshot(self) -> bytes:
        """The screen for a comparison with a baseline."""
        return self.screenshot()

    def start_recording(self, time_limit_s: int) -> None:
        """Appium's screen recording (a new one, whatever was recording)."""
        self._call(
            "starting the screen recording",
            lambda: self.remote.start_recording_screen(timeLimit=time_limit_s, forceRestart=True),
        )

    def stop_recording(self, **upload: str) -> str:
        """The video as base64, or "" once uploaded (`remotePath`, `method`, ...)."""
        return self._call(
            "stopping the screen recording", lambda: self.remote.stop_recording_screen(**upload)
        )

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
