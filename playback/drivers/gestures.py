"""Touch gestures as W3C pointer actions (one `performActions` call each): what
Android, iOS, the web device (a touch screen) and the simulated device all read."""

from __future__ import annotations

from typing import Any

from selenium.webdriver.common.actions import interaction
from selenium.webdriver.common.actions.action_builder import ActionBuilder
from selenium.webdriver.common.actions.pointer_input import PointerInput

# A double tap: two short presses with a short gap (Android's limit is 300 ms).
DOUBLE_TAP_MS = (50, 50)
DOUBLE_TAP_GAP_MS = 100


def presses(remote: Any, x: int, y: int, holds_ms: list[int] | tuple[int, ...]) -> None:
    """A finger put down at (x, y) once per hold, kept down that many ms each time:
    one hold of 1000 ms is a long press, two short ones a double tap."""
    finger = PointerInput(interaction.POINTER_TOUCH, "finger")
    builder = ActionBuilder(remote, mouse=finger, duration=0)
    pointer = builder.pointer_action
    pointer.move_to_location(x, y)
    for number, hold in enumerate(holds_ms):
        if number:
            pointer.pause(DOUBLE_TAP_GAP_MS / 1000)
        pointer.pointer_down()
        pointer.pause(hold / 1000)
        pointer.pointer_up()
    builder.perform()
