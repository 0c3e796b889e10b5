"""What the engine needs from a device: the `Driver` protocol (plain Python).

Each kind of device implements it in this package (appium.py and ios.py for
phones and the simulated device, web.py for the web device); the engine's fast
tests use an in-process one (tests/scripted_driver.py). Errors are exceptions whose
text says what went wrong; `playback.engine.DeviceError` means the device is gone.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from playback.locators import Locator


class Driver(Protocol):
    """What the engine needs from a device. Errors are exceptions whose text says
    what went wrong; `DeviceError` means the device is gone."""

    reused: bool  # its session is a warm one an earlier run kept (drivers/session.py)

    def find(self, locator: Locator, timeout_ms: int) -> Any: ...

    def click(self, element: Any) -> None: ...

    def type_text(self, text: str, element: Any | None) -> None: ...

    def tap(self, x: int, y: int) -> None: ...

    def check(self, locator: Locator, text: str | None, timeout_ms: int) -> None:
        """Return once the element is displayed (and its text contains `text`)."""

    def swipe(
        self, start_x: int, start_y: int, end_x: int, end_y: int, duration_ms: int
    ) -> None: ...

    def visible(self, locator: Locator) -> bool:
        """One look, no wait: the element is there, displayed and on the screen."""

    def center(self, element: Any) -> tuple[int, int]:
        """The element's centre, in the screen's coordinates (taps' and swipes')."""

    def screen_size(self) -> tuple[int, int]: ...

    def long_press(self, x: int, y: int, duration_ms: int) -> None: ...

    def double_tap(self, x: int, y: int) -> None: ...

    def back(self) -> None: ...

    def hide_keyboard(self) -> None: ...

    def press_key(self, key: str) -> None:
        """One of playback.drivers.keys.KEYS."""

    def erase_text(self, count: int) -> None:
        """`count` backspaces into the focused element."""

    def open_link(self, url: str, app_id: str) -> None: ...

    def screenshot(self) -> bytes: ...

    def bounds(self, element: Any) -> tuple[int, int, int, int]:
        """The element's x, y, width, height in the screen's units (taps' units)."""

    def default_masks(self) -> list[tuple[int, int, int, int]]:
        """Areas a screen comparison leaves out by default (a phone's status bar)."""

    def steady_screenshot(self) -> bytes:
        """The screen for a comparison: PNG, as steady as the device can make it."""

    def start_recording(self, time_limit_s: int) -> None:
        """Start recording the screen (for at most `time_limit_s`)."""

    def stop_recording(self, **upload: str) -> str:
        """Stop recording: the video as base64, or "" once uploaded to `remotePath`."""

    def page_source(self) -> str:
        """The UI as text: the native hierarchy XML, or the page's HTML."""

    def terminate_app(self, app_id: str) -> None: ...

    def activate_app(self, app_id: str) -> None: ...

    def clear_app(self, app_id: str) -> None: ...

    def query_app_state(self, app_id: str) -> int: ...
