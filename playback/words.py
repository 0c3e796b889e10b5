"""The vocabulary of Playback, in one place and plain Python (no Django).

Step and run statuses, platforms, locator strategies, failure behaviours
and the run settings with their defaults and limits. The engine, the models'
choices, the serializers and the schema, the admin forms and the CLI all derive
from these; `tests/unit/test_words.py` fails when one of them drifts.
"""

from __future__ import annotations

import dataclasses
import difflib
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from playback.field_errors import FieldErrors


class StepStatus(StrEnum):
    PASS = "pass"  # the first attempt passed
    FLAKY = "flaky"  # a later attempt passed
    FAIL = "fail"  # every attempt failed (or the attempts were cut short)
    SKIPPED = "skipped"  # not played: failureBehaviour skip, a cancel or the run's timeout
    BLOCKED = "blocked"  # not played: failureBehaviour stop, or the run could not go on


class Verdict(StrEnum):
    """Whether a run (a batch) passed for CI: its failures all quarantined or not."""

    PASS = "pass"
    FAIL = "fail"


class RunStatus(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    SUCCESS = "success"
    FAILED = "failed"
    PARTIAL_SUCCESS = "partial_success"
    ERROR = "error"
    CANCELLED = "cancelled"


ACTIVE_RUN_STATUSES = (RunStatus.QUEUED, RunStatus.RUNNING)
# Runs that ended other than by a cancel (a flow's pass rate in the admin counts these).
FINISHED_RUN_STATUSES = (
    RunStatus.SUCCESS,
    RunStatus.FAILED,
    RunStatus.PARTIAL_SUCCESS,
    RunStatus.ERROR,
)
# Runs that played to a verdict on the app (pass rates count these; error and
# cancelled say nothing about the app).
VERDICT_RUN_STATUSES = (RunStatus.SUCCESS, RunStatus.FAILED, RunStatus.PARTIAL_SUCCESS)
# What a QA lead re-runs: every run that did not pass.
NOT_PASSED_RUN_STATUSES = (RunStatus.FAILED, RunStatus.PARTIAL_SUCCESS, RunStatus.ERROR)
PLAYED_STEP_STATUSES = (StepStatus.PASS, StepStatus.FLAKY, StepStatus.FAIL)


class Platform(StrEnum):
    ANDROID = "android"
    IOS = "ios"
    SIM = "sim"  # the simulated device: Appium's fake driver and our plugin
    WEB = "web"  # a mobile web app in Chromium, through Appium's Chromium driver


class BatchMode(StrEnum):
    SPLIT = "split"  # each flow once, on the next free device of the set
    ALL = "all"  # each flow on every device of the set (of its platform)
    REPEAT = "repeat"  # one flow N times on one device (a verify: playback/verify.py)


class WebhookEvent(StrEnum):
    RUN_FINISHED = "run.finished"  # a run ended, whatever its status
    RUN_FAILED = "run.failed"  # a run ended not passed (NOT_PASSED_RUN_STATUSES)
    BATCH_FINISHED = "batch.finished"  # a batch ended
    FAILURE_GROUP_CREATED = "failure_group.created"  # a run failed in a new way
    QUARANTINE_EXPIRED = "quarantine.expired"  # its expires_at passed: it applies no more


class DeliveryStatus(StrEnum):
    PENDING = "pending"  # a try is queued or due
    DELIVERED = "delivered"  # the receiver answered 2xx
    FAILED = "failed"  # every try failed, or the receiver's URL is not allowed


class FailureBehaviour(StrEnum):
    STOP = "stop"  # later steps are blocked
    SKIP = "skip"  # later steps are skipped
    CONTINUE = "continue"  # later steps are played


class BaselineStatus(StrEnum):
    CANDIDATE = "candidate"  # a screen a run took, waiting for a person
    APPROVED = "approved"  # what assert_screen compares with
    RETIRED = "retired"  # approved once, replaced by a newer version


class RecordVideo(StrEnum):
    OFF = "off"  # no video
    FAILED = "failed"  # recorded, kept when the run did not pass
    ALWAYS = "always"  # recorded and kept


# Labels for people (admin, CLI); a word without one reads as itself, capitalised.
LABELS: dict[str, str] = {
    RunStatus.PARTIAL_SUCCESS: "Partial success",
    Platform.IOS: "iOS",
    Platform.SIM: "Simulated device",
    Platform.WEB: "Web (Chromium)",
    # A batch's mode, beside a filter's own "All": what each mode does.
    BatchMode.SPLIT: "Split across devices",
    BatchMode.ALL: "Every flow on every device",
    BatchMode.REPEAT: "One flow again and again (a verify)",
    # Webhook events read as the receiver sees them on the wire.
    **{event: event.value for event in WebhookEvent},
}


def label(word: str) -> str:
    """How people read a word (a member or its value): "partial_success" -> "Partial success"."""
    return LABELS.get(word, str(word).replace("_", " ").capitalize())


def choices(words: type[StrEnum]) -> list[tuple[str, str]]:
    """(value, label) pairs for a Django `choices=` or a form field."""
    return [(word.value, label(word)) for word in words]


# --- run settings ------------------------------------------------------------------------
MAX_RETRIES_PER_STEP = 3  # more is played as 3 (docs/engine.md)
# The largest run timeout any server accepts; a server's own maximum is lower (its
# task timeout, see config/settings.py) and is what its messages state.
MAX_RUN_TIMEOUT_S = 24 * 3600


@dataclass(frozen=True)
class RunSettings:
    """The settings of one run; `SETTINGS` describes each field."""

    restart_app: bool = True
    clear_data: bool = False
    retry_per_step: int = 0
    failure_behaviour: FailureBehaviour = FailureBehaviour.STOP
    capture_screenshots: bool = True
    # None: the server's default (filled in when the run is created).
    run_timeout_s: int | None = None
    record_video: RecordVideo | None = None
    update_baselines: bool = False

    def stored(self) -> dict[str, Any]:
        """Plain JSON values, keyed by field name (what a run's row keeps)."""
        return {
            name: (value.value if isinstance(value, StrEnum) else value)
            for name, value in dataclasses.asdict(self).items()
        }

    @classmethod
    def from_stored(cls, data: Mapping[str, Any]) -> RunSettings:
        """The settings a run's row kept (validated when the run was created)."""
        known = {f.name for f in dataclasses.fields(cls)}
        values = {k: v for k, v in data.items() if k in known}
        for name, value in values.items():
            kind = SETTINGS_BY_NAME[name].kind
            if value is not None and issubclass(kind, StrEnum):
                values[name] = kind(value)
        return cls(**values)


@dataclass(frozen=True)
class Setting:
    """One run setting: its field, the key the API, batches and schedules give it
    (camelCase), the `play` command's option, how people read it, default and limits.

    A bool's `flag` turns it away from its default (`--no-restart`, `--clear-data`);
    any other's takes a value (`--retry 2`).
    """

    name: str
    key: str
    flag: str
    label: str
    kind: type
    default: Any
    help: str
    minimum: int | None = None
    maximum: int | None = None
    capped: bool = False  # above `maximum` is played as `maximum` instead of refused
    unit: str = ""
    # The Django setting that gives the server's default when `default` is None.
    server_default: str = ""


SETTINGS = (
    Setting(
        "restart_app",
        "restartApp",
        "--no-restart",
        "Restart the app",
        bool,
        True,
        "Terminate and launch the app first.",
    ),
    Setting(
        "clear_data",
        "clearData",
        "--clear-data",
        "Clear the app's data",
        bool,
        False,
        "Terminate the app, clear its data, launch it (wins over restart).",
    ),
    Setting(
        "retry_per_step",
        "retryPerStep",
        "--retry",
        "Retries per step",
        int,
        0,
        f"Extra attempts for a failing step, 0 to {MAX_RETRIES_PER_STEP}; "
        f"more is capped at {MAX_RETRIES_PER_STEP}.",
        minimum=0,
        maximum=MAX_RETRIES_PER_STEP,
        capped=True,
    ),
    Setting(
        "failure_behaviour",
        "failureBehaviour",
        "--failure-behaviour",
        "After a failed step",
        FailureBehaviour,
        FailureBehaviour.STOP,
        "stop: block the rest; skip: skip the rest; continue: play on.",
    ),
    Setting(
        "capture_screenshots",
        "captureScreenshots",
        "--no-screenshots",
        "Screenshots",
        bool,
        True,
        "A screenshot after every step that was played.",
    ),
    Setting(
        "run_timeout_s",
        "runTimeoutSeconds",
        "--run-timeout",
        "Run timeout",
        int,
        None,
        "The whole run's time limit; the server's default when not given.",
        minimum=1,
        maximum=MAX_RUN_TIMEOUT_S,
        unit="seconds",
        server_default="PLAYBACK_RUN_TIMEOUT_S",
    ),
    Setting(
        "record_video",
        "recordVideo",
        "--record-video",
        "Video",
        RecordVideo,
        None,
        "off: none; failed: recorded, kept when the run did not pass; always: kept. "
        "The server's default when not given.",
        server_default="PLAYBACK_RECORD_VIDEO",
    ),
    Setting(
        "update_baselines",
        "updateBaselines",
        "--update-baselines",
        "Approve its screens",
        bool,
        False,
        "assert_screen approves the screens it takes as baselines (and passes).",
    ),
)
SETTINGS_BY_NAME = {setting.name: setting for setting in SETTINGS}
SETTINGS_BY_KEY = {setting.key: setting for setting in SETTINGS}


class SettingsError(FieldErrors):
    """Settings that cannot be used; `errors` maps each bad field to what is allowed."""


def is_int(value: Any) -> bool:
    """A whole number (JSON's `true` is not one)."""
    return isinstance(value, int) and not isinstance(value, bool)


def check_setting(setting: Setting, value: Any, *, maximum: int | None = None) -> Any:
    """The value to play with, or ValueError saying what is allowed."""
    if setting.kind is bool:
        if not isinstance(value, bool):
            raise ValueError(f"Must be true or false (got {value!r}).")
        return value
    if issubclass(setting.kind, StrEnum):
        allowed = [word.value for word in setting.kind]
        if value not in allowed:
            raise ValueError(f"Must be one of {', '.join(allowed)} (got {value!r}).")
        return setting.kind(value)
    high = maximum if maximum is not None else setting.maximum
    span = f"from {setting.minimum} to {high}" + (f" {setting.unit}" if setting.unit else "")
    if not is_int(value):
        raise ValueError(f"Must be a whole number {span} (got {value!r}).")
    if setting.capped:
        if value < setting.minimum:
            raise ValueError(
                f"Must be {setting.minimum} or more (got {value}); values above {high} "
                f"are capped at {high}."
            )
        return min(value, high)
    if not setting.minimum <= value <= high:
        raise ValueError(f"Must be {span} (got {value}).")
    return value


def parse_settings(
    values: Mapping[str, Any], *, max_run_timeout_s: int = MAX_RUN_TIMEOUT_S
) -> RunSettings:
    """Settings from {field name: value}; missing fields take their defaults.

    Every bad value is reported at once (`SettingsError`, keyed by field name);
    `run_timeout_s` may be None (the server's default) and is at most
    `max_run_timeout_s`, the server's own maximum.
    """
    errors: dict[str, str] = {}
    checked: dict[str, Any] = {}
    for name, value in values.items():
        setting = SETTINGS_BY_NAME.get(name)
        if setting is None:
            errors[name] = f"Unknown setting. Allowed: {', '.join(SETTINGS_BY_NAME)}."
            continue
        if value is None and setting.default is None:
            continue
        limit = max_run_timeout_s if name == "run_timeout_s" else None
        try:
            checked[name] = check_setting(setting, value, maximum=limit)
        except ValueError as exc:
            errors[name] = str(exc)
    if errors:
        raise SettingsError(errors)
    return RunSettings(**checked)


def parse_keyed_settings(data: Any, *, max_run_timeout_s: int = MAX_RUN_TIMEOUT_S) -> RunSettings:
    """Settings as the API, batches and schedules give them ({"retryPerStep": 2}):
    missing keys take their defaults. Raises `SettingsError` keyed by the given keys;
    an unknown key names the one it resembles (`failureBehavior` -> did you mean
    'failureBehaviour'?)."""
    if data is None:
        return RunSettings()
    allowed = ", ".join(SETTINGS_BY_KEY)
    if not isinstance(data, Mapping):
        raise SettingsError({"settings": f"Must be an object with the keys {allowed}."})
    errors: dict[str, str] = {}
    values: dict[str, Any] = {}
    for key, value in data.items():
        if key in SETTINGS_BY_KEY:
            values[SETTINGS_BY_KEY[key].name] = value
            continue
        close = difflib.get_close_matches(str(key), list(SETTINGS_BY_KEY), n=1)
        hint = f"; did you mean {close[0]!r}?" if close else "."
        errors[str(key)] = f"Unknown setting{hint} Allowed: {allowed}."
    try:
        settings = parse_settings(values, max_run_timeout_s=max_run_timeout_s)
    except SettingsError as exc:
        errors.update(keyed_errors(exc.errors))
    if errors:
        raise SettingsError(errors)
    return settings


def keyed_errors(errors: Mapping[str, str]) -> dict[str, str]:
    """Settings errors keyed by field name, keyed as the API names the settings."""
    return {
        (SETTINGS_BY_NAME[name].key if name in SETTINGS_BY_NAME else name): message
        for name, message in errors.items()
    }


def keyed_settings(settings: RunSettings) -> dict[str, Any]:
    """A run's settings as the API, batches and schedules show them (camelCase keys)."""
    return {
        SETTINGS_BY_NAME[name].key: value
        for name, value in settings.stored().items()
        if value is not None
    }
