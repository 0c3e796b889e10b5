"""assert_not_visible: the element (by its locator) is absent or hidden, waiting up to
the step's `timeout_ms` for it to go."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from playback.actions.spec import ActionSpec, Key, poll


class AssertNotVisible(ActionSpec):
    name = "assert_not_visible"
    order = 52
    keys = (Key("locator", "locator", "The element that must not be displayed."),)

    def parse(self, data, path, errors):
        if data.get("locator") is None:
            errors[f"{path}.locator"] = "Required: the element that must not be displayed."
        return {}

    def summary(self, step: Mapping[str, Any]) -> str:
        return f"assert {self.target(step)} is not displayed"

    def play(self, driver, step, context):
        if not poll(context, lambda: not driver.visible(step.locator), context.timeout_ms):
            raise LookupError(
                f"Assertion failed: {step.locator} still displayed (waited {context.timeout_ms} ms)"
            )


SPEC = AssertNotVisible()
