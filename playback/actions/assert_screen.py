"""assert_screen: the screen matches the approved baseline of (flow, `name`, device
profile), pixel by pixel (pixelmatch's YIQ distance over `threshold`), within
`max_diff_ratio` of differing unmasked pixels. `masks` leave areas out: locators
(their element's bounds when the shot is taken) or rectangles in screen pixels.

The screen is taken as it is steady (the web device hides the caret, stops
animations and transitions and hides scrollbars for the shot); a phone's status bar
is masked by default. The baselines and the comparison are the service's
(playback/visual/): the engine hands the screen to `context.judge`. Retries retake
the screenshot, so a screen still animating passes on a later attempt (flaky).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from playback.actions import fields
from playback.actions.spec import ActionSpec, Key
from playback.locators import Locator

MAX_NAME = 100
MAX_MASKS = 50
RECT_KEYS = ("x", "y", "width", "height")
MAX_PX = 100_000
DEFAULT_THRESHOLD = 0.1
DEFAULT_MAX_DIFF_RATIO = 0.0


def share(errors: fields.Errors, path: str, value: Any) -> float | None:
    """A number from 0 to 1 (a JSON number; `true` is not one)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 1:
        errors[path] = f"Must be a number from 0 to 1 (got {value!r})."
        return None
    return float(value)


def mask(errors: fields.Errors, path: str, value: Any) -> dict[str, Any] | None:
    """A locator, or a rectangle {x, y, width, height} in screen pixels."""
    if isinstance(value, Mapping) and "using" in value:
        return fields.locator(errors, path, value)
    if not isinstance(value, Mapping) or set(value) != set(RECT_KEYS):
        errors[path] = (
            'Must be a locator {"using": ..., "value": ...} or a rectangle '
            '{"x", "y", "width", "height"} in screen pixels.'
        )
        return None
    start = len(errors)
    rect = {
        key: fields.int_in(errors, f"{path}.{key}", value[key], low, MAX_PX)
        for key, low in (("x", 0), ("y", 0), ("width", 1), ("height", 1))
    }
    return rect if len(errors) == start else None


def png_size(png: bytes) -> tuple[int, int]:
    """A PNG's width and height, from its header."""
    return int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")


class AssertScreen(ActionSpec):
    name = "assert_screen"
    order = 45
    keys = (
        Key("name", "text", "The baseline's name in its flow (1-100 characters)."),
        Key("threshold", "number", "Per pixel, the colour distance that counts, 0-1 (0.1)."),
        Key("max_diff_ratio", "number", "The share of differing pixels that passes, 0-1 (0)."),
        Key("masks", "masks", "Left out: locators (their element) or {x, y, width, height} px."),
    )
    identity = ("name",)

    def parse(self, data, path, errors):
        found: dict[str, Any] = {
            "name": fields.text(errors, f"{path}.name", data.get("name"), MAX_NAME)
        }
        for key in ("threshold", "max_diff_ratio"):
            if data.get(key) is not None:
                found[key] = share(errors, f"{path}.{key}", data[key])
        masks = data.get("masks")
        if masks is not None:
            if not isinstance(masks, list) or len(masks) > MAX_MASKS:
                errors[f"{path}.masks"] = f"Must be a list of at most {MAX_MASKS} masks."
            else:
                found["masks"] = [
                    mask(errors, f"{path}.masks[{i}]", m) for i, m in enumerate(masks)
                ]
        return found

    def target(self, step: Mapping[str, Any]) -> str:
        return repr(step.get("name", ""))

    def summary(self, step: Mapping[str, Any]) -> str:
        return f"assert screen {self.target(step)}"

    def play(self, driver, step, context):
        if context.judge is None:
            raise RuntimeError("Screens are compared by the service only (no baselines here)")
        p = step.params
        boxes = []
        for area in p.get("masks") or ():
            if "using" in area:
                element = driver.find(Locator(**area), context.timeout_ms)
                boxes.append(("element", driver.bounds(element)))
            else:
                boxes.append(("px", tuple(area[key] for key in RECT_KEYS)))
        boxes += [("element", box) for box in driver.default_masks()]
        png = driver.steady_screenshot()
        width, _ = png_size(png)
        scale = width / driver.screen_size()[0]  # elements are in the screen's units
        rects = [
            tuple(round(v * scale) for v in box) if kind == "element" else box
            for kind, box in boxes
        ]
        verdict = context.judge(
            step.number,
            p["name"],
            png,
            rects,
            p.get("threshold", DEFAULT_THRESHOLD),
            p.get("max_diff_ratio", DEFAULT_MAX_DIFF_RATIO),
        )
        context.notes["visual"] = verdict.record
        if not verdict.passed:
            raise AssertionError(verdict.message)


SPEC = AssertScreen()
