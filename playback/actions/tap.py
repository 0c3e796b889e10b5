"""tap: an element (by its locator) or a point of the screen."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from playback.actions import fields
from playback.actions.spec import ActionSpec, Key


class Tap(ActionSpec):
    name = "tap"
    order = 10
    keys = (
        Key("locator", "locator", "The element to tap (or x/y)."),
        Key("x", "int", "The point to tap, without a locator."),
        Key("y", "int", "The point to tap, without a locator."),
    )
    identity = ("locator", "x", "y")

    def parse(self, data, path, errors):
        has_xy = "x" in data or "y" in data
        if data.get("locator") is not None and has_xy:
            errors[path] = "A tap takes a locator or x/y coordinates, not both."
            return {}
        if data.get("locator") is not None:
            return {}
        if not has_xy:
            errors[path] = "A tap needs a locator or x and y screen coordinates."
            return {}
        return {
            key: fields.int_in(errors, f"{path}.{key}", data.get(key), 0, fields.MAX_COORDINATE)
            for key in ("x", "y")
        }

    def target(self, step: Mapping[str, Any]) -> str:
        if isinstance(step.get("locator"), Mapping):
            return super().target(step)
        return fields.shown_point(step) if step.get("x") is not None else ""

    def summary(self, step: Mapping[str, Any]) -> str:
        return f"tap {self.target(step) or fields.shown_point(step)}"

    def play(self, driver, step, timeout_ms):
        if step.locator is not None:
            driver.click(driver.find(step.locator, timeout_ms))
        else:
            driver.tap(step.params["x"], step.params["y"])


SPEC = Tap()
