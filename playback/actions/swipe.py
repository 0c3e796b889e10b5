"""swipe: from one point of the screen to another, in `duration` ms."""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import Any

from playback.actions import fields
from playback.actions.spec import ActionSpec, Key

POINTS = ("start_x", "start_y", "end_x", "end_y")
MAX_SWIPE_MS = 60_000
DEFAULT_DURATION_MS = 500


class Swipe(ActionSpec):
    name = "swipe"
    order = 20
    keys = (
        *(Key(point, "int", "Where the swipe starts and ends, in screen px.") for point in POINTS),
        Key("duration", "int", f"How long it takes, ms (default {DEFAULT_DURATION_MS})."),
        Key("percent", "bool", fields.PERCENT_HELP),
    )
    identity = (*POINTS, "percent")

    def parse(self, data, path, errors):
        params = fields.coordinates(data, path, errors, POINTS)
        duration = data.get("duration", DEFAULT_DURATION_MS)
        params["duration"] = fields.int_in(errors, f"{path}.duration", duration, 0, MAX_SWIPE_MS)
        return params

    def target(self, step: Mapping[str, Any]) -> str:
        start = fields.shown_point(step, "start_x", "start_y")
        return f"{start} → {fields.shown_point(step, 'end_x', 'end_y')}"

    def play(self, driver, step, context):
        p = step.params
        size = functools.cache(driver.screen_size)  # asked once, if at all
        start = fields.on_screen(p, p["start_x"], p["start_y"], size)
        end = fields.on_screen(p, p["end_x"], p["end_y"], size)
        driver.swipe(*start, *end, p.get("duration", DEFAULT_DURATION_MS))


SPEC = Swipe()
