"""A step's identity across flow edits, and a failure's signature (SPEC "Wave 2").

`step_key` hashes what a step does (its action and the keys its spec names as its
`identity`: locator or coordinates, text), not its number: a step keeps its history
when steps are inserted before it or renumbered.
`failure_signature` is an error with every run of digits outside quotes replaced by
N, so "waited 300 ms" and "waited 5000 ms" are one failure while id='ff1' and
id='ff2' stay two.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from typing import Any

from playback import actions
from playback.words import StepStatus

# A quoted value ('…' or "…", as Python's repr and our messages write them), or digits.
_QUOTED_OR_DIGITS = re.compile(r"'(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\"|\d+")


def step_key(definition: Mapping[str, Any]) -> str:
    """16 hex digits naming what the step does (its JSON shape, as played)."""
    what = actions.identity(definition)
    canonical = json.dumps(what, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()[:16]


def failure_signature(error: str) -> str:
    """The error with each run of digits outside quotes replaced by N."""
    return _QUOTED_OR_DIGITS.sub(
        lambda m: m.group(0) if m.group(0)[0] in "'\"" else "N", error.strip()
    )


def signature_key(signature: str) -> str:
    # surrogatepass: a device's text may hold a lone surrogate (stored cleaned, #10)
    return hashlib.sha256(signature.encode("utf-8", "surrogatepass")).hexdigest()[:16]


def step_keys(definition: Mapping[str, Any], outcome: Mapping[str, Any]) -> dict[str, str]:
    """A played step's `step_key` and `failure_key` (its failure group, "" when it
    neither failed nor was flaky), as its row stores them."""
    return {"step_key": step_key(definition), "failure_key": failure_key_of(outcome)}


def failure_of(result: Mapping[str, Any]) -> str | None:
    """What a failed attempt said: a failed step's last attempt, a flaky step's first
    (so a step that fails the same way flaky or failed is one group)."""
    errors = result["attempt_errors"] or [result["error"]]
    if result["status"] == StepStatus.FAIL:
        return errors[-1]
    if result["status"] == StepStatus.FLAKY:
        return errors[0]
    return None


def failure_key_of(result: Mapping[str, Any]) -> str:
    """A failed or flaky step's failure group ("" for any other step)."""
    error = failure_of(result)
    return signature_key(failure_signature(error)[:2000]) if error else ""
