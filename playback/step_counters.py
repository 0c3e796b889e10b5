"""A run's step counters (the columns the API names) and the tally of step statuses
they are kept from: one home for the mapping both ways."""

from __future__ import annotations

from collections.abc import Mapping

from playback.words import StepStatus

# The run's counters, as the API names them. `successful_steps` counts pass + flaky.
COUNTER_FIELDS = (
    "successful_steps",
    "flaky_steps",
    "failed_steps",
    "skipped_steps",
    "blocked_steps",
)


def counters_from_tally(tally: Mapping[str, int]) -> dict[str, int]:
    """The run's counters from {step status: how many}."""
    return {
        "successful_steps": tally.get(StepStatus.PASS, 0) + tally.get(StepStatus.FLAKY, 0),
        "flaky_steps": tally.get(StepStatus.FLAKY, 0),
        "failed_steps": tally.get(StepStatus.FAIL, 0),
        "skipped_steps": tally.get(StepStatus.SKIPPED, 0),
        "blocked_steps": tally.get(StepStatus.BLOCKED, 0),
    }


def tally_from_counters(counters: Mapping[str, int]) -> dict[StepStatus, int]:
    """{step status: how many} from the run's counters (pass = successful - flaky)."""
    return {
        StepStatus.PASS: counters["successful_steps"] - counters["flaky_steps"],
        StepStatus.FLAKY: counters["flaky_steps"],
        StepStatus.FAIL: counters["failed_steps"],
        StepStatus.SKIPPED: counters["skipped_steps"],
        StepStatus.BLOCKED: counters["blocked_steps"],
    }
