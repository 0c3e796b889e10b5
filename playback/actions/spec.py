"""What an action is: one `ActionSpec` per action, in its own module of this package.

A spec holds everything about its action but the device calls themselves: its keys
(with their kind and help, which the flows API's schema and the admin read), how
they are parsed (with the field errors a person reads), what a played step is
called (`target`, `summary`: JUnit, HTML, the admin, insights), which keys make the
step's identity (`identity`: the step's history across flow edits), and how the
engine plays it through the `Driver` protocol (`play`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from playback.actions import fields

if TYPE_CHECKING:
    from playback.engine import Driver, Step

# Keys every step may have, whatever its action.
COMMON_KEYS = frozenset({"step", "action", "timeout_ms", "description"})


@dataclass(frozen=True)
class Key:
    """One key of an action's steps: `kind` is "int", "text" or "locator"."""

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
        return f"{self.name} {self.target(step)}".rstrip()

    def play(self, driver: Driver, step: Step, timeout_ms: int) -> None:
        """Do the step on the device; any exception is a failed attempt."""
        raise NotImplementedError
