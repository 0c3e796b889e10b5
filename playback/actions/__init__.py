"""Every action, one spec each (SPEC "Wave 3": one home per action).

Each module of this package defines `SPEC`, an `ActionSpec` (spec.py): the
registry below finds them, so adding an action is its module, its device calls
(playback/drivers/, the simulator plugin where Appium's fake driver lacks it) and
its tests. Flow parsing (flows/definitions.py), the flows API's schema, the admin,
JUnit/HTML names, step identity (insights/identity.py) and the engine read it here.
Plain Python, no Django.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Mapping
from enum import StrEnum
from typing import Any

from playback.actions.spec import COMMON_KEYS, ActionSpec, Key

_NOT_SPECS = {"fields", "spec"}


def _discover() -> dict[str, ActionSpec]:
    found = []
    for module in pkgutil.iter_modules(__path__):
        if module.name not in _NOT_SPECS:
            found.append(importlib.import_module(f"{__name__}.{module.name}").SPEC)
    return {spec.name: spec for spec in sorted(found, key=lambda spec: spec.order)}


SPECS: dict[str, ActionSpec] = _discover()
Action = StrEnum("Action", {name.upper(): name for name in SPECS})
ACTIONS = tuple(Action)


def spec_for(action: str) -> ActionSpec:
    """The spec of `action`; ValueError for an action no spec has."""
    try:
        return SPECS[action]
    except (KeyError, TypeError):
        raise ValueError(f"Unknown action {action!r}") from None


def choices() -> list[tuple[str, str]]:
    """(value, label) pairs: a model's or a form's choices."""
    return [(name, name.replace("_", " ").capitalize()) for name in SPECS]


def keys() -> dict[str, tuple[Key, list[str]]]:
    """Every action key, with the actions that take it (the flows API's step schema)."""
    found: dict[str, tuple[Key, list[str]]] = {}
    for spec in SPECS.values():
        for key in spec.keys:
            found.setdefault(key.name, (key, []))[1].append(spec.name)
    return found


def summary(step: Mapping[str, Any]) -> str:
    """A step (its JSON shape) in one line, for people: "tap accessibility id='login'",
    "type 'alice' into id='user'", "swipe (500, 1800) → (500, 600)"."""
    spec = SPECS.get(step.get("action"))
    return spec.summary(step) if spec else str(step.get("action") or "")


def target(step: Mapping[str, Any]) -> str:
    """What a step acts on: its locator, its point, or its swipe's two points."""
    spec = SPECS.get(step.get("action"))
    return spec.target(step) if spec else ""


def identity(step: Mapping[str, Any]) -> dict[str, Any]:
    """The keys that say what a step does (its action and the spec's `identity`)."""
    spec = SPECS.get(step.get("action"))
    names = ("action", *(spec.identity if spec else ("locator",)))
    return {name: step[name] for name in names if step.get(name) is not None}


__all__ = [
    "ACTIONS",
    "COMMON_KEYS",
    "SPECS",
    "Action",
    "ActionSpec",
    "Key",
    "choices",
    "identity",
    "keys",
    "spec_for",
    "summary",
    "target",
]
