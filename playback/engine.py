"""The playback rules: plain Python, no Django.

`play()` takes a `Driver` (anything that can find, click, type, tap, swipe, take a
screenshot and handle the app's lifecycle), the flow's steps and the run's settings,
and returns a `RunOutcome`. It reports each step through `on_step` as soon as the
step's result is final, so a caller can save results as they happen, and asks
`should_cancel` before every step and every retry.

The rules are those of SPEC.md "Engine semantics".
"""

from __future__ import annotations

import difflib
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, ClassVar, Protocol

MAX_RETRIES_PER_STEP = 3
MAX_RUN_TIMEOUT_S = 24 * 3600
APP_FOREGROUND = 4
APP_STATE_NAMES = {
    0: "not installed",
    1: "not running",
    2: "running in background (suspended)",
    3: "running in background",
    4: "running in foreground",
}


class StepStatus(StrEnum):
    PASS = "pass"
    FLAKY = "flaky"
    FAIL = "fail"
    SKIPPED = "skipped"
    BLOCKED = "blocked"


class RunStatus(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    SUCCESS = "success"
    FAILED = "failed"
    PARTIAL_SUCCESS = "partial_success"
    ERROR = "error"
    CANCELLED = "cancelled"


class FailureBehaviour(StrEnum):
    STOP = "stop"
    SKIP = "skip"
    CONTINUE = "continue"


class Action(StrEnum):
    TAP = "tap"
    SWIPE = "swipe"
    TYPE = "type"


class SettingsError(ValueError):
    """Settings that cannot be used; `errors` maps each bad key to what is allowed."""

    def __init__(self, errors: dict[str, str]):
        self.errors = errors
        super().__init__("; ".join(f"{key}: {message}" for key, message in errors.items()))


class DeviceError(Exception):
    """The device or its Appium server is gone: the run cannot go on.

    A driver raises it for a lost session or an unreachable server; every other
    exception from a driver is a failed attempt of the current step.
    """


class AppPreparationError(Exception):
    """The app could not be brought to a known state before step 1."""


@dataclass(frozen=True)
class PlaybackSettings:
    """The effective settings of one run (SPEC "POST /api/playback/start")."""

    restart_app: bool = True
    clear_data: bool = False
    retry_per_step: int = 0
    failure_behaviour: FailureBehaviour = FailureBehaviour.STOP
    capture_screenshots: bool = True
    # None: the server's default (the service fills it in when a run is created).
    run_timeout_s: int | None = None

    # API key -> attribute; the API speaks camelCase, as the seed does.
    KEYS: ClassVar[dict[str, str]] = {
        "restartApp": "restart_app",
        "clearData": "clear_data",
        "retryPerStep": "retry_per_step",
        "failureBehaviour": "failure_behaviour",
        "captureScreenshots": "capture_screenshots",
        "runTimeoutSeconds": "run_timeout_s",
    }

    @classmethod
    def parse(cls, data: Mapping[str, Any] | None) -> PlaybackSettings:
        """Validate request settings; missing keys take their defaults.

        `retryPerStep` above 3 is capped at 3 (the seed's rule); everything else that
        is not exactly what the table allows raises `SettingsError`, naming each key.
        """
        if data is None:
            return cls()
        if not isinstance(data, Mapping):
            raise SettingsError(
                {"settings": f"Must be an object with the keys {', '.join(cls.KEYS)}."}
            )
        errors: dict[str, str] = {}
        values: dict[str, Any] = {}
        for key, value in data.items():
            if key not in cls.KEYS:
                errors[key] = _unknown_key_message(str(key), cls.KEYS)
                continue
            attr = cls.KEYS[key]
            if attr == "retry_per_step":
                if isinstance(value, bool) or not isinstance(value, int):
                    errors[key] = (
                        f"Must be a whole number from 0 to {MAX_RETRIES_PER_STEP} (got {value!r})."
                    )
                elif value < 0:
                    errors[key] = (
                        f"Must be 0 or more (got {value}); values above "
                        f"{MAX_RETRIES_PER_STEP} are capped at {MAX_RETRIES_PER_STEP}."
                    )
                else:
                    values[attr] = min(value, MAX_RETRIES_PER_STEP)
            elif attr == "run_timeout_s":
                if value is None:
                    continue
                if isinstance(value, bool) or not isinstance(value, int):
                    errors[key] = f"Must be a whole number of seconds (got {value!r})."
                elif not 1 <= value <= MAX_RUN_TIMEOUT_S:
                    errors[key] = f"Must be from 1 to {MAX_RUN_TIMEOUT_S} seconds (got {value})."
                else:
                    values[attr] = value
            elif attr == "failure_behaviour":
                allowed = [b.value for b in FailureBehaviour]
                if value not in allowed:
                    errors[key] = f"Must be one of {', '.join(allowed)} (got {value!r})."
                else:
                    values[attr] = FailureBehaviour(value)
            elif not isinstance(value, bool):
                errors[key] = f"Must be true or false (got {value!r})."
            else:
                values[attr] = value
        if errors:
            raise SettingsError(errors)
        return cls(**values)

    def as_dict(self) -> dict[str, Any]:
        """The settings as the API shows them (camelCase keys)."""
        shown = {
            key: (str(getattr(self, attr)) if attr == "failure_behaviour" else getattr(self, attr))
            for key, attr in self.KEYS.items()
        }
        if self.run_timeout_s is None:
            del shown["runTimeoutSeconds"]
        return shown


def _unknown_key_message(key: str, allowed: Mapping[str, str]) -> str:
    message = f"Unknown setting. Allowed: {', '.join(allowed)}."
    close = difflib.get_close_matches(key, list(allowed), n=1)
    if close:
        message = f"Unknown setting; did you mean {close[0]!r}? Allowed: {', '.join(allowed)}."
    return message


@dataclass(frozen=True)
class Locator:
    using: str
    value: str

    def __str__(self) -> str:
        return f"{self.using}={self.value!r}"


@dataclass(frozen=True)
class Step:
    """One recorded step, already validated (see flows.definitions)."""

    number: int
    action: Action
    locator: Locator | None = None
    x: int | None = None
    y: int | None = None
    start_x: int | None = None
    start_y: int | None = None
    end_x: int | None = None
    end_y: int | None = None
    duration_ms: int = 500
    text: str | None = None
    timeout_ms: int | None = None


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


@dataclass
class RunOutcome:
    status: RunStatus
    steps: list[StepOutcome]
    duration_ms: int
    error: str | None = None

    @property
    def counts(self) -> dict[str, int]:
        return step_counts([s.status for s in self.steps])


def counts_from_tally(tally: Mapping[str, int]) -> dict[str, int]:
    """The run's step counters from {status: how many}; `successful_steps` counts
    pass + flaky (the seed's)."""
    return {
        "successful_steps": tally.get(StepStatus.PASS, 0) + tally.get(StepStatus.FLAKY, 0),
        "flaky_steps": tally.get(StepStatus.FLAKY, 0),
        "failed_steps": tally.get(StepStatus.FAIL, 0),
        "skipped_steps": tally.get(StepStatus.SKIPPED, 0),
        "blocked_steps": tally.get(StepStatus.BLOCKED, 0),
    }


def step_counts(statuses: Sequence[str]) -> dict[str, int]:
    """The run's step counters, `total_steps` included."""
    tally: dict[str, int] = {}
    for status in statuses:
        tally[StepStatus(status)] = tally.get(StepStatus(status), 0) + 1
    return {"total_steps": len(statuses), **counts_from_tally(tally)}


def overall_status(statuses: Sequence[str]) -> RunStatus:
    """The seed's aggregation: success, failed or partial_success."""
    not_ok = {StepStatus.FAIL, StepStatus.SKIPPED, StepStatus.BLOCKED}
    if not any(s in not_ok for s in statuses):
        return RunStatus.SUCCESS
    if not any(s in (StepStatus.PASS, StepStatus.FLAKY) for s in statuses):
        return RunStatus.FAILED
    return RunStatus.PARTIAL_SUCCESS


class Driver(Protocol):
    """What the engine needs from a device. Errors are exceptions whose text says
    what went wrong; `DeviceError` means the device is gone."""

    def find(self, locator: Locator, timeout_ms: int) -> Any: ...

    def click(self, element: Any) -> None: ...

    def type_text(self, text: str, element: Any | None) -> None: ...

    def tap(self, x: int, y: int) -> None: ...

    def swipe(
        self, start_x: int, start_y: int, end_x: int, end_y: int, duration_ms: int
    ) -> None: ...

    def screenshot(self) -> bytes: ...

    def terminate_app(self, app_id: str) -> None: ...

    def activate_app(self, app_id: str) -> None: ...

    def clear_app(self, app_id: str) -> None: ...

    def query_app_state(self, app_id: str) -> int: ...


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
        settings: PlaybackSettings,
        timing: Timing,
        on_step: Callable[[StepOutcome], None] | None,
        should_cancel: Callable[[], bool] | None,
        sleep: Callable[[float], None],
        clock: Callable[[], float],
    ):
        self.driver = driver
        self.app_id = app_id
        self.settings = settings
        self.timing = timing
        self.on_step = on_step
        self.should_cancel = should_cancel or (lambda: False)
        self.sleep = sleep
        self.clock = clock
        self.outcomes: list[StepOutcome] = []
        self.cancelled = False
        self.fatal: str | None = None
        self.started = 0.0

    # --- the run -------------------------------------------------------------
    def timed_out(self, before: str) -> bool:
        """True (and the run's error set) once the run's own time is up."""
        limit = self.settings.run_timeout_s
        if limit is None or self.clock() - self.started < limit:
            return False
        self.fatal = f"Run timed out after {limit:g} s ({before})"
        return True

    def play(self, steps: Sequence[Step]) -> RunOutcome:
        start = self.started = self.clock()
        not_run: tuple[StepStatus, str] | None = None
        if self.should_cancel():
            self.cancelled = True
            not_run = (StepStatus.SKIPPED, "Run cancelled")
        else:
            try:
                self.prepare_app()
            except Exception as exc:  # any failure here means no step can be trusted
                self.fatal = f"App preparation failed: {describe(exc)}"
                not_run = (StepStatus.BLOCKED, "Not run: app preparation failed")

        for step in steps:
            if not_run is None and self.should_cancel():
                self.cancelled = True
                not_run = (StepStatus.SKIPPED, "Run cancelled")
            elif not_run is None and self.timed_out(f"before step {step.number}"):
                not_run = (StepStatus.BLOCKED, f"Not run: {self.fatal}")
            if not_run is not None:
                status, reason = not_run
                self.emit(StepOutcome(step.number, str(step.action), status, error=reason))
                continue
            outcome = self.run_step(step)
            self.emit(outcome)
            if self.cancelled:
                not_run = (StepStatus.SKIPPED, "Run cancelled")
            elif self.fatal:
                not_run = (StepStatus.BLOCKED, f"Not run: {self.fatal}")
            elif outcome.status == StepStatus.FAIL:
                if self.settings.failure_behaviour == FailureBehaviour.STOP:
                    not_run = (StepStatus.BLOCKED, f"Not run: step {step.number} failed")
                elif self.settings.failure_behaviour == FailureBehaviour.SKIP:
                    not_run = (StepStatus.SKIPPED, f"Skipped: step {step.number} failed")

        if self.cancelled:
            status = RunStatus.CANCELLED
        elif self.fatal:
            status = RunStatus.ERROR
        else:
            status = overall_status([o.status for o in self.outcomes])
        duration_ms = round((self.clock() - start) * 1000)
        return RunOutcome(status, self.outcomes, duration_ms, error=self.fatal)

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
        attempts_allowed = self.settings.retry_per_step + 1
        status: StepStatus | None = None
        message: str | None = None
        for attempt in range(1, attempts_allowed + 1):
            if attempt > 1:
                self.sleep(self.timing.retry_pause_s)
                if self.should_cancel():
                    self.cancelled = True
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
                status, message = StepStatus.FAIL, f"Device lost on attempt {attempt}: {errors[-1]}"
                break
            except Exception as exc:
                errors.append(describe(exc))
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
        )
        if self.settings.capture_screenshots and not self.fatal:
            try:
                outcome.screenshot = self.driver.screenshot()
            except Exception as exc:  # a screenshot never changes the step's status
                outcome.screenshot_error = describe(exc)
        return outcome

    def perform(self, step: Step) -> None:
        driver = self.driver
        timeout_ms = (
            step.timeout_ms if step.timeout_ms is not None else self.timing.element_timeout_ms
        )
        if step.action == Action.TAP:
            if step.locator is not None:
                driver.click(driver.find(step.locator, timeout_ms))
            else:
                driver.tap(step.x, step.y)
        elif step.action == Action.SWIPE:
            driver.swipe(step.start_x, step.start_y, step.end_x, step.end_y, step.duration_ms)
        elif step.action == Action.TYPE:
            element = driver.find(step.locator, timeout_ms) if step.locator is not None else None
            driver.type_text(step.text or "", element)
        else:
            raise ValueError(f"Unknown action {step.action!r}")


def play(
    driver: Driver,
    steps: Sequence[Step],
    *,
    app_id: str,
    settings: PlaybackSettings,
    timing: Timing | None = None,
    on_step: Callable[[StepOutcome], None] | None = None,
    should_cancel: Callable[[], bool] | None = None,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
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
    )
    return player.play(steps)
