"""A Playback flow as Maestro YAML, for what maps (reading.py is the way back: a
flow exported then imported has the same steps).

A step with no Maestro command (typing into an element, an assert on an element's
text, a locator strategy Maestro has not) is left out, with a comment that says so
in its place; `notes` lists them too.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import yaml

from flows.maestro.commands import SWIPE_PRESETS, WAIT_FOR_ANIMATION_MS
from flows.maestro.selectors import Unsupported, selector
from playback import actions
from playback.actions import long_press, swipe
from playback.drivers.keys import KEYS
from playback.words import Platform

SIMPLE = {
    "back": "back",
    "hide_keyboard": "hideKeyboard",
    "stop_app": "stopApp",
    "clear_app": "clearState",
}
ON_ELEMENT = {"tap": "tapOn", "double_tap": "doubleTapOn", "long_press": "longPressOn"}


@dataclass
class Exported:
    text: str
    notes: list[str]  # the steps left out, and why


def command(step: Mapping[str, Any]) -> Any:
    """One step as one Maestro command (a name, or {name: arguments})."""
    action = step["action"]
    if action in SIMPLE:
        return SIMPLE[action]
    if action in ON_ELEMENT:
        if action == "long_press" and step.get("duration") != long_press.DEFAULT_DURATION_MS:
            raise Unsupported("Maestro's long press has no duration")
        return {ON_ELEMENT[action]: selector(step)}
    if action == "type":
        if step.get("locator") is not None:
            raise Unsupported("Maestro types into the focused field (tap the field first)")
        return {"inputText": step["text"]}
    if action == "assert":
        if step.get("text") is not None:
            raise Unsupported("Maestro's assertVisible checks no text inside an element")
        return {"assertVisible": selector(step)}
    if action == "assert_not_visible":
        return {"assertNotVisible": selector(step)}
    if action == "erase_text":
        return {"eraseText": {"charactersToErase": step["count"]}}
    if action == "press_key":
        return {"pressKey": KEYS[step["key"]].maestro}
    if action == "open_link":
        return {"openLink": step["url"]}
    if action == "launch_app":
        return {"launchApp": {"stopApp": False}}
    if action == "swipe":
        return {"swipe": swipe_arguments(step)}
    if action == "scroll_to":
        return {
            "scrollUntilVisible": {
                "element": selector(step),
                "direction": step["direction"].upper(),
                "timeout": step["max_swipes"] * 1000,
            }
        }
    if action == "wait_until":
        shown = "visible" if step.get("visible", True) else "notVisible"
        arguments = {shown: selector(step)}
        if step.get("timeout_ms") is not None:
            arguments["timeout"] = step["timeout_ms"]
        return {"extendedWaitUntil": arguments}
    if action == "wait":
        return {"waitForAnimationToEnd": {"timeout": step.get("ms", WAIT_FOR_ANIMATION_MS)}}
    raise Unsupported(f"Maestro has no {action}")


def swipe_arguments(step: Mapping[str, Any]) -> dict[str, Any]:
    points = tuple(step[name] for name in swipe.POINTS)
    duration = step.get("duration", swipe.DEFAULT_DURATION_MS)
    if step.get("percent"):
        for direction, preset in SWIPE_PRESETS.items():
            if points == preset:
                return {"direction": direction, "duration": duration}
    unit = "%" if step.get("percent") else ""
    start_x, start_y, end_x, end_y = points
    return {
        "start": f"{start_x}{unit}, {start_y}{unit}",
        "end": f"{end_x}{unit}, {end_y}{unit}",
        "duration": duration,
    }


# A command whose argument is a bare value, and the key that value has in its mapping
# form (where `optional:` and `label:` go); selectors are a text.
BARE_KEYS = {
    "inputText": "text",
    "openLink": "link",
    **dict.fromkeys(ON_ELEMENT.values(), "text"),
    "assertVisible": "text",
    "assertNotVisible": "text",
}


def with_flags(made: Any, step: Mapping[str, Any]) -> Any:
    """The step's optional, description and retries, as Maestro writes them."""
    flags = {}
    if step.get("optional"):
        flags["optional"] = True
    if step.get("description"):
        flags["label"] = step["description"]
    if flags:
        name, arguments = (made, None) if isinstance(made, str) else next(iter(made.items()))
        if arguments is None:
            arguments = {}
        elif not isinstance(arguments, Mapping):
            if name not in BARE_KEYS:
                raise Unsupported(f"Maestro's {name} takes no optional or label")
            arguments = {BARE_KEYS[name]: arguments}
        made = {name: {**arguments, **flags}}
    if step.get("retries") is not None:
        made = {"retry": {"maxRetries": step["retries"], "commands": [made]}}
    return made


def write(flow: Mapping[str, Any]) -> Exported:
    """`flow` (its JSON shape) as a Maestro file: the config document, ---, commands."""
    config: dict[str, Any] = {}
    config["url" if flow["platform"] == Platform.WEB else "appId"] = flow["app_id"]
    config["name"] = flow["name"]
    if flow.get("tags"):
        config["tags"] = list(flow["tags"])
    commands: list[Any] = []
    notes: list[str] = []
    for step in flow["steps"]:
        try:
            commands.append(with_flags(command(step), step))
        except Unsupported as exc:
            notes.append(f"step {step['step']} ({actions.summary(step)}) is left out: {exc}")
    text = yaml.safe_dump(config, sort_keys=False, allow_unicode=True)
    text += "---\n"
    text += "".join(f"# {note}\n" for note in notes)
    if commands:
        text += yaml.safe_dump(commands, sort_keys=False, allow_unicode=True)
    return Exported(text, notes)
