"""What a run produced: each step's outcome (with the evidence of its failed attempts)
and the run's, and the rule that makes a run's status from its steps."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

from playback.step_counters import counters_from_tally
from playback.words import RunStatus, StepStatus


@dataclass
class AttemptEvidence:
    """What the screen showed right after a failed attempt: PNG bytes and the UI
    source (the native hierarchy XML, or the page's HTML), each None when not taken;
    `capture_error` says why a capture failed (it never changes a status)."""

    attempt: int
    error: str
    screenshot: bytes | None = None
    source: str | None = None
    capture_error: str | None = None
    # An assert_screen attempt's comparison (playback/visual/judge.py's record).
    visual: dict | None = None


@dataclass
class StepOutcome:
    """What happened to one step; `screenshot` holds PNG bytes when one was taken."""

    step: int
    action: str
    status: StepStatus
    attempts: int = 0
    duration_ms: int = 0
    error: str | None = None
    attempt_errors: list[str] = field(default_factory=list)
    screenshot: bytes | None = None
    screenshot_error: str | None = None
    # One per failed attempt, in order, when screenshots are captured.
    attempt_evidence: list[AttemptEvidence] = field(default_factory=list)
    # An optional step's failure does not count against the run (engine.Step.optional).
    optional: bool = False
    # A quarantined step's failure counts in the status, not in the verdict.
    quarantined: bool = False
    # An assert_screen step's last comparison (playback/visual/judge.py's record).
    visual: dict | None = None


@dataclass
class RunOutcome:
    status: RunStatus
    steps: list[StepOutcome]
    duration_ms: int
    error: str | None = None
    # A cancelled run: where it stopped ("step 4", "attempt 2 of step 3").
    cancelled_before: str | None = None
    # The run ended `error` because the device (or its Appium server) went away, not
    # because of the app or the flow: a batch gives that device no more of its flows.
    device_lost: bool = False

    @property
    def counts(self) -> dict[str, int]:
        """The run's step counters, `total_steps` included."""
        tally = Counter(StepStatus(s.status) for s in self.steps)
        return {"total_steps": len(self.steps), **counters_from_tally(tally)}


def overall_status(statuses: Sequence[str]) -> RunStatus:
    """The run's status from its steps: success, failed or partial_success."""
    not_ok = {StepStatus.FAIL, StepStatus.SKIPPED, StepStatus.BLOCKED}
    if not any(s in not_ok for s in statuses):
        return RunStatus.SUCCESS
    if not any(s in (StepStatus.PASS, StepStatus.FLAKY) for s in statuses):
        return RunStatus.FAILED
    return RunStatus.PARTIAL_SUCCESS


def batch_status(
    statuses: Sequence[str], *, unplayable: int = 0, cancelled: bool = False, waiting: int = 0
) -> RunStatus:
    """A batch's status from its runs' (SPEC "overall rules", a run in a step's place):
    queued until a run starts, running while a run or a flow is still to end
    (`waiting`: flows not yet handed to a device); then cancelled when the batch was
    cancelled; success when every run succeeded; error when every run (and flow that
    found no device: `unplayable`) ended error; failed when none succeeded; else
    partial_success."""
    if waiting or any(s in (RunStatus.QUEUED, RunStatus.RUNNING) for s in statuses):
        started = any(s != RunStatus.QUEUED for s in statuses)
        return RunStatus.RUNNING if started else RunStatus.QUEUED
    if cancelled:
        return RunStatus.CANCELLED
    ended = [*statuses, *[RunStatus.ERROR] * unplayable]
    if not ended:
        return RunStatus.ERROR
    if all(s == RunStatus.SUCCESS for s in ended):
        return RunStatus.SUCCESS
    if all(s == RunStatus.ERROR for s in ended):
        return RunStatus.ERROR
    if not any(s == RunStatus.SUCCESS for s in ended):
        return RunStatus.FAILED
    return RunStatus.PARTIAL_SUCCESS
