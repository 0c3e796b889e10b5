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
optional (flows/tags.py); `"optional": true` on a step: its failure does not fail
the run (the step stays `fail` and the run goes on); `retries` (0-3): its own extra
attempts instead of the run's retry_per_step. Each action's own keys:
playback/actions/.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from flows.tags import parse_tags
from playback import actions
from playback.actions import ACTIONS, COMMON_KEYS, fields
from playback.field_errors import FieldErrors
from playback.inputs import text_problem
from playback.locators import LOCATOR_STRATEGIES, LOCATOR_STRATEGIES_BY_PLATFORM
from playback.network import web_url_problem
from playback.words import MAX_RETRIES_PER_STEP, Platform

PLATFORMS = tuple(Platform)
MAX_STEPS = 1000
MAX_TIMEOUT_MS = 600_000
MAX_NAME = 200
MAX_APP_ID = 255


class DefinitionError(FieldErrors):
    """A flow or step that cannot be stored; `errors` maps a field path to what to fix."""


@dataclass(frozen=True)
class StepDefinition:
    number: int
    action: str
    locator: dict[str, Any] | None
    params: dict[str, Any]
    timeout_ms: int | None
    description: str
    optional: bool = False
    retries: int | None = None

    def as_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"step": self.number, "action": self.action}
        if self.locator is not None:
            data["locator"] = dict(self.locator)
        data.update(self.params)
        if self.timeout_ms is not None:
            data["timeout_ms"] = self.timeout_ms
        if self.description:
            data["description"] = self.description
        if self.optional:
            data["optional"] = True
        if self.retries is not None:
            data["retries"] = self.retries
        return data


@dataclass(frozen=True)
class FlowDefinition:
    name: str
    platform: str
    app_id: str
    steps: tuple[StepDefinition, ...]
    tags: tuple[str, ...] = ()


def parse_step(data: Any, position: int, path: str = "step") -> StepDefinition:
    """Validate one step; `position` (1-based) is its number when it gives none. The
    keys every step has are read here, the action's own by its spec (playback/actions/)."""
    errors: dict[str, str] = {}
    if not isinstance(data, Mapping):
        raise DefinitionError({path: "Must be an object with an action."})
    action = data.get("action")
    if action not in ACTIONS:
        raise DefinitionError(
            {f"{path}.action": f"Must be one of {', '.join(ACTIONS)} (got {action!r})."}
        )
    spec = actions.spec_for(action)
    unknown = set(data) - COMMON_KEYS - spec.key_names
    if unknown:
        allowed = ", ".join(sorted(COMMON_KEYS | spec.key_names))
        errors[path] = (
            f"Unknown keys for {'an' if action[0] in 'aeiou' else 'a'} {action}: "
            f"{', '.join(sorted(map(str, unknown)))}. "
            f"Allowed: {allowed}."
        )

    number = position
    if "step" in data:
        number = fields.int_in(errors, f"{path}.step", data["step"], 1, MAX_STEPS) or position
    timeout_ms = None
    if data.get("timeout_ms") is not None:
        timeout_ms = fields.int_in(
            errors, f"{path}.timeout_ms", data["timeout_ms"], 0, MAX_TIMEOUT_MS
        )
    description = data.get("description") or ""
    if not isinstance(description, str) or len(description) > fields.MAX_TEXT:
        errors[f"{path}.description"] = f"Must be a string of at most {fields.MAX_TEXT} characters."
        description = ""
    elif problem := text_problem(description):
        errors[f"{path}.description"] = problem
        description = ""

    optional = False
    if data.get("optional") is not None:
        optional = bool(fields.boolean(errors, f"{path}.optional", data["optional"]))
    retries = None
    if data.get("retries") is not None:
        retries = fields.int_in(errors, f"{path}.retries", data["retries"], 0, MAX_RETRIES_PER_STEP)

    locator = None
    if data.get("locator") is not None:
        locator = fields.locator(errors, f"{path}.locator", data["locator"])
    params = spec.parse(data, path, errors)

    if errors:
        raise DefinitionError(errors)
    return StepDefinition(
        number, action, locator, params, timeout_ms, description, optional, retries
    )


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
    name = fields.text(errors, "name", data.get("name"), MAX_NAME)
    platform = data.get("platform")
    if platform not in PLATFORMS:
        errors["platform"] = f"Must be one of {', '.join(PLATFORMS)} (got {platform!r})."
    app_id = fields.text(errors, "app_id", data.get("app_id"), MAX_APP_ID)
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
        errors.update(link_problems(Platform(platform), steps))
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


def link_problems(platform: Platform, steps: tuple[StepDefinition, ...]) -> dict[str, str]:
    """A web flow's links are pages its device opens: http or https, on a host
    PLAYBACK_WEB_ALLOWED_HOSTS allows (checked again when the step plays)."""
    if platform != Platform.WEB:
        return {}
    problems = {}
    for index, step in enumerate(steps):
        url = step.params.get("url") if step.action == "open_link" else None
        if not url:
            continue
        if urlsplit(url).scheme.lower() not in ("http", "https"):
            problems[f"steps[{index}].url"] = (
                f"A web flow's link is a page: http:// or https:// (got {url[:100]!r})."
            )
        elif problem := web_url_problem(url):
            problems[f"steps[{index}].url"] = f"The link may not be opened: {problem}"
    return problems
