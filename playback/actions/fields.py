"""The fields steps share, parsed with their errors (plain Python, no Django).

Each parser notes what to fix under the field's path in `errors` and returns None
when the value cannot be used; the action specs (playback/actions/) and the flow
document (flows/definitions.py) both read them.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from playback.inputs import text_problem
from playback.locators import LOCATOR_STRATEGIES
from playback.words import is_int

MAX_COORDINATE = 100_000
MAX_TEXT = 10_000
MAX_LOCATOR_VALUE = 2_000
MAX_LOCATOR_INDEX = 1_000
LOCATOR_KEYS = ("using", "value", "regex", "index")

Errors = dict[str, str]


def int_in(errors: Errors, path: str, value: Any, low: int, high: int) -> int | None:
    if value is None:
        errors[path] = f"Required: a whole number from {low} to {high}."
        return None
    if not is_int(value):
        errors[path] = f"Must be a whole number from {low} to {high} (got {value!r})."
        return None
    if not low <= value <= high:
        errors[path] = f"Must be from {low} to {high} (got {value})."
        return None
    return value


def text(errors: Errors, path: str, value: Any, max_len: int) -> str | None:
    if not isinstance(value, str) or not value.strip():
        errors[path] = "Required: a non-empty string."
        return None
    if problem := text_problem(value):
        errors[path] = problem
        return None
    if len(value) > max_len:
        errors[path] = f"At most {max_len} characters (got {len(value)})."
        return None
    return value


def step_text(
    errors: Errors, path: str, value: Any, required: str, *, optional: bool = False
) -> str | None:
    """A step's `text` (what to type or find), or None with the problem under `path`."""
    if not isinstance(value, str) or value == "":
        how = ": a non-empty string, or leave it out" if optional else " (a non-empty string)"
        errors[path] = f"{required}{how}."
    elif len(value) > MAX_TEXT:
        errors[path] = f"At most {MAX_TEXT} characters (got {len(value)})."
    elif problem := text_problem(value):
        errors[path] = problem
    else:
        return value
    return None


def boolean(errors: Errors, path: str, value: Any) -> bool | None:
    if not isinstance(value, bool):
        errors[path] = f"Must be true or false (got {value!r})."
        return None
    return value


def locator(errors: Errors, path: str, value: Any) -> dict[str, Any] | None:
    """A locator: `using` and `value`; a `text` one may be a regular expression matched
    in full (`regex`); `index` picks the n-th match (0-based) of any strategy."""
    allowed = ", ".join(LOCATOR_STRATEGIES)
    if not isinstance(value, Mapping):
        errors[path] = f'Must be an object {{"using": ..., "value": ...}}; using one of {allowed}.'
        return None
    extra = set(value) - set(LOCATOR_KEYS)
    if extra:
        errors[path] = (
            f"Unknown keys {', '.join(sorted(map(str, extra)))}; "
            f"a locator has {', '.join(LOCATOR_KEYS)}."
        )
        return None
    start = len(errors)
    using = value.get("using")
    if using not in LOCATOR_STRATEGIES:
        errors[f"{path}.using"] = f"Must be one of {allowed} (got {using!r})."
    found: dict[str, Any] = {
        "using": using,
        "value": text(errors, f"{path}.value", value.get("value"), MAX_LOCATOR_VALUE),
    }
    if value.get("regex") is not None:
        found["regex"] = boolean(errors, f"{path}.regex", value["regex"])
        if found["regex"] and using != "text":
            errors[f"{path}.regex"] = 'Only a "text" locator is a regular expression.'
        elif found["regex"] and (problem := regex_problem(found["value"])):
            errors[f"{path}.value"] = problem
        if found["regex"] is False:
            del found["regex"]  # the default: stored as absent (same step key)
    if value.get("index") is not None:
        found["index"] = int_in(errors, f"{path}.index", value["index"], 0, MAX_LOCATOR_INDEX)
    return found if len(errors) == start else None


def regex_problem(pattern: str | None) -> str | None:
    if pattern is None:
        return None  # its own problem is noted already
    try:
        re.compile(pattern)
    except re.error as exc:
        return f"Not a valid regular expression: {exc}."
    return None


def shown_locator(value: Mapping[str, Any]) -> str:
    """A locator as people read it: `id='user'`, `text=/Sign.*/`, `text='Buy'[1]`."""
    using, shown = value.get("using"), value.get("value")
    text = f"{using}=/{shown}/" if value.get("regex") else f"{using}={shown!r}"
    return text if value.get("index") is None else f"{text}[{value['index']}]"


def shown_point(step: Mapping[str, Any], x: str = "x", y: str = "y") -> str:
    if step.get("percent"):
        return f"({step.get(x)}%, {step.get(y)}%)"
    return f"({step.get(x)}, {step.get(y)})"


PERCENT_HELP = "true: the coordinates are % of the screen (0-100), as Maestro's are."


def coordinates(
    data: Mapping[str, Any], path: str, errors: Errors, names: tuple[str, ...]
) -> dict[str, Any]:
    """Screen coordinates in px, or with `"percent": true` in % of the screen."""
    percent = data.get("percent") is not None and boolean(
        errors, f"{path}.percent", data["percent"]
    )
    high = 100 if percent else MAX_COORDINATE
    found: dict[str, Any] = {
        name: int_in(errors, f"{path}.{name}", data.get(name), 0, high) for name in names
    }
    if percent:
        found["percent"] = True
    return found


def on_screen(
    params: Mapping[str, Any], x: int, y: int, size: Callable[[], tuple[int, int]]
) -> tuple[int, int]:
    """A point of the step in px: as given, or from % of the screen's `size()`."""
    if not params.get("percent"):
        return x, y
    width, height = size()
    return round(width * x / 100), round(height * y / 100)
