"""How steps find their elements: the locator strategies, which each platform's
automation knows, and a step's `Locator` as the engine plays it (plain Python).
A locator's fields are parsed in playback/actions/fields.py; each platform
resolves them in playback/drivers/."""

from __future__ import annotations

from dataclasses import dataclass

from playback.words import Platform

LOCATOR_STRATEGIES = (
    "accessibility id",
    "id",
    "xpath",
    "class name",
    "-android uiautomator",
    "-ios predicate string",
    "-ios class chain",
    "css selector",
    "text",  # visible text (playback/drivers/text_locators.py)
)
# What each platform's automation can find elements by.
LOCATOR_STRATEGIES_BY_PLATFORM: dict[Platform, tuple[str, ...]] = {
    Platform.ANDROID: (
        "accessibility id",
        "id",
        "xpath",
        "class name",
        "-android uiautomator",
        "text",
    ),
    Platform.IOS: (
        "accessibility id",
        "id",
        "xpath",
        "class name",
        "-ios predicate string",
        "-ios class chain",
        "text",
    ),
    Platform.SIM: ("accessibility id", "id", "xpath", "class name", "text"),
    # id = the element's id attribute, accessibility id = its aria-label
    Platform.WEB: ("css selector", "xpath", "id", "accessibility id", "text"),
}


@dataclass(frozen=True)
class Locator:
    """How a step finds its element: a strategy and its value; a `text` locator may
    be a full-match regular expression (`regex`); `index` picks the n-th match
    (0-based) of any strategy."""

    using: str
    value: str
    regex: bool = False
    index: int | None = None

    def __str__(self) -> str:
        shown = f"{self.using}=/{self.value}/" if self.regex else f"{self.using}={self.value!r}"
        return shown if self.index is None else f"{shown}[{self.index}]"
