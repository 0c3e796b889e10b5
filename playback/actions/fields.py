"""The fields steps share, parsed with their errors (plain Python, no Django).

Each parser notes what to fix under the field's path in `errors` and returns None
when the value cannot be used; the action specs (playback/actions/) and the flow
document (flows/definitions.py) both read them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from playback.inputs import text_problem
from playback.words import LOCATOR_STRATEGIES, is_int

MAX_COORDINATE = 100_000
MAX_TEXT = 10_000
MAX_LOCATOR_VALUE = 2_000

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


def locator(errors: Errors, path: str, value: Any) -> dict[str, str] | None:
    allowed = ", ".join(LOCATOR_STRATEGIES)
    if not isinstance(value, Mapping):
        errors[path] = f'Must be an object {{"using": ..., "value": ...}}; using one of {allowed}.'
        return None
    extra = set(value) - {"using", "value"}
    if extra:
        errors[path] = (
            f"Unknown keys {', '.join(sorted(map(str, extra)))}; a locator has using, value."
        )
        return None
    using = value.get("using")
    if using not in LOCATOR_STRATEGIES:
        errors[f"{path}.using"] = f"Must be one of {allowed} (got {using!r})."
    locator_value = text(errors, f"{path}.value", value.get("value"), MAX_LOCATOR_VALUE)
    if f"{path}.using" in errors or locator_value is None:
        return None
    return {"using": using, "value": locator_value}


def shown_locator(value: Mapping[str, Any]) -> str:
    """A locator as people read it: `id='user'`."""
    return f"{value.get('using')}={value.get('value')!r}"


def shown_point(step: Mapping[str, Any], x: str = "x", y: str = "y") -> str:
    return f"({step.get(x)}, {step.get(y)})"
