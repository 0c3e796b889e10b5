"""press_key: one key (enter, back, home, tab, ...: playback/drivers/keys.py)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from playback.actions.spec import ActionSpec, Key
from playback.drivers.keys import KEYS


class PressKey(ActionSpec):
    name = "press_key"
    order = 55
    keys = (Key("key", "text", f"The key: {', '.join(KEYS)}."),)
    identity = ("key",)

    def parse(self, data, path, errors):
        key = data.get("key")
        if key not in KEYS:
            errors[f"{path}.key"] = f"Must be one of {', '.join(KEYS)} (got {key!r})."
            return {}
        return {"key": key}

    def summary(self, step: Mapping[str, Any]) -> str:
        return f"press {step.get('key')}"

    def play(self, driver, step, context):
        driver.press_key(step.params["key"])


SPEC = PressKey()
