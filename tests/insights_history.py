"""A flow's known history for the insights' tests: five runs whose rates, markers and
failure groups are computed by hand in tests/unit/test_insights.py."""

from __future__ import annotations

from tests.scripted_driver import ScriptedDriver

SEQUENCE = [  # (what fails, retries, run status, step letters a b c, markers)
    ({}, 0, "success", "PPP", (False, False)),
    ({"b": 1}, 0, "partial_success", "PFP", (True, False)),
    ({"b": 1}, 1, "success", "PKP", (False, True)),
    ({"c": 5}, 1, "partial_success", "PPF", (True, False)),
    ({}, 0, "success", "PPP", (False, True)),
]


def play_history(play, flow, device) -> list:
    """Play SEQUENCE on `flow` (taps a, b, c) with a scripted driver; its runs."""
    runs = []
    for failures, retries, status, _, _ in SEQUENCE:
        run = play(flow, device, {"retry_per_step": retries, "failure_behaviour": "continue"},
                   driver=ScriptedDriver(find_failures=dict(failures)))  # fmt: skip
        assert run.status == status
        runs.append(run)
    return runs
