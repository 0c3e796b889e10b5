"""What an action is: one `ActionSpec` per action, in its own module of this package.

A spec holds everything about its action but the device calls themselves: its keys
(with their kind and help, which the flows API's schema and the admin read), how
they are parsed (with the field errors a person reads), what a played step is
called (`target`, `summary`: JUnit, HTML, the admin, insights), which keys make the
step's identity (`identity`: the step's history across flow edits), and how the
engine plays it through the `Driver` protocol (`play`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from playback.actions import fields

if TYPE_CHECKING:
    from playback.drivers.protocol import Driver
    from playback.engine import Context, Step

# How often an action that waits for the screen looks again.
POLL_S = 0.1
# Keys every step may have, whatever its action.
COMMON_KEYS = frozenset({"step", "action", "timeout_ms", "description", "optional", "retries"})


@dataclass(frozen=True)
class Key:
    """One key of an action's steps: `kind` is "int", "number", "text", "bool",
    "locator" or "masks"."""

    name: str
    kind: str
    help: str


class ActionSpec:
    """The base of every action's spec; a module of this package defines `SPEC`."""

    name: ClassVar[str]
    order: ClassVar[int]  # where it stands in lists (choices, messages)
    keys: ClassVar[tuple[Key, ...]] = ()
    # The keys (besides `action`) whose values say what the step does: its identity.
    identity: ClassVar[tuple[str, ...]] = ("locator",)

    @property
    def key_names(self) -> frozenset[str]:
        return frozenset(key.name for key in self.keys)

    def parse(self, data: Mapping[str, Any], path: str, errors: fields.Errors) -> dict[str, Any]:
        """The step's parameters (every key but the locator), problems noted in `errors`."""
        return {}

    def target(self, step: Mapping[str, Any]) -> str:
        """What the step acts on, e.g. `id='user'` (the step's JSON shape)."""
        locator = step.get("locator")
        return fields.shown_locator(locator) if isinstance(locator, Mapping) else ""

    def summary(self, step: Mapping[str, Any]) -> str:
        """The step in one line, for people: "tap accessibility id='login'"."""
        return f"{self.name.replace('_', ' ')} {self.target(step)}".rstrip()

    def play(self, driver: Driver, step: Step, context: Context) -> None:
        """Do the step on the device (waiting for elements up to
        `context.timeout_ms`); any exception is a failed attempt."""
        raise NotImplementedError


class BareSpec(ActionSpec):
    """An action with no keys of its own (back, hide_keyboard, the app's lifecycle)."""

    identity = ()


def poll(context: Context, look: Callable[[], bool], timeout_ms: int) -> bool:
    """Whether `look()` came true within `timeout_ms` (looked at least once)."""
    deadline = context.clock() + timeout_ms / 1000
    while True:
        if look():
            return True
        if context.clock() >= deadline:
            return False
        context.sleep(POLL_S)


class PointSpec(ActionSpec):
    """An action on an element (by its locator) or a point of the screen (x/y):
    tap, long press, double tap. `point` is where it lands: the element's centre."""

    keys: ClassVar[tuple[Key, ...]] = (
        Key("locator", "locator", "The element (or x/y)."),
        Key("x", "int", "The point, without a locator."),
        Key("y", "int", "The point, without a locator."),
        Key("percent", "bool", fields.PERCENT_HELP),
    )
    identity = ("locator", "x", "y", "percent")

    def parse(self, data, path, errors):
        has_xy = "x" in data or "y" in data
        noun = f"{'An' if self.name[0] in 'aeiou' else 'A'} {self.name.replace('_', ' ')}"
        if data.get("locator") is not None and has_xy:
            errors[path] = f"{noun} takes a locator or x/y coordinates, not both."
            return {}
        if data.get("locator") is not None:
            if data.get("percent") is not None:
                errors[f"{path}.percent"] = "Only x/y coordinates are in percent."
            return {}
        if not has_xy:
            errors[path] = f"{noun} needs a locator or x and y screen coordinates."
            return {}
        return fields.coordinates(data, path, errors, ("x", "y"))

    def target(self, step: Mapping[str, Any]) -> str:
        if isinstance(step.get("locator"), Mapping):
            return super().target(step)
        return fields.shown_point(step) if step.get("x") is not None else ""

    def summary(self, step: Mapping[str, Any]) -> str:
        return f"{self.name.replace('_', ' ')} {self.target(step) or fields.shown_point(step)}"

    def point(self, driver: Driver, step: Step, context: Context) -> tuple[int, int]:
        if step.locator is not None:
            return driver.center(driver.find(step.locator, context.timeout_ms))
        p = step.params
        return fields.on_screen(p, p["x"], p["y"], driver.screen_size)
