"""Failure categories: an ordered list of rules in Allure's categories.json format
(`name`, `messageRegex`, `traceRegex`, `matchedStatuses`); the first rule that matches
a failure names its category, as in Allure's report.

A rule matches a failure when its status is one of `matchedStatuses` (absent: failed
and broken, as Allure has it) and each regex it gives matches the whole message (the
trace): dot matches newlines. Regexes are compiled when saved (a broken one is refused,
naming it) and matched with MATCH_TIMEOUT_S per text (the `regex` package's
`timeout`): a pathological pattern cannot stall a page or a run's end; it just does
not match.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import regex
from django.db import transaction

from playback.field_errors import FieldErrors
from playback.insights.models import Category

log = logging.getLogger(__name__)

STATUSES = ("failed", "broken", "skipped", "passed")
DEFAULT_STATUSES = ("failed", "broken")
KEYS = ("name", "messageRegex", "traceRegex", "matchedStatuses")
MATCH_TIMEOUT_S = 0.05
MAX_RULES = 200
MAX_REGEX = 2000


class CategoriesError(FieldErrors):
    """Rules that cannot be saved: `errors` maps "[i].key" to what to fix."""


@dataclass(frozen=True)
class Rule:
    name: str
    message_regex: str = ""
    trace_regex: str = ""
    matched_statuses: tuple[str, ...] = ()

    def as_json(self) -> dict[str, Any]:
        """The rule as categories.json writes it (empty parts left out)."""
        found: dict[str, Any] = {"name": self.name}
        if self.message_regex:
            found["messageRegex"] = self.message_regex
        if self.trace_regex:
            found["traceRegex"] = self.trace_regex
        if self.matched_statuses:
            found["matchedStatuses"] = list(self.matched_statuses)
        return found


def allure_status(error: str) -> str:
    """A failure's status as Allure names it: an assertion that did not hold is
    `failed`; anything else (an element not found, a session error) is `broken`."""
    return "failed" if "Assertion failed" in (error or "") else "broken"


@lru_cache(maxsize=512)
def compiled(pattern: str) -> regex.Pattern:
    return regex.compile(pattern, regex.DOTALL)


def parse(data: Any) -> list[Rule]:
    """categories.json's list as rules, every problem named (CategoriesError)."""
    if not isinstance(data, list):
        raise CategoriesError(
            {"non_field_errors": "Must be a list of categories (Allure's categories.json)."}
        )
    if len(data) > MAX_RULES:
        raise CategoriesError({"non_field_errors": f"At most {MAX_RULES} categories."})
    errors: dict[str, str] = {}
    rules = []
    for i, item in enumerate(data):
        at = f"[{i}]"
        if not isinstance(item, dict):
            errors[at] = 'Must be an object {"name": ..., "messageRegex": ..., ...}.'
            continue
        unknown = sorted(set(item) - set(KEYS) - {"flaky"})
        if unknown:
            errors[at] = f"Unknown keys {', '.join(unknown)}; a category has {', '.join(KEYS)}."
        name = item.get("name")
        if not isinstance(name, str) or not name.strip() or len(name) > 200:
            errors[f"{at}.name"] = "Required: a name of 1 to 200 characters."
        patterns = {}
        for key in ("messageRegex", "traceRegex"):
            pattern = item.get(key) or ""
            if not isinstance(pattern, str) or len(pattern) > MAX_REGEX:
                errors[f"{at}.{key}"] = (
                    f"Must be a regular expression of at most {MAX_REGEX} characters."
                )
                continue
            try:
                compiled(pattern)
            except regex.error as exc:
                errors[f"{at}.{key}"] = f"Not a regular expression ({exc}): {pattern!r}"
            patterns[key] = pattern
        statuses = item.get("matchedStatuses") or []
        if not isinstance(statuses, list) or not set(statuses) <= set(STATUSES):
            errors[f"{at}.matchedStatuses"] = f"Must be a list of {', '.join(STATUSES)}."
            statuses = []
        if not any(k.startswith(at) for k in errors):
            rules.append(
                Rule(
                    name.strip(),
                    patterns.get("messageRegex", ""),
                    patterns.get("traceRegex", ""),
                    tuple(statuses),
                )
            )
    if errors:
        raise CategoriesError(errors)
    return rules


def load() -> list[Rule]:
    """The saved rules, in order (one query)."""
    return [
        Rule(c.name, c.message_regex, c.trace_regex, tuple(c.matched_statuses))
        for c in Category.objects.order_by("position")
    ]


def save(rules: Sequence[Rule]) -> None:
    """Replace the rules, all or nothing."""
    with transaction.atomic():
        Category.objects.all().delete()
        Category.objects.bulk_create(
            Category(
                position=i,
                name=r.name,
                message_regex=r.message_regex,
                trace_regex=r.trace_regex,
                matched_statuses=list(r.matched_statuses),
            )
            for i, r in enumerate(rules)
        )


def matches(pattern: str, text: str) -> bool:
    if not pattern:
        return True
    try:
        return compiled(pattern).fullmatch(text or "", timeout=MATCH_TIMEOUT_S) is not None
    except TimeoutError:
        log.warning("Category regex %r gave up after %s s on a text", pattern, MATCH_TIMEOUT_S)
        return False


def category_of(rules: Sequence[Rule], message: str, status: str, trace: str = "") -> str:
    """The name of the first rule matching the failure ("" when none does)."""
    for rule in rules:
        if status not in (rule.matched_statuses or DEFAULT_STATUSES):
            continue
        if matches(rule.message_regex, message) and matches(rule.trace_regex, trace):
            return rule.name
    return ""
