"""wait_until: the element (by its locator) is displayed, or with `"visible": false`
gone, within the step's `timeout_ms`."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from playback.actions import fields
from playback.actions.spec import ActionSpec, Key, poll


class WaitUntil(ActionSpec):
    name = "wait_until"
    order = 60
    keys = (
        Key("locator", "locator", "The element to wait for."),
        Key("visible", "bool", "true: until it is displayed (default); false: until it goes."),
    )
    identity = ("locator", "visible")

    def parse(self, data, path, errors):
        if data.get("locator") is None:
            errors[f"{path}.locator"] = "Required: the element to wait for."
        visible = fields.boolean(errors, f"{path}.visible", data.get("visible", True))
        return {} if visible is not False else {"visible": False}

    def summary(self, step: Mapping[str, Any]) -> str:
        how = "displayed" if step.get("visible", True) else "gone"
        return f"wait until {self.target(step)} is {how}"

    def play(self, driver, step, context):
        want = step.params.get("visible", True)
        if not poll(context, lambda: driver.visible(step.locator) == want, context.timeout_ms):
            how = "displayed" if want else "gone"
            raise LookupError(f"{step.locator} not {how} within {context.timeout_ms} ms")


SPEC = WaitUntil()
