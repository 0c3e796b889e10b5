"""type: text into an element (by its locator), or into whatever has the focus."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from playback.actions import fields
from playback.actions.spec import ActionSpec, Key


class Type(ActionSpec):
    name = "type"
    order = 30
    keys = (
        Key("locator", "locator", "The field to type into (optional: the focused one)."),
        Key("text", "text", "The text to type."),
    )
    identity = ("locator", "text")

    def parse(self, data, path, errors):
        text = fields.step_text(
            errors, f"{path}.text", data.get("text"), "Required: the text to type"
        )
        return {} if text is None else {"text": text}

    def summary(self, step: Mapping[str, Any]) -> str:
        where = f" into {self.target(step)}" if step.get("locator") else ""
        return f"type {step.get('text', '')!r}{where}"

    def play(self, driver, step, context):
        element = (
            driver.find(step.locator, context.timeout_ms) if step.locator is not None else None
        )
        driver.type_text(step.params.get("text") or "", element)


SPEC = Type()
