"""Tags on flows ("smoke", "checkout"): what a batch or a schedule picks flows by.

One rule everywhere a tag is given (flow JSON files, the API, the admin, a batch):
lower case letters, digits, "-", "_" and "." (starting with a letter or a digit), at
most MAX_TAG_LENGTH characters, at most MAX_TAGS per flow. Given tags are trimmed and
lower-cased; duplicates go; they are kept sorted.
"""

from __future__ import annotations

import re
from typing import Any

MAX_TAGS = 20
MAX_TAG_LENGTH = 50
TAG_PATTERN = re.compile(r"[a-z0-9][a-z0-9._-]*")
TAG_RULE = (
    f"lower case letters, digits, '-', '_' or '.', starting with a letter or a digit, "
    f"at most {MAX_TAG_LENGTH} characters"
)


def tag_problem(tag: Any) -> str | None:
    """What is wrong with one tag, or None."""
    if not isinstance(tag, str):
        return f"A tag is a string of {TAG_RULE} (got {tag!r})."
    clean = tag.strip().lower()
    if len(clean) > MAX_TAG_LENGTH or not TAG_PATTERN.fullmatch(clean):
        return f"Tag {tag[:60]!r}: use {TAG_RULE}."
    return None


def parse_tags(value: Any) -> tuple[tuple[str, ...], str | None]:
    """(the tags, sorted and unique; a problem to report or None). `value` is a list
    of strings (JSON) or one string of tags separated by commas or spaces (a form)."""
    if value is None:
        return (), None
    if isinstance(value, str):
        value = [part for part in re.split(r"[,\s]+", value) if part]
    if not isinstance(value, list):
        return (), f"Must be a list of tags (got {type(value).__name__})."
    for tag in value:
        if problem := tag_problem(tag):
            return (), problem
    tags = tuple(sorted({tag.strip().lower() for tag in value}))
    if len(tags) > MAX_TAGS:
        return (), f"At most {MAX_TAGS} tags (got {len(tags)})."
    return tags, None
