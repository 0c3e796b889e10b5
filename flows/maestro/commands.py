"""Each Maestro command Playback plays, as the steps it becomes (plain Python).

A function per command takes the command's arguments (plain YAML values) and the
flow's app, and returns steps in the flow JSON shape, or raises Unsupported with
the reason. `runFlow`, `repeat` and `retry` hold commands of their own: reading.py
inlines them. writing.py is the way back.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any

from flows.maestro.selectors import Unsupported, point, target
from playback.actions import erase_text, scroll_to, wait
from playback.drivers.keys import KEYS

Step = dict[str, Any]
NESTING = frozenset({"runFlow", "repeat", "retry"})
# Maestro's swipe presets, in % of the screen: start x, y, end x, y.
SWIPE_PRESETS = {
    "LEFT": (90, 50, 10, 50),
    "RIGHT": (10, 50, 90, 50),
    "DOWN": (50, 20, 50, 90),
    "UP": (50, 50, 50, 10),
}
SWIPE_MS = 400  # Maestro's default swipe duration
WAIT_FOR_ANIMATION_MS = 1000  # waitForAnimationToEnd without a timeout
SCROLL_TIMEOUT_MS = 20_000  # scrollUntilVisible's default timeout: a swipe a second
KEYS_BY_MAESTRO_NAME = {key.maestro.lower(): key.name for key in KEYS.values()}
# Commands that never map, and why.
REFUSED = {
    **dict.fromkeys(("runScript", "evalScript", "assertTrue"), "JavaScript does not map"),
    **dict.fromkeys(("copyTextFrom", "pasteText"), "Playback has no clipboard"),
    **dict.fromkeys(("setLocation", "travel"), "Playback does not move the device"),
    **dict.fromkeys(
        ("setAirplaneMode", "toggleAirplaneMode"), "Playback does not switch the network"
    ),
    **dict.fromkeys(
        ("assertWithAI", "assertNoDefectsWithAI", "extractTextWithAI"), "AI commands do not map"
    ),
    **dict.fromkeys(
        ("inputRandomText", "inputRandomNumber", "inputRandomEmail", "inputRandomPersonName"),
        "random input is not reproducible",
    ),
    "addMedia": "Playback does not add media to the device",
    "takeScreenshot": "Playback keeps every step's screen already",
    **dict.fromkeys(("startRecording", "stopRecording"), "Playback records runs itself"),
}


def options(args: Any) -> Mapping[str, Any]:
    return args if isinstance(args, Mapping) else {}


def step_flags(args: Any) -> Step:
    """`optional: true` and `label:` of any command: the steps' optional and description."""
    found: Step = {}
    if options(args).get("optional") is True:
        found["optional"] = True
    if isinstance(options(args).get("label"), str):
        found["description"] = options(args)["label"]
    return found


def refuse_scripts(args: Any, depth: int = 0) -> None:
    """`${…}` is JavaScript, and `when:` a condition: neither maps."""
    if depth > 20:
        return
    if isinstance(args, str) and "${" in args:
        raise Unsupported("${…} JavaScript expressions do not map")
    if isinstance(args, Mapping):
        if "when" in args:
            raise Unsupported("when: conditions do not map")
        for item in args.values():
            refuse_scripts(item, depth + 1)
    elif isinstance(args, list):
        for item in args:
            refuse_scripts(item, depth + 1)


def only(args: Any, allowed: set[str]) -> Mapping[str, Any]:
    given = options(args)
    extra = set(given) - allowed - {"optional", "label"}
    if extra:
        raise Unsupported(f"keys {', '.join(sorted(map(str, extra)))} do not map")
    return given


def same_app(app_id: Any, flow_app: str) -> None:
    if app_id not in (None, flow_app):
        raise Unsupported(f"another app ({app_id}) than the flow's ({flow_app})")


def whole(value: Any, what: str) -> int:
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value)
    if not isinstance(value, int) or isinstance(value, bool):
        raise Unsupported(f"{what} must be a whole number (got {value!r})")
    return value


# --- the commands ----------------------------------------------------------------
def on_element(action: str) -> Callable[[Any, str], list[Step]]:
    def make(args: Any, app_id: str) -> list[Step]:
        return [{"action": action, **target(args)}]

    return make


def input_text(args: Any, app_id: str) -> list[Step]:
    text = only(args, {"text"}).get("text") if isinstance(args, Mapping) else args
    if not isinstance(text, str | int | float) or isinstance(text, bool):
        raise Unsupported("inputText takes a text")
    return [{"action": "type", "text": str(text)}]


def erase(args: Any, app_id: str) -> list[Step]:
    count = args
    if isinstance(args, Mapping):
        count = only(args, {"charactersToErase"}).get("charactersToErase")
    if count is None:
        count = erase_text.DEFAULT_COUNT
    return [{"action": "erase_text", "count": whole(count, "charactersToErase")}]


def visible(action: str) -> Callable[[Any, str], list[Step]]:
    def make(args: Any, app_id: str) -> list[Step]:
        return [{"action": action, **target(args, points=False)}]

    return make


def percent_point(value: Any) -> tuple[int, int, bool]:
    found = point(value)
    return found["x"], found["y"], bool(found.get("percent"))


def swipe(args: Any, app_id: str) -> list[Step]:
    given = only(args, {"direction", "start", "end", "duration", "from"})
    if "from" in given:
        raise Unsupported("a swipe from an element does not map (use start/end or direction)")
    duration = whole(given.get("duration", SWIPE_MS), "duration")
    if given.get("direction") is not None:
        preset = SWIPE_PRESETS.get(str(given["direction"]).upper())
        if preset is None or "start" in given:
            raise Unsupported(f"direction must be one of {', '.join(SWIPE_PRESETS)} alone")
        return [swipe_step(preset, True, duration)]
    if given.get("start") is None or given.get("end") is None:
        raise Unsupported("swipe takes direction, or start and end")
    start_x, start_y, start_percent = percent_point(given["start"])
    end_x, end_y, end_percent = percent_point(given["end"])
    if start_percent != end_percent:
        raise Unsupported("start and end must both be in % or both in px")
    return [swipe_step((start_x, start_y, end_x, end_y), start_percent, duration)]


def swipe_step(points: tuple[int, int, int, int], percent: bool, duration: int) -> Step:
    start_x, start_y, end_x, end_y = points
    step: Step = {
        "action": "swipe",
        "start_x": start_x,
        "start_y": start_y,
        "end_x": end_x,
        "end_y": end_y,
        "duration": duration,
    }
    return {**step, "percent": True} if percent else step


def scroll(args: Any, app_id: str) -> list[Step]:
    only(args, set())
    return [swipe_step(SWIPE_PRESETS["UP"], True, SWIPE_MS)]


def scroll_until_visible(args: Any, app_id: str) -> list[Step]:
    given = only(
        args, {"element", "direction", "timeout", "speed", "visibilityPercentage", "centerElement"}
    )
    if given.get("centerElement"):
        raise Unsupported("centerElement does not map")
    if given.get("element") is None:
        raise Unsupported("scrollUntilVisible needs element:")
    direction = str(given.get("direction", "DOWN")).lower()
    if direction not in scroll_to.DIRECTIONS:
        raise Unsupported(f"direction {given.get('direction')!r} is not UP, DOWN, LEFT, RIGHT")
    timeout = whole(given.get("timeout", SCROLL_TIMEOUT_MS), "timeout")
    swipes = min(scroll_to.MAX_SWIPES, max(1, math.ceil(timeout / 1000)))
    found = target(given["element"], points=False)
    return [{"action": "scroll_to", **found, "direction": direction, "max_swipes": swipes}]


def bare(action: str) -> Callable[[Any, str], list[Step]]:
    def make(args: Any, app_id: str) -> list[Step]:
        only(args, set())
        return [{"action": action}]

    return make


def press_key(args: Any, app_id: str) -> list[Step]:
    key = KEYS_BY_MAESTRO_NAME.get(str(args).strip().lower())
    if key is None:
        raise Unsupported(f"Playback has no key {args!r}")
    return [{"action": "press_key", "key": key}]


def open_link(args: Any, app_id: str) -> list[Step]:
    url = (
        only(args, {"link", "autoVerify", "browser"}).get("link")
        if isinstance(args, Mapping)
        else args
    )
    if not isinstance(url, str):
        raise Unsupported("openLink takes a link")
    return [{"action": "open_link", "url": url}]


def launch_app(args: Any, app_id: str) -> list[Step]:
    if isinstance(args, Mapping):
        given = only(args, {"appId", "clearState", "stopApp"})
        same_app(given.get("appId"), app_id)
    else:
        same_app(args, app_id)
        given = {}
    if given.get("clearState") is True:
        first = [{"action": "clear_app"}]  # clearing stops the app too
    elif given.get("stopApp", True) is not False:
        first = [{"action": "stop_app"}]
    else:
        first = []
    return [*first, {"action": "launch_app"}]


def app_command(action: str) -> Callable[[Any, str], list[Step]]:
    def make(args: Any, app_id: str) -> list[Step]:
        same_app(only(args, {"appId"}).get("appId") if isinstance(args, Mapping) else args, app_id)
        return [{"action": action}]

    return make


def extended_wait_until(args: Any, app_id: str) -> list[Step]:
    given = only(args, {"visible", "notVisible", "timeout"})
    kinds = [key for key in ("visible", "notVisible") if given.get(key) is not None]
    if len(kinds) != 1:
        raise Unsupported("extendedWaitUntil takes visible: or notVisible:")
    step: Step = {"action": "wait_until", **target(given[kinds[0]], points=False)}
    if kinds[0] == "notVisible":
        step["visible"] = False
    if given.get("timeout") is not None:
        step["timeout_ms"] = whole(given["timeout"], "timeout")
    return [step]


def wait_for_animation(args: Any, app_id: str) -> list[Step]:
    timeout = only(args, {"timeout"}).get("timeout", WAIT_FOR_ANIMATION_MS)
    return [{"action": "wait", "ms": min(whole(timeout, "timeout"), wait.MAX_WAIT_MS)}]


def refused(reason: str) -> Callable[[Any, str], list[Step]]:
    def make(args: Any, app_id: str) -> list[Step]:
        raise Unsupported(reason)

    return make


def scripts_refused(make: Callable[[Any, str], list[Step]]) -> Callable[[Any, str], list[Step]]:
    """`make`, once no `${…}` or `when:` is in the arguments."""

    def checked(args: Any, app_id: str) -> list[Step]:
        refuse_scripts(args)
        return make(args, app_id)

    return checked


COMMANDS: dict[str, Callable[[Any, str], list[Step]]] = {
    "tapOn": on_element("tap"),
    "doubleTapOn": on_element("double_tap"),
    "longPressOn": on_element("long_press"),
    "inputText": input_text,
    "eraseText": erase,
    "assertVisible": visible("assert"),
    "assertNotVisible": visible("assert_not_visible"),
    "swipe": swipe,
    "scroll": scroll,
    "scrollUntilVisible": scroll_until_visible,
    "back": bare("back"),
    "hideKeyboard": bare("hide_keyboard"),
    "pressKey": press_key,
    "openLink": open_link,
    "launchApp": launch_app,
    "stopApp": app_command("stop_app"),
    "killApp": app_command("stop_app"),
    "clearState": app_command("clear_app"),
    "extendedWaitUntil": extended_wait_until,
    "waitForAnimationToEnd": wait_for_animation,
}
COMMANDS = {name: scripts_refused(make) for name, make in COMMANDS.items()}
COMMANDS.update({name: refused(reason) for name, reason in REFUSED.items()})

__all__ = ["COMMANDS", "NESTING", "Unsupported", "step_flags"]
