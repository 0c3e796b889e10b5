"""long_press: a finger held on an element (by its locator) or a point, `duration` ms."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from playback.actions import fields
from playback.actions.spec import Key, PointSpec

DEFAULT_DURATION_MS = 1000
MAX_DURATION_MS = 60_000


class LongPress(PointSpec):
    name = "long_press"
    order = 50
    keys = (
        *PointSpec.keys,
        Key("duration", "int", f"How long it is held, ms (default {DEFAULT_DURATION_MS})."),
    )

    def parse(self, data, path, errors):
        params = super().parse(data, path, errors)
        duration = data.get("duration", DEFAULT_DURATION_MS)
        params["duration"] = fields.int_in(errors, f"{path}.duration", duration, 1, MAX_DURATION_MS)
        return params

    def summary(self, step: Mapping[str, Any]) -> str:
        held = step.get("duration", DEFAULT_DURATION_MS)
        return f"{super().summary(step)} for {held} ms"

    def play(self, driver, step, context):
        x, y = self.point(driver, step, context)
        driver.long_press(x, y, step.params.get("duration", DEFAULT_DURATION_MS))


SPEC = LongPress()
