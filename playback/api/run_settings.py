"""The run settings as the API speaks them: camelCase keys (docs/engine.md "Settings").

The service and the engine know settings only as a `RunSettings`; this module is
the one place that maps the request's keys to its fields and back.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from enum import StrEnum
from typing import Any

from django.conf import settings as django_settings
from rest_framework import serializers

from playback.words import SETTINGS, RunSettings, Setting, SettingsError, parse_settings

API_KEYS: dict[str, str] = {
    "restartApp": "restart_app",
    "clearData": "clear_data",
    "retryPerStep": "retry_per_step",
    "failureBehaviour": "failure_behaviour",
    "captureScreenshots": "capture_screenshots",
    "runTimeoutSeconds": "run_timeout_s",
}
KEY_OF_FIELD = {field: key for key, field in API_KEYS.items()}


def api_errors(errors: Mapping[str, str]) -> dict[str, str]:
    """Settings errors keyed by field name, keyed by the API's names instead."""
    return {KEY_OF_FIELD.get(name, name): message for name, message in errors.items()}


def from_request(data: Any) -> RunSettings:
    """A request's `settings` object as a `RunSettings` (missing keys: defaults).

    Raises `SettingsError` keyed by the request's own keys: an unknown key names
    the one it resembles (`failureBehavior` -> did you mean 'failureBehaviour'?).
    """
    if data is None:
        return RunSettings()
    if not isinstance(data, Mapping):
        raise SettingsError({"settings": f"Must be an object with the keys {', '.join(API_KEYS)}."})
    errors: dict[str, str] = {}
    values: dict[str, Any] = {}
    for key, value in data.items():
        if key in API_KEYS:
            values[API_KEYS[key]] = value
            continue
        message = f"Unknown setting. Allowed: {', '.join(API_KEYS)}."
        close = difflib.get_close_matches(str(key), list(API_KEYS), n=1)
        if close:
            message = f"Unknown setting; did you mean {close[0]!r}? Allowed: {', '.join(API_KEYS)}."
        errors[str(key)] = message
    try:
        settings = parse_settings(
            values, max_run_timeout_s=django_settings.PLAYBACK_MAX_RUN_TIMEOUT_S
        )
    except SettingsError as exc:
        errors.update(api_errors(exc.errors))
    if errors:
        raise SettingsError(errors)
    return settings


def overrides_from_request(data: Any) -> dict[str, Any]:
    """The settings a request gives, checked, by field name: what a re-run changes."""
    given = from_request(data)
    keys = data if isinstance(data, Mapping) else {}
    return {API_KEYS[key]: getattr(given, API_KEYS[key]) for key in keys}


def shown(settings: RunSettings) -> dict[str, Any]:
    """A run's settings as the API shows them (camelCase keys)."""
    return {
        KEY_OF_FIELD[name]: value
        for name, value in settings.stored().items()
        if not (value is None and name == "run_timeout_s")
    }


def _schema_field(setting: Setting) -> serializers.Field:
    common = {"required": False, "help_text": setting.help}
    if setting.kind is bool:
        return serializers.BooleanField(default=setting.default, **common)
    if issubclass(setting.kind, StrEnum):
        return serializers.ChoiceField(
            [word.value for word in setting.kind], default=setting.default.value, **common
        )
    bounds = {"min_value": setting.minimum}
    if not setting.capped:
        bounds["max_value"] = setting.maximum
    if setting.default is not None:
        common["default"] = setting.default
    return serializers.IntegerField(**bounds, **common)


# The settings object: its fields describe it in the schema (`from_request` does the
# validation) and a run's `RunSettings` is shown through `shown`.
SettingsSerializer = type(
    "SettingsSerializer",
    (serializers.Serializer,),
    {
        "__doc__": "The run settings; every key optional.",
        "to_representation": lambda self, settings: shown(settings),
        **{KEY_OF_FIELD[setting.name]: _schema_field(setting) for setting in SETTINGS},
    },
)
