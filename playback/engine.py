"""The playback rules: plain Python, no Django.

`play()` takes a `Driver` (anything that can find, click, type, tap, swipe, check an
element, take a screenshot and handle the app's lifecycle), the flow's steps and the
run's settings, and returns a `RunOutcome`. It reports each step through `on_step` as
soon as it is final, so a caller can save results as they happen, and asks
`should_cancel` before every step and every retry. The rules: docs/engine.md.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from playback import actions
from playback.drivers.protocol import Driver
from playback.locators import Locator

# The outcomes are the engine's answer; they live beside it, named from here too.
from playback.outcomes import AttemptEvidence, RunOutcome, StepOutcome, overall_status
from playback.words import FailureBehaviour, RunSettings, RunStatus, StepStatus

__all__ = ["AttemptEvidence", "RunOutcome", "StepOutcome", "overall_status", "play"]

APP_FOREGROUND = 4
APP_STATE_NAMES = {
    0: "not installed",
    1: "not running",
    2: "running in background (suspended)",
    3: "running in background",
    4: "running in foreground",
}


class DeviceError(Exception):
    """The device or its Appium server is gone: the run cannot go on.

    A driver raises it for a lost session or an unreachable server; every other
    exception from a driver is a failed attempt of the current step.
    """


class AppPreparationError(Exception):
    """The app could not be brought to a known state before step 1."""


@dataclass(frozen=True)
class Step:
    """One recorded step, already validated (see flows.definitions): its action's
    own keys are in `params`, as its spec (playback/actions/) parsed them."""

    number: int
    action: str
    locator: Locator | None = None
    params: dict[str, Any] = field(default_factory=dict)
    timeout_ms: int | None = None
    # Its failure never fails the run: the step stays `fail`, the run goes on.
    optional: bool = False
    # Its own extra attempts, instead of the run's retry_per_step (0-3).
    retries: int | None = None
    # Quarantined (playback/quarantines.py): it plays and keeps its true status; when
    # it fails the run goes on as with `continue`.
    quarantined: bool = False


@dataclass(frozen=True)
class Context:
    """What an action's `play` needs besides the driver and its step: how long it may
    wait for an element, the run's app, and the engine's clock (fake in tests)."""

    timeout_ms: int
    app_id: str
    sleep: Callable[[float], None] = time.sleep
    clock: Callable[[], float] = time.monotonic
    should_cancel: Callable[[], bool] = lambda: False
    launch_timeout_s: float = 20.0
    # The service's comparison of a screen with its baseline (assert_screen), None
    # where there are no baselines; an action leaves what it found in `notes`.
    judge: Judge | None = None
    notes: dict[str, Any] = field(default_factory=dict)


class Verdict(Protocol):
    """A judge's answer: whether the screen matches, why not, and what to keep."""

    passed: bool
    message: str
    record: dict[str, Any]


# judge(step number, baseline name, PNG, masks as (x, y, width, height) in its pixels,
# threshold, max_diff_ratio) -> Verdict
Judge = Callable[[int, str, bytes, list[tuple[int, ...]], float, float], Verdict]


@dataclass(frozen=True)
class Timing:
    """Pauses and timeouts, from Django settings in production, tiny in tests."""

    retry_pause_s: float = 1.0
    launch_timeout_s: float = 20.0
    launch_poll_s: float = 0.1
    element_timeout_ms: int = 5000


def describe(exc: BaseException) -> str:
    text = str(exc).strip()
    return text or type(exc).__name__


class _Player:
    def __init__(
        self,
        driver: Driver,
        *,
        app_id: str,
        settings: RunSettings,
        timing: Timing,
        on_step: Callable[[StepOutcome], None] | None,
        should_cancel: Callable[[], bool] | None,
        sleep: Callable[[float], None],
        clock: Callable[[], float],
        judge: Judge | None = None,
    ):
        self.driver = driver
        self.judge = judge
        self.notes: dict[str, Any] = {}  # what the attempt in flight noted (its `visual`)
        self.app_id = app_id
        self.settings = settings
        self.timing = timing
        self.on_step = on_step
        self.should_cancel = should_cancel or (lambda: False)
        self.sleep = sleep
        self.clock = clock
        self.outcomes: list[StepOutcome] = []
        # Where a cancel stopped the run ("step 4", "attempt 2 of step 3").
        self.cancelled_before: str | None = None
        self.out_of_time = False
        self.fatal: str | None = None
        self.device_lost = False  # the fatal error was the device's (DeviceError)
        self.started = 0.0

    # --- the run -------------------------------------------------------------
    def cancelled_now(self, before: str) -> bool:
        """True (and where it stopped noted) when a cancel was requested."""
        if self.should_cancel():
            self.cancelled_before = before
            return True
        return False

    def timed_out(self, before: str) -> bool:
        """True (and the run's error set) once the run's own time is up."""
        limit = self.settings.run_timeout_s
        if limit is None or self.clock() - self.started < limit:
            return False
        self.fatal = f"Run timed out after {limit:g} s ({before})"
        self.out_of_time = True
        return True

    def not_run_reason(self) -> tuple[StepStatus, str] | None:
        """Why the steps from here on are not played, once the run cannot go on."""
        if self.cancelled_before is not None:
            return StepStatus.SKIPPED, "Run cancelled"
        if self.out_of_time:
            return StepStatus.SKIPPED, "Run timed out"
        if self.fatal:
            return StepStatus.BLOCKED, f"Not run: {self.fatal}"
        return None

    def play(self, steps: Sequence[Step]) -> RunOutcome:
        start = self.started = self.clock()
        not_run: tuple[StepStatus, str] | None = None
        first = f"step {steps[0].number}" if steps else "step 1"
        if self.cancelled_now(first):
            not_run = self.not_run_reason()
        else:
            try:
                self.prepare_app()
            except Exception as exc:  # any failure here means no step can be trusted
                self.fatal = f"App preparation failed: {describe(exc)}"
                self.device_lost = isinstance(exc, DeviceError)
                not_run = (StepStatus.BLOCKED, "Not run: app preparation failed")

        for step in steps:
            if not_run is None and (
                self.cancelled_now(f"step {step.number}")
                or self.timed_out(f"before step {step.number}")
            ):
                not_run = self.not_run_reason()
            if not_run is not None:
                status, reason = not_run
                self.emit(StepOutcome(step.number, str(step.action), status, error=reason))
                continue
            outcome = self.run_step(step)
            self.emit(outcome)
            not_run = self.not_run_reason()
            goes_on = step.optional or step.quarantined
            if not_run is None and outcome.status == StepStatus.FAIL and not goes_on:
                if self.settings.failure_behaviour == FailureBehaviour.STOP:
                    not_run = (StepStatus.BLOCKED, f"Not run: step {step.number} failed")
                elif self.settings.failure_behaviour == FailureBehaviour.SKIP:
                    not_run = (StepStatus.SKIPPED, f"Skipped: step {step.number} failed")

        if self.cancelled_before is not None:
            status = RunStatus.CANCELLED
        elif self.fatal:
            status = RunStatus.ERROR
        else:
            status = overall_status(
                [
                    o.status
                    for o in self.outcomes
                    if not (o.optional and o.status == StepStatus.FAIL)
                ]
            )
        duration_ms = round((self.clock() - start) * 1000)
        return RunOutcome(
            status,
            self.outcomes,
            duration_ms,
            error=self.fatal,
            cancelled_before=self.cancelled_before,
            device_lost=self.device_lost and status == RunStatus.ERROR,
        )

    def emit(self, outcome: StepOutcome) -> None:
        self.outcomes.append(outcome)
        if self.on_step is not None:
            self.on_step(outcome)

    # --- app preparation -----------------------------------------------------
    def prepare_app(self) -> None:
        driver, app_id = self.driver, self.app_id
        if self.settings.clear_data:
            driver.terminate_app(app_id)
            driver.clear_app(app_id)
            driver.activate_app(app_id)
        elif self.settings.restart_app:
            driver.terminate_app(app_id)
            driver.activate_app(app_id)
        elif driver.query_app_state(app_id) != APP_FOREGROUND:
            # Not restarting keeps the app's state, but the steps still need it open.
            driver.activate_app(app_id)
        self.wait_for_foreground()

    def wait_for_foreground(self) -> None:
        deadline = self.clock() + self.timing.launch_timeout_s
        while True:
            state = self.driver.query_app_state(self.app_id)
            if state == APP_FOREGROUND:
                return
            if self.clock() >= deadline:
                name = APP_STATE_NAMES.get(state, "unknown")
                raise AppPreparationError(
                    f"app {self.app_id} did not reach the foreground within "
                    f"{self.timing.launch_timeout_s:g} s (state {state}: {name})"
                )
            self.sleep(self.timing.launch_poll_s)

    # --- one step --------------------------------------------------------------
    def run_step(self, step: Step) -> StepOutcome:
        started = self.clock()
        errors: list[str] = []
        evidence: list[AttemptEvidence] = []
        retries = self.settings.retry_per_step if step.retries is None else step.retries
        attempts_allowed = retries + 1
        status: StepStatus | None = None
        message: str | None = None
        for attempt in range(1, attempts_allowed + 1):
            if attempt > 1:
                self.sleep(self.timing.retry_pause_s)
                if self.cancelled_now(f"attempt {attempt} of step {step.number}"):
                    message = (
                        f"Run cancelled before attempt {attempt}; "
                        f"attempt {attempt - 1} failed: {errors[-1]}"
                    )
                    status = StepStatus.FAIL
                    break
                if self.timed_out(f"before attempt {attempt} of step {step.number}"):
                    message = f"{self.fatal}; attempt {attempt - 1} failed: {errors[-1]}"
                    status = StepStatus.FAIL
                    break
            try:
                self.perform(step)
            except DeviceError as exc:
                errors.append(describe(exc))
                self.fatal = describe(exc)
                self.device_lost = True
                status, message = StepStatus.FAIL, f"Device lost on attempt {attempt}: {errors[-1]}"
                break
            except Exception as exc:
                errors.append(describe(exc))
                self.capture_attempt(attempt, errors[-1], evidence)
                if self.notes.get("visual") is not None and evidence:
                    evidence[-1].visual = self.notes["visual"]
                continue
            if attempt == 1:
                status = StepStatus.PASS
            else:
                status = StepStatus.FLAKY
                message = f"Passed on attempt {attempt}; attempt 1 failed: {errors[0]}"
            break
        else:
            status = StepStatus.FAIL
            noun = "attempt" if attempts_allowed == 1 else "attempts"
            message = f"Failed after {attempts_allowed} {noun}: {errors[-1]}"

        outcome = StepOutcome(
            step=step.number,
            action=str(step.action),
            status=status,
            attempts=len(errors) + (0 if status == StepStatus.FAIL else 1),
            duration_ms=round((self.clock() - started) * 1000),
            error=message,
            attempt_errors=errors,
            attempt_evidence=evidence,
            optional=step.optional,
            quarantined=step.quarantined,
            visual=self.notes.get("visual"),
        )
        if status == StepStatus.FAIL and evidence and evidence[-1].screenshot is not None:
            outcome.screenshot = evidence[-1].screenshot  # the same screen: taken once
        elif self.settings.capture_screenshots and not self.fatal:
            try:
                outcome.screenshot = self.driver.screenshot()
            except Exception as exc:  # a screenshot never changes the step's status
                outcome.screenshot_error = describe(exc)
        return outcome

    def capture_attempt(self, attempt: int, error: str, into: list[AttemptEvidence]) -> None:
        """The screen and UI source right after a failed attempt (never a status change)."""
        if not self.settings.capture_screenshots:
            return
        taken = AttemptEvidence(attempt, error)
        problems = []
        for name, take in (
            ("screenshot", self.driver.screenshot),
            ("source", self.driver.page_source),
        ):
            try:
                setattr(taken, name, take())
            except Exception as exc:  # a lost device shows on the next command
                problems.append(f"{name}: {describe(exc)}")
        taken.capture_error = "; ".join(problems) or None
        into.append(taken)

    def perform(self, step: Step) -> None:
        timeout_ms = (
            step.timeout_ms if step.timeout_ms is not None else self.timing.element_timeout_ms
        )
        self.notes = {}
        context = Context(
            timeout_ms,
            self.app_id,
            self.sleep,
            self.clock,
            self.should_cancel,
            self.timing.launch_timeout_s,
            self.judge,
            self.notes,
        )
        actions.spec_for(step.action).play(self.driver, step, context)


def play(
    driver: Driver,
    steps: Sequence[Step],
    *,
    app_id: str,
    settings: RunSettings,
    timing: Timing | None = None,
    on_step: Callable[[StepOutcome], None] | None = None,
    should_cancel: Callable[[], bool] | None = None,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
    judge: Judge | None = None,
) -> RunOutcome:
    """Prepare the app, play `steps` in order and return the run's outcome."""
    player = _Player(
        driver,
        app_id=app_id,
        settings=settings,
        timing=timing or Timing(),
        on_step=on_step,
        should_cancel=should_cancel,
        sleep=sleep,
        clock=clock,
        judge=judge,
    )
    return player.play(steps)
