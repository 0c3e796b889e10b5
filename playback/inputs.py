"""What every input must be before anything is written (plain Python, no Django).

Used by the API's JSON parser (every string of every body), by the models' JSON
fields (capabilities, also through the admin and the CLI) and by the flow
definitions: text without NUL characters or lone surrogates (neither can be
stored: PostgreSQL refuses NUL, no database encodes a lone surrogate), and JSON no
deeper or larger than the limits below.
"""

from __future__ import annotations

import json
from typing import Any

MAX_JSON_DEPTH = 10
MAX_JSON_BYTES = 64 * 1024


def text_problem(text: str) -> str | None:
    """Why `text` cannot be stored, or None."""
    if "\x00" in text:
        return "Must not contain NUL characters."
    if not text.isascii():
        for position, char in enumerate(text):
            if 0xD800 <= ord(char) <= 0xDFFF:
                return (
                    f"Must be valid Unicode: a lone surrogate (\\u{ord(char):04x}) "
                    f"at character {position}."
                )
    return None


def surrogate_problem(value: Any) -> str | None:
    """A lone surrogate in any string (key or value) of a parsed JSON document."""
    for text in _strings(value):
        problem = text_problem(text.replace("\x00", ""))
        if problem:
            return problem
    return None


def json_problem(
    value: Any, *, max_depth: int = MAX_JSON_DEPTH, max_bytes: int = MAX_JSON_BYTES
) -> str | None:
    """Why a JSON value cannot be stored (too deep, too large, bad text), or None."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict | list):
            if depth > max_depth:
                return f"Must not be nested deeper than {max_depth} levels."
            children = item.values() if isinstance(item, dict) else item
            stack.extend((child, depth + 1) for child in children)
    for text in _strings(value):
        problem = text_problem(text)
        if problem:
            return problem
    size = len(json.dumps(value, ensure_ascii=False).encode("utf-8", "surrogatepass"))
    if size > max_bytes:
        return f"Must not be larger than {max_bytes} bytes of JSON (got {size})."
    return None


def _strings(value: Any):
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            yield item
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
