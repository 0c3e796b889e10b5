"""The JSON shape of a recorded flow, and its validation (plain Python).

One shape serves `import_flow`/`export_flow` and the flows API:

    {"name": "Login", "platform": "sim", "app_id": "com.playback.demo",
     "tags": ["smoke"],
     "steps": [
        {"step": 1, "action": "tap", "locator": {"using": "id", "value": "login"}},
        {"step": 2, "action": "tap", "x": 540, "y": 880},
        {"step": 3, "action": "swipe", "start_x": 500, "start_y": 1800,
         "end_x": 500, "end_y": 600, "duration": 300},
        {"step": 4, "action": "type", "text": "alice",
         "locator": {"using": "id", "value": "username"}, "timeout_ms": 2000}]}

`step` is optional (the position is used); `description` is free text; `tags` is
optional (flows/tags.py).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from config.inputs import text_problem
from flows.tags import parse_tags
from playback.network import web_url_problem
from playback.words import (
    LOCATOR_STRATEGIES,
    LOCATOR_STRATEGIES_BY_PLATFORM,
    Action,
    Platform,
)

PLATFORMS = tuple(Platform)
ACTIONS = tuple(Action)
MAX_STEPS = 1000
MAX_COORDINATE = 100_000
MAX_TIMEOUT_MS = 600_000
MAX_SWIPE_MS = 60_000
MAX_TEXT = 10_000
MAX_NAME = 200
MAX_APP_ID = 255
MAX_LOCATOR_VALUE = 2_000

COMMON_KEYS = {"step", "action", "timeout_ms", "description"}
ACTION_KEYS = {
    Action.TAP: {"locator", "x", "y"},
    Action.SWIPE: {"start_x", "start_y", "end_x", "end_y", "duration"},
    Action.TYPE: {"locator", "text"},
    Action.ASSERT: {"locator", "text"},
}


class DefinitionError(ValueError):
    """A flow or step that cannot be stored; `errors` maps a field path to what to fix."""

    def __init__(self, errors: dict[str, str]):
        self.errors = errors
        super().__init__("; ".join(f"{path}: {message}" for path, message in errors.items()))


@dataclass(frozen=True)
class StepDefinition:
    number: int
    action: str
    locator: dict[str, str] | None
    params: dict[str, Any]
    timeout_ms: int | None
    description: str

    def as_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"step": self.number, "action": self.action}
        if self.locator is not None:
            data["locator"] = dict(self.locator)
        data.update(self.params)
        if self.timeout_ms is not None:
            data["timeout_ms"] = self.timeout_ms
        if self.description:
            data["description"] = self.description
        return data


@dataclass(frozen=True)
class FlowDefinition:
    name: str
    platform: str
    app_id: str
    steps: tuple[StepDefinition, ...]
    tags: tuple[str, ...] = ()


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _int_in(errors: dict[str, str], path: str, value: Any, low: int, high: int) -> int | None:
    if value is None:
        errors[path] = f"Required: a whole number from {low} to {high}."
        return None
    if not _is_int(value):
        errors[path] = f"Must be a whole number from {low} to {high} (got {value!r})."
        return None
    if not low <= value <= high:
        errors[path] = f"Must be from {low} to {high} (got {value})."
        return None
    return value


def _text(errors: dict[str, str], path: str, value: Any, max_len: int) -> str | None:
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


def parse_locator(errors: dict[str, str], path: str, value: Any) -> dict[str, str] | None:
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
    locator_value = _text(errors, f"{path}.value", value.get("value"), MAX_LOCATOR_VALUE)
    if f"{path}.using" in errors or locator_value is None:
        return None
    return {"using": using, "value": locator_value}


def _step_text(
    errors: dict[str, str], path: str, text: Any, required: str, *, optional: bool = False
) -> str | None:
    """A step's `text`, or None with the problem noted under `path.text`."""
    if not isinstance(text, str) or text == "":
        how = ": a non-empty string, or leave it out" if optional else " (a non-empty string)"
        errors[f"{path}.text"] = f"{required}{how}."
    elif len(text) > MAX_TEXT:
        errors[f"{path}.text"] = f"At most {MAX_TEXT} characters (got {len(text)})."
    elif problem := text_problem(text):
        errors[f"{path}.text"] = problem
    else:
        return text
    return None


def parse_step(data: Any, position: int, path: str = "step") -> StepDefinition:
    """Validate one step; `position` (1-based) is its number when it gives none."""
    errors: dict[str, str] = {}
    if not isinstance(data, Mapping):
        raise DefinitionError({path: "Must be an object with an action."})
    action = data.get("action")
    if action not in ACTIONS:
        raise DefinitionError(
            {f"{path}.action": f"Must be one of {', '.join(ACTIONS)} (got {action!r})."}
        )
    unknown = set(data) - COMMON_KEYS - ACTION_KEYS[action]
    if unknown:
        allowed = ", ".join(sorted(COMMON_KEYS | ACTION_KEYS[action]))
        errors[path] = (
            f"Unknown keys for {'an' if action[0] in 'aeiou' else 'a'} {action}: "
            f"{', '.join(sorted(map(str, unknown)))}. "
            f"Allowed: {allowed}."
        )

    number = position
    if "step" in data:
        number = _int_in(errors, f"{path}.step", data["step"], 1, MAX_STEPS) or position
    timeout_ms = None
    if data.get("timeout_ms") is not None:
        timeout_ms = _int_in(errors, f"{path}.timeout_ms", data["timeout_ms"], 0, MAX_TIMEOUT_MS)
    description = data.get("description") or ""
    if not isinstance(description, str) or len(description) > MAX_TEXT:
        errors[f"{path}.description"] = f"Must be a string of at most {MAX_TEXT} characters."
        description = ""
    elif problem := text_problem(description):
        errors[f"{path}.description"] = problem
        description = ""

    locator = None
    if data.get("locator") is not None:
        locator = parse_locator(errors, f"{path}.locator", data["locator"])
    params: dict[str, Any] = {}

    if action == Action.TAP:
        has_xy = "x" in data or "y" in data
        if data.get("locator") is not None and has_xy:
            errors[path] = "A tap takes a locator or x/y coordinates, not both."
        elif data.get("locator") is None:
            if not has_xy:
                errors[path] = "A tap needs a locator or x and y screen coordinates."
            else:
                for key in ("x", "y"):
                    params[key] = _int_in(errors, f"{path}.{key}", data.get(key), 0, MAX_COORDINATE)
    elif action == Action.SWIPE:
        for key in ("start_x", "start_y", "end_x", "end_y"):
            params[key] = _int_in(errors, f"{path}.{key}", data.get(key), 0, MAX_COORDINATE)
        params["duration"] = _int_in(
            errors, f"{path}.duration", data.get("duration", 500), 0, MAX_SWIPE_MS
        )
    elif action == Action.TYPE:
        text = _step_text(errors, path, data.get("text"), "Required: the text to type")
        if text is not None:
            params["text"] = text
    elif action == Action.ASSERT:
        if data.get("locator") is None:
            errors[f"{path}.locator"] = "Required: the element that must be displayed."
        if data.get("text") is not None:
            required = "The text the element must contain"
            text = _step_text(errors, path, data["text"], required, optional=True)
            if text is not None:
                params["text"] = text

    if errors:
        raise DefinitionError(errors)
    return StepDefinition(number, action, locator, params, timeout_ms, description)


def parse_steps(data: Any, path: str = "steps") -> tuple[StepDefinition, ...]:
    if not isinstance(data, list):
        raise DefinitionError({path: "Must be a list of steps."})
    if len(data) > MAX_STEPS:
        raise DefinitionError({path: f"At most {MAX_STEPS} steps (got {len(data)})."})
    errors: dict[str, str] = {}
    steps: list[StepDefinition] = []
    for index, item in enumerate(data):
        try:
            steps.append(parse_step(item, index + 1, f"{path}[{index}]"))
        except DefinitionError as exc:
            errors.update(exc.errors)
    seen: dict[int, int] = {}
    for index, step in enumerate(steps):
        if step.number in seen:
            errors[f"{path}[{index}].step"] = (
                f"Step number {step.number} is used twice; numbers must be unique."
            )
        seen[step.number] = index
    if errors:
        raise DefinitionError(errors)
    return tuple(sorted(steps, key=lambda s: s.number))


def parse_flow(data: Any) -> FlowDefinition:
    """Validate a whole flow document; every problem is reported at once."""
    if not isinstance(data, Mapping):
        raise DefinitionError({"flow": "Must be an object with name, platform, app_id, steps."})
    errors: dict[str, str] = {}
    unknown = set(data) - {"name", "platform", "app_id", "steps", "tags", "id"}
    if unknown:
        errors["flow"] = (
            f"Unknown keys {', '.join(sorted(map(str, unknown)))}. "
            "Allowed: name, platform, app_id, tags, steps."
        )
    name = _text(errors, "name", data.get("name"), MAX_NAME)
    platform = data.get("platform")
    if platform not in PLATFORMS:
        errors["platform"] = f"Must be one of {', '.join(PLATFORMS)} (got {platform!r})."
    app_id = _text(errors, "app_id", data.get("app_id"), MAX_APP_ID)
    tags, problem = parse_tags(data.get("tags"))
    if problem:
        errors["tags"] = problem
    steps: tuple[StepDefinition, ...] = ()
    try:
        steps = parse_steps(data.get("steps", []))
    except DefinitionError as exc:
        errors.update(exc.errors)
    if platform in PLATFORMS:
        errors.update(strategy_problems(Platform(platform), data.get("steps")))
        if "app_id" not in errors and (problem := app_id_problem(platform, app_id)):
            errors["app_id"] = problem
    if errors:
        raise DefinitionError(errors)
    return FlowDefinition(name.strip(), platform, app_id.strip(), steps, tags)


def app_id_problem(platform: str, app_id: str) -> str | None:
    """A web app's id is the URL its device opens: http or https, with a host that
    PLAYBACK_WEB_ALLOWED_HOSTS allows (playback/network.py)."""
    if platform != Platform.WEB:
        return None
    try:
        parts = urlsplit(app_id.strip())
        start_url = parts.scheme in ("http", "https") and bool(parts.hostname)
    except ValueError:  # a malformed IPv6 literal
        start_url = False
    if not start_url:
        return (
            "A web flow's app_id is its start URL: http:// or https:// with a host "
            f"(got {app_id.strip()[:100]!r})."
        )
    if problem := web_url_problem(app_id.strip()):
        return f"The start URL may not be opened: {problem}"
    return None


def strategy_problems(platform: Platform, steps: Any) -> dict[str, str]:
    """Locators whose strategy the platform's automation cannot use (a flow recorded
    for Android that says `-ios class chain` would fail on every run)."""
    allowed = LOCATOR_STRATEGIES_BY_PLATFORM[platform]
    problems = {}
    for index, step in enumerate(steps if isinstance(steps, list) else []):
        locator = step.get("locator") if isinstance(step, Mapping) else None
        using = locator.get("using") if isinstance(locator, Mapping) else None
        if using in LOCATOR_STRATEGIES and using not in allowed:
            problems[f"steps[{index}].locator.using"] = (
                f"A {platform} flow cannot find elements by {using!r}: "
                f"use one of {', '.join(allowed)}."
            )
    return problems


def summary(step: Mapping[str, Any]) -> str:
    """A step (its JSON shape) in one line, for people: "tap accessibility id='login'",
    "type 'alice' into id='user'", "swipe (500, 1800) → (500, 600)"."""
    locator = step.get("locator")
    target = (
        f"{locator.get('using')}={locator.get('value')!r}"
        if isinstance(locator, Mapping)
        else f"({step.get('x')}, {step.get('y')})"
    )
    action = step.get("action")
    if action == Action.SWIPE:
        return (
            f"swipe ({step.get('start_x')}, {step.get('start_y')}) → "
            f"({step.get('end_x')}, {step.get('end_y')})"
        )
    if action == Action.TYPE:
        where = f" into {target}" if locator else ""
        return f"type {step.get('text', '')!r}{where}"
    if action == Action.TAP:
        return f"tap {target}"
    if action == Action.ASSERT:
        text = step.get("text")
        return f"assert {target} shows {text!r}" if text else f"assert {target} is displayed"
    return str(action or "")
