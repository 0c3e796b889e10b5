"""assert: an element is displayed (and its text contains `text`)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from playback.actions import fields
from playback.actions.spec import ActionSpec, Key


class Assert(ActionSpec):
    name = "assert"
    order = 40
    keys = (
        Key("locator", "locator", "The element that must be displayed."),
        Key("text", "text", "The text the element must contain (optional)."),
    )
    identity = ("locator", "text")

    def parse(self, data, path, errors):
        if data.get("locator") is None:
            errors[f"{path}.locator"] = "Required: the element that must be displayed."
        if data.get("text") is None:
            return {}
        required = "The text the element must contain"
        text = fields.step_text(errors, f"{path}.text", data["text"], required, optional=True)
        return {} if text is None else {"text": text}

    def summary(self, step: Mapping[str, Any]) -> str:
        target = self.target(step) or fields.shown_point(step)
        text = step.get("text")
        return f"assert {target} shows {text!r}" if text else f"assert {target} is displayed"

    def play(self, driver, step, context):
        driver.check(step.locator, step.params.get("text"), context.timeout_ms)


SPEC = Assert()
