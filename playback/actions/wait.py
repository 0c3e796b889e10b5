"""wait: a pause of `ms` milliseconds (at most a minute; a cancel ends it early)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from playback.actions import fields
from playback.actions.spec import ActionSpec, Key

MAX_WAIT_MS = 60_000
SLICE_S = 0.5  # a cancel is seen this often


class Wait(ActionSpec):
    name = "wait"
    order = 59
    keys = (Key("ms", "int", f"How long, ms (at most {MAX_WAIT_MS})."),)
    identity = ("ms",)

    def parse(self, data, path, errors):
        return {"ms": fields.int_in(errors, f"{path}.ms", data.get("ms"), 0, MAX_WAIT_MS)}

    def summary(self, step: Mapping[str, Any]) -> str:
        return f"wait {step.get('ms')} ms"

    def play(self, driver, step, context):
        end = context.clock() + step.params["ms"] / 1000
        while (left := end - context.clock()) > 0 and not context.should_cancel():
            context.sleep(min(left, SLICE_S))


SPEC = Wait()
