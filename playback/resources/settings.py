"""A run's settings in a resource: the camelCase keys of each `Setting`
(playback/words.py), described for the schema and shown from a `RunSettings`."""

from __future__ import annotations

from enum import StrEnum

from django.conf import settings as django_settings
from rest_framework import serializers

from playback.services.runs import server_default
from playback.words import SETTINGS, Setting, keyed_settings


def _schema_field(setting: Setting) -> serializers.Field:
    common = {"required": False, "help_text": setting.help}
    if setting.kind is bool:
        return serializers.BooleanField(default=setting.default, **common)
    if issubclass(setting.kind, StrEnum):
        return serializers.ChoiceField(
            [word.value for word in setting.kind],
            default=str(server_default(setting)),
            **common,
        )
    bounds = {"min_value": setting.minimum}
    if not setting.capped:
        bounds["max_value"] = setting.maximum
    if setting.name == "run_timeout_s":  # this server's own maximum, what it refuses above
        bounds["max_value"] = django_settings.PLAYBACK_MAX_RUN_TIMEOUT_S
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
