"""The SPEC's rates over a window (the last N finished runs of a flow: success,
failed, partial_success; error and cancelled are counted apart), read from a
`FlowWindow`:

- pass rate = success / N
- flip rate = changes between success and not-success in consecutive runs / (N - 1)
- a step's flake rate = flaky / executed, fail rate = fail / executed
  (executed = pass + flaky + fail)
- health: "passing" (pass rate >= 0.9 and flip rate <= 0.1), "failing" (the last
  run did not pass and pass rate < 0.5), "flaky" (anything else), "no runs".
"""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass, field
from itertools import pairwise
from typing import Any

from playback.insights.models import KEEP_RUNS, FlowWindow

NAMES = {"P": "pass", "K": "flaky", "F": "fail"}
DEFAULT_WINDOW = 30
MIN_WINDOW, MAX_WINDOW = 10, KEEP_RUNS


@dataclass
class StepStats:
    step_key: str
    summary: str
    executed: int
    passed: int
    flaky: int
    failed: int
    flake_rate: float
    fail_rate: float
    usual_passing_attempt: int | None
    attempts: list[int | None]  # per run of the window, oldest first (None: not executed)
    statuses: list[str | None]  # pass / flaky / fail per run of the window, oldest first
    last_failure: dict[str, Any] | None


@dataclass
class FlowStats:
    window: int
    runs: int
    success: int
    failed: int
    partial_success: int
    error: int
    cancelled: int
    pass_rate: float | None
    flip_rate: float | None
    health: str
    results: list[str] = field(default_factory=list)  # statuses, oldest first
    run_ids: list[int] = field(default_factory=list)
    steps: list[StepStats] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


def ratio(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def health(pass_rate: float | None, flip_rate: float | None, last: str | None) -> str:
    if pass_rate is None:
        return "no runs"
    if pass_rate >= 0.9 and (flip_rate or 0) <= 0.1:
        return "passing"
    if last != "success" and pass_rate < 0.5:
        return "failing"
    return "flaky"


def flow_stats(window: FlowWindow | None, n: int = DEFAULT_WINDOW) -> FlowStats:
    runs = (window.runs if window else [])[-n:]
    statuses = [status for _, status in runs]
    tally = Counter(statuses)
    first_in = runs[0][0] if runs else None  # error and cancelled runs since the window began
    others = Counter(
        status
        for run_id, status in (window.others if window else [])
        if first_in and run_id > first_in
    )
    count = len(runs)
    flips = sum((a == "success") != (b == "success") for a, b in pairwise(statuses))
    pass_rate = ratio(tally["success"], count)
    flip_rate = ratio(flips, count - 1) if count > 1 else None
    stats = FlowStats(
        window=n,
        runs=count,
        success=tally["success"],
        failed=tally["failed"],
        partial_success=tally["partial_success"],
        error=others["error"],
        cancelled=others["cancelled"],
        pass_rate=pass_rate,
        flip_rate=flip_rate,
        health=health(pass_rate, flip_rate, statuses[-1] if statuses else None),
        results=statuses,
        run_ids=[run_id for run_id, _ in runs],
    )
    for key, step in (window.steps if window else {}).items():
        stats.steps.append(step_stats(key, step, count))
    stats.steps.sort(key=lambda s: (-(s.flake_rate or 0), -(s.fail_rate or 0), s.summary))
    return stats


@dataclass(frozen=True)
class Tally:
    """A step's pass / flaky / fail letters over the last runs of a window."""

    passed: int
    flaky: int
    failed: int

    @property
    def executed(self) -> int:
        return self.passed + self.flaky + self.failed

    @property
    def flake_rate(self) -> float:
        return ratio(self.flaky, self.executed) or 0.0

    @property
    def fail_rate(self) -> float:
        return ratio(self.failed, self.executed) or 0.0


def tally(letters: str, count: int) -> Tally:
    """The tally of the last `count` letters (none when the window is empty)."""
    last = letters[-count:] if count else ""
    return Tally(passed=last.count("P"), flaky=last.count("K"), failed=last.count("F"))


def step_stats(key: str, step: dict[str, Any], count: int) -> StepStats:
    letters = step["s"][-count:] if count else ""
    attempts = step["a"][-count:] if count else ""
    counts = tally(step["s"], count)
    passing = Counter(
        int(a) for s, a in zip(letters, attempts, strict=True) if s in "PK" and a.isdigit()
    )
    last = step.get("last_failure")
    in_window = last and counts.failed  # its last failure is one of these runs
    return StepStats(
        step_key=key,
        summary=step.get("summary", ""),
        executed=counts.executed,
        passed=counts.passed,
        flaky=counts.flaky,
        failed=counts.failed,
        flake_rate=counts.flake_rate,
        fail_rate=counts.fail_rate,
        usual_passing_attempt=passing.most_common(1)[0][0] if passing else None,
        attempts=[int(a) if a.isdigit() else None for a in attempts],
        statuses=[NAMES.get(letter) for letter in letters],
        last_failure=(
            {"run_id": last[0], "finished_at": last[1], "error": last[2]} if in_window else None
        ),
    )


def window_of(flow_id: int, scope: str = "") -> FlowWindow | None:
    return FlowWindow.objects.filter(flow_id=flow_id, scope=scope).first()
