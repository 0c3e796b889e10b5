"""The run settings in the API: a request's `settings` read within this server's
limits, and their schema. Each setting's key, help, default and limits are its
`Setting` (playback/words.py); the keys are mapped there, for the API, batches and
schedules alike.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import Any

from django.conf import settings as django_settings
from rest_framework import serializers

from playback.words import (
    SETTINGS,
    SETTINGS_BY_KEY,
    RunSettings,
    Setting,
    keyed_settings,
    parse_keyed_settings,
)


def from_request(data: Any) -> RunSettings:
    """A request's `settings` object (missing keys: defaults), within this server's
    longest run timeout. Raises `SettingsError` keyed by the request's own keys."""
    return parse_keyed_settings(data, max_run_timeout_s=django_settings.PLAYBACK_MAX_RUN_TIMEOUT_S)


def overrides_from_request(data: Any) -> dict[str, Any]:
    """The settings a request gives, checked, by field name: what a re-run changes."""
    given = from_request(data)
    keys = data if isinstance(data, Mapping) else {}
    return {SETTINGS_BY_KEY[key].name: getattr(given, SETTINGS_BY_KEY[key].name) for key in keys}


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
        "to_representation": lambda self, settings: keyed_settings(settings),
        **{setting.key: _schema_field(setting) for setting in SETTINGS},
    },
)
