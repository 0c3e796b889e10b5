"""erase_text: `count` characters erased from the focused field (backspaces)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from playback.actions import fields
from playback.actions.spec import ActionSpec, Key

DEFAULT_COUNT = 50
MAX_COUNT = fields.MAX_TEXT


class EraseText(ActionSpec):
    name = "erase_text"
    order = 56
    keys = (Key("count", "int", f"How many characters (default {DEFAULT_COUNT})."),)
    identity = ("count",)

    def parse(self, data, path, errors):
        count = data.get("count", DEFAULT_COUNT)
        return {"count": fields.int_in(errors, f"{path}.count", count, 1, MAX_COUNT)}

    def summary(self, step: Mapping[str, Any]) -> str:
        return f"erase {step.get('count', DEFAULT_COUNT)} characters"

    def play(self, driver, step, context):
        driver.erase_text(step.params.get("count", DEFAULT_COUNT))


SPEC = EraseText()
