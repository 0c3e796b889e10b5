"""Maestro selectors as Playback locators and points, both ways (plain Python).

Maestro matches `text` and `id` as regular expressions in full; a pattern that is
plain text (its metacharacters escaped with a backslash) becomes a plain `text`
locator, any other a `"regex": true` one. An `id` must be plain (its dots are read
as themselves). `point` is "50%,50%" (a percent tap) or "120,300" (px).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

METACHARACTERS = frozenset(".^$*+?()[]{}|\\")
POINT = re.compile(r"\s*(\d+)\s*(%?)\s*,\s*(\d+)\s*(%?)\s*")
# Selector keys Maestro has and Playback cannot play, with why.
REFUSED_KEYS = {
    **dict.fromkeys(
        ("below", "above", "leftOf", "rightOf", "containsChild", "childOf", "containsDescendants"),
        "relative selectors (below, above, ...) have no Playback locator",
    ),
    **dict.fromkeys(
        ("enabled", "checked", "focused", "selected"),
        "state filters (enabled, checked, ...) have no Playback locator",
    ),
    **dict.fromkeys(("width", "height", "tolerance"), "size filters have no Playback locator"),
    "traits": "traits have no Playback locator",
}
# Keys of a tap-like command that change nothing Playback plays.
HARMLESS_KEYS = frozenset({"retryTapIfNoChange", "waitToSettleTimeoutMs", "waitUntilVisible"})


class Unsupported(ValueError):
    """What a Maestro command asks that Playback cannot play (the reason)."""


def literal(pattern: str, *, dots: bool = False) -> str | None:
    """The text `pattern` matches when it is plain text, else None; with `dots`, an
    unescaped "." is read as itself (an id: com.shop:id/login)."""
    out: list[str] = []
    index = 0
    while index < len(pattern):
        char = pattern[index]
        if char == "\\":
            following = pattern[index + 1 : index + 2]
            if not following or following not in METACHARACTERS:
                return None
            out.append(following)
            index += 2
            continue
        if char in METACHARACTERS and not (dots and char == "."):
            return None
        out.append(char)
        index += 1
    return "".join(out)


def escaped(text: str, *, dots: bool = False) -> str:
    """`text` as a Maestro pattern that matches exactly it."""
    return "".join(
        f"\\{char}" if char in METACHARACTERS and not (dots and char == ".") else char
        for char in text
    )


def text_locator(pattern: str) -> dict[str, Any]:
    plain = literal(pattern)
    if plain is not None:
        return {"using": "text", "value": plain}
    return {"using": "text", "value": pattern, "regex": True}


def point(value: Any) -> dict[str, Any]:
    found = POINT.fullmatch(str(value))
    if not found or bool(found.group(2)) != bool(found.group(4)):
        raise Unsupported(f"point {value!r} is neither 'x%,y%' nor 'x,y' in px")
    x, y = int(found.group(1)), int(found.group(3))
    return {"x": x, "y": y, "percent": True} if found.group(2) else {"x": x, "y": y}


def target(args: Any, *, points: bool = True) -> dict[str, Any]:
    """A selector (a text, or a mapping of text/id/css/index/point) as a step's
    `locator`, or its x/y; Unsupported for what has no Playback equivalent."""
    if isinstance(args, str | int | float):
        return {"locator": text_locator(str(args))}
    if not isinstance(args, Mapping):
        raise Unsupported("its selector must be a text or a mapping")
    for key in args:
        if key in REFUSED_KEYS:
            raise Unsupported(REFUSED_KEYS[key])
    unknown = set(args) - {"text", "id", "css", "index", "point", "optional", "label"}
    unknown -= HARMLESS_KEYS
    if unknown:
        raise Unsupported(f"selector keys {', '.join(sorted(map(str, unknown)))} do not map")
    kinds = [key for key in ("text", "id", "css", "point") if args.get(key) is not None]
    if len(kinds) != 1:
        raise Unsupported("a selector needs exactly one of text, id, css, point")
    kind = kinds[0]
    if kind == "point":
        if not points:
            raise Unsupported("a point is not an element to check")
        if args.get("index") is not None:
            raise Unsupported("a point has no index")
        return point(args["point"])
    if kind == "text":
        locator = text_locator(str(args["text"]))
    elif kind == "css":
        locator = {"using": "css selector", "value": str(args["css"])}
    else:
        plain = literal(str(args["id"]), dots=True)
        if plain is None:
            raise Unsupported("an id that is a regular expression has no Playback locator")
        locator = {"using": "id", "value": plain}
    if args.get("index") is not None:
        index = args["index"]
        if isinstance(index, str) and index.isdigit():
            index = int(index)
        if not isinstance(index, int) or isinstance(index, bool):
            raise Unsupported(f"index {index!r} is not a whole number")
        locator["index"] = index
    return {"locator": locator}


def selector(step: Mapping[str, Any]) -> Any:
    """A step's locator or point as a Maestro selector (a bare text when it can be);
    Unsupported when its strategy has no Maestro selector."""
    if step.get("locator") is None:
        x, y = step.get("x"), step.get("y")
        return {"point": f"{x}%,{y}%" if step.get("percent") else f"{x},{y}"}
    locator = step["locator"]
    using, value = locator.get("using"), str(locator.get("value"))
    if using == "text":
        found: dict[str, Any] = {"text": value if locator.get("regex") else escaped(value)}
    elif using == "id":
        found = {"id": escaped(value, dots=True)}
    elif using == "css selector":
        found = {"css": value}
    else:
        raise Unsupported(f"Maestro has no {using!r} selector")
    if locator.get("index") is not None:
        found["index"] = locator["index"]
    return found["text"] if list(found) == ["text"] else found
