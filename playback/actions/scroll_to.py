"""scroll_to: swipe in `direction` until the element (by its locator) is displayed,
at most `max_swipes` times. A swipe is Maestro's: from the screen's centre to 10 %
from its edge, in 400 ms (scrolling down moves the finger up)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from playback.actions import fields
from playback.actions.spec import ActionSpec, Key

DIRECTIONS = ("down", "up", "left", "right")
DEFAULT_DIRECTION = "down"
DEFAULT_MAX_SWIPES = 10
MAX_SWIPES = 100
SWIPE_MS = 400
# Where the finger ends, in fractions of the screen, to scroll each way.
FINGER_ENDS = {"down": (0.5, 0.1), "up": (0.5, 0.9), "left": (0.9, 0.5), "right": (0.1, 0.5)}


class ScrollTo(ActionSpec):
    name = "scroll_to"
    order = 58
    keys = (
        Key("locator", "locator", "The element to bring on screen."),
        Key("direction", "text", f"Which way to scroll: {', '.join(DIRECTIONS)} (default down)."),
        Key("max_swipes", "int", f"At most this many swipes (default {DEFAULT_MAX_SWIPES})."),
    )
    identity = ("locator", "direction")

    def parse(self, data, path, errors):
        if data.get("locator") is None:
            errors[f"{path}.locator"] = "Required: the element to scroll to."
        direction = data.get("direction", DEFAULT_DIRECTION)
        if direction not in DIRECTIONS:
            errors[f"{path}.direction"] = (
                f"Must be one of {', '.join(DIRECTIONS)} (got {direction!r})."
            )
        swipes = data.get("max_swipes", DEFAULT_MAX_SWIPES)
        return {
            "direction": direction,
            "max_swipes": fields.int_in(errors, f"{path}.max_swipes", swipes, 0, MAX_SWIPES),
        }

    def summary(self, step: Mapping[str, Any]) -> str:
        return f"scroll {step.get('direction', DEFAULT_DIRECTION)} to {self.target(step)}"

    def play(self, driver, step, context):
        direction = step.params.get("direction", DEFAULT_DIRECTION)
        most = step.params.get("max_swipes", DEFAULT_MAX_SWIPES)
        swipes = 0
        while not driver.visible(step.locator):
            if swipes == most:
                raise LookupError(f"{step.locator} not displayed after {swipes} swipes {direction}")
            width, height = driver.screen_size()
            end_x, end_y = FINGER_ENDS[direction]
            driver.swipe(
                width // 2, height // 2, round(width * end_x), round(height * end_y), SWIPE_MS
            )
            swipes += 1


SPEC = ScrollTo()
