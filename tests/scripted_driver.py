"""An in-process Driver for fast engine tests: it follows a script, keeps a log of
every call and runs on a fake clock (no real sleeping)."""

from __future__ import annotations

import base64
import urllib.request
from dataclasses import dataclass, field

from playback.engine import APP_FOREGROUND, DeviceError
from playback.locators import Locator


@dataclass
class FakeClock:
    now: float = 1000.0
    sleeps: list[float] = field(default_factory=list)

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


class ScriptedDriver:
    """Fails the first N lookups/clicks/gestures of a target, as scripted.

    - `find_failures={"login": 2}`: the first 2 lookups of a locator whose value is
      "login" fail with "Element not found".
    - `click_failures={"login": 1}`, `tap_failures=1`, `swipe_failures=1`, `type_failures=1`.
    - `texts={"title": "Welcome"}`: what an element shows (`assert`); failures of a
      check come from `find_failures`.
    - `launch_polls=3`: after a launch the app reports state 2 for 3 queries, then 4.
    - `lost_at_call=N`: the Nth action call raises DeviceError (session gone).
    - `shown_after={"row-9": 3}`: `visible` says no for the first 3 looks at that
      element, then yes; `shown_until={"spinner": 2}`: yes for 2 looks, then no; any
      other element is visible.
    - `screen=(w, h)`: the screen's size; an element's centre is (10, 20).
    - `video=b"..."`: what its screen recording answers (uploaded with a PUT when asked
      to, as Appium does); `recording_error="..."`: starting to record fails. Its
      recording calls are in `recordings`, not in `calls`.
    - `screens=[png, ...]`: what assert_screen's shots show, one each, the last one
      again and again; `element_bounds={"banner": (x, y, w, h)}`; `system_bars`.
    """

    reused = False  # a fresh session each run (warm sessions: drivers/session.py)

    def __init__(
        self,
        *,
        clock: FakeClock | None = None,
        find_failures: dict[str, int] | None = None,
        click_failures: dict[str, int] | None = None,
        tap_failures: int = 0,
        swipe_failures: int = 0,
        type_failures: int = 0,
        launch_polls: int = 0,
        running: bool = True,
        installed: bool = True,
        screenshot_error: str | None = None,
        lost_at_call: int | None = None,
        step_cost_s: float = 0.01,
        texts: dict[str, str] | None = None,
        source_error: str | None = None,
        shown_after: dict[str, int] | None = None,
        shown_until: dict[str, int] | None = None,
        screen: tuple[int, int] = (1080, 2280),
        video: bytes = b"\x1a\x45\xdf\xa3 a scripted video",
        recording_error: str | None = None,
        screens: list[bytes] | None = None,
        element_bounds: dict[str, tuple[int, int, int, int]] | None = None,
        system_bars: list[tuple[int, int, int, int]] | None = None,
    ):
        self.clock = clock or FakeClock()
        self.find_failures = dict(find_failures or {})
        self.click_failures = dict(click_failures or {})
        self.failures = {"tap": tap_failures, "swipe": swipe_failures, "type": type_failures}
        self.launch_polls = launch_polls
        self.polls_left = 0
        self.running = running
        self.installed = installed
        self.screenshot_error = screenshot_error
        self.lost_at_call = lost_at_call
        self.step_cost_s = step_cost_s
        self.texts = dict(texts or {})
        self.source_error = source_error
        self.shown_after = dict(shown_after or {})
        self.shown_until = dict(shown_until or {})
        self.screen = screen
        self.calls: list[tuple] = []
        self.action_calls = 0
        self.video = video
        self.recording_error = recording_error
        self.recordings: list[tuple] = []
        self.screens = list(screens or [b"\x89PNG fake"])
        self.element_bounds = dict(element_bounds or {})
        self.system_bars = list(system_bars or [])

    def _act(self, *call: object) -> None:
        self.calls.append(call)
        self.clock.now += self.step_cost_s
        self.action_calls += 1
        if self.lost_at_call is not None and self.action_calls >= self.lost_at_call:
            raise DeviceError("session abc is gone (simulated)")

    def _consume(self, table: dict[str, int], key: str) -> bool:
        if table.get(key, 0) > 0:
            table[key] -= 1
            return True
        return False

    # --- Driver protocol -----------------------------------------------------
    def find(self, locator: Locator, timeout_ms: int) -> str:
        self._act("find", locator.value, timeout_ms)
        if self._consume(self.find_failures, locator.value):
            raise LookupError(f"Element not found: {locator}")
        return locator.value

    def click(self, element: str) -> None:
        self._act("click", element)
        if self._consume(self.click_failures, element):
            raise RuntimeError(f"Element {element} is not clickable")

    def check(self, locator: Locator, text: str | None, timeout_ms: int) -> None:
        self._act("assert", locator.value, text, timeout_ms)
        if self._consume(self.find_failures, locator.value):
            raise LookupError(f"Assertion failed: {locator} not displayed (not found)")
        shown = self.texts.get(locator.value, "")
        if text is not None and text not in shown:
            raise LookupError(f"Assertion failed: {locator} shows {shown!r}, not {text!r}")

    def type_text(self, text: str, element: str | None) -> None:
        self._act("type", text, element)
        if self._consume(self.failures, "type"):
            raise RuntimeError("No element has the focus")

    def tap(self, x: int, y: int) -> None:
        self._act("tap", x, y)
        if self._consume(self.failures, "tap"):
            raise RuntimeError("Tap failed")

    def swipe(self, start_x: int, start_y: int, end_x: int, end_y: int, duration_ms: int) -> None:
        self._act("swipe", start_x, start_y, end_x, end_y, duration_ms)
        if self._consume(self.failures, "swipe"):
            raise RuntimeError("Swipe failed")

    def visible(self, locator: Locator) -> bool:
        self._act("visible", locator.value)
        if locator.value in self.shown_until:
            self.shown_until[locator.value] -= 1
            return self.shown_until[locator.value] >= 0
        return not self._consume(self.shown_after, locator.value)

    def center(self, element: str) -> tuple[int, int]:
        self.calls.append(("center", element))
        return 10, 20

    def screen_size(self) -> tuple[int, int]:
        self.calls.append(("screen_size",))
        return self.screen

    def long_press(self, x: int, y: int, duration_ms: int) -> None:
        self._act("long_press", x, y, duration_ms)

    def double_tap(self, x: int, y: int) -> None:
        self._act("double_tap", x, y)

    def back(self) -> None:
        self._act("back")

    def hide_keyboard(self) -> None:
        self._act("hide_keyboard")

    def press_key(self, key: str) -> None:
        self._act("press_key", key)

    def erase_text(self, count: int) -> None:
        self._act("erase_text", count)

    def open_link(self, url: str, app_id: str) -> None:
        self._act("open_link", url, app_id)

    def screenshot(self) -> bytes:
        self.calls.append(("screenshot",))
        if self.screenshot_error:
            raise RuntimeError(self.screenshot_error)
        return b"\x89PNG fake"

    def bounds(self, element: str) -> tuple[int, int, int, int]:
        self._act("bounds", element)
        return self.element_bounds.get(element, (0, 0, 10, 10))

    def default_masks(self) -> list[tuple[int, int, int, int]]:
        return list(self.system_bars)

    def steady_screenshot(self) -> bytes:
        self.calls.append(("steady_screenshot",))
        return self.screens.pop(0) if len(self.screens) > 1 else self.screens[0]

    def start_recording(self, time_limit_s: int) -> None:
        self.recordings.append(("start", time_limit_s))
        if self.recording_error:
            raise RuntimeError(self.recording_error)

    def stop_recording(self, **upload: str) -> str:
        self.recordings.append(("stop", upload))
        if not upload.get("remotePath"):
            return base64.b64encode(self.video).decode()
        request = urllib.request.Request(upload["remotePath"], data=self.video, method="PUT")
        urllib.request.urlopen(request, timeout=5).close()
        return ""

    def page_source(self) -> str:
        self.calls.append(("page_source",))
        if self.source_error:
            raise RuntimeError(self.source_error)
        return f"<hierarchy after='{len(self.calls)}'/>"

    def terminate_app(self, app_id: str) -> None:
        self.calls.append(("terminate_app", app_id))
        self.running = False

    def activate_app(self, app_id: str) -> None:
        self.calls.append(("activate_app", app_id))
        if not self.installed:
            raise RuntimeError(f"The application '{app_id}' is not installed on the device")
        if not self.running:
            self.running = True
            self.polls_left = self.launch_polls

    def clear_app(self, app_id: str) -> None:
        self.calls.append(("clear_app", app_id))
        self.running = False

    def query_app_state(self, app_id: str) -> int:
        self.calls.append(("query_app_state", app_id))
        if not self.installed:
            return 0
        if not self.running:
            return 1
        if self.polls_left > 0:
            self.polls_left -= 1
            return 2
        return APP_FOREGROUND

    # --- for assertions --------------------------------------------------------
    def names(self) -> list[str]:
        return [call[0] for call in self.calls]
