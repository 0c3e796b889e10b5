"""The run settings as a form (the admin's "Play on a device"): one field per setting
of `playback.words.SETTINGS`, cleaned into a `RunSettings`."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from django import forms

from playback import words
from playback.services.runs import server_default
from playback.words import SETTINGS, RunSettings, Setting


def settings_field(setting: Setting) -> forms.Field:
    common: dict[str, Any] = {"label": setting.label, "help_text": setting.help}
    if setting.kind is bool:
        return forms.BooleanField(required=False, initial=setting.default, **common)
    if issubclass(setting.kind, StrEnum):
        # One the server gives a default for may be left out (an older form): None.
        return forms.TypedChoiceField(
            choices=words.choices(setting.kind),
            coerce=setting.kind,
            required=not setting.server_default,
            empty_value=None,
            initial=str(server_default(setting)),
            **common,
        )
    if setting.capped:
        numbers = range(setting.minimum, setting.maximum + 1)
        return forms.TypedChoiceField(
            choices=[(n, n) for n in numbers], coerce=int, initial=setting.default, **common
        )
    return forms.IntegerField(
        required=setting.default is not None,
        min_value=setting.minimum,
        initial=setting.default,
        **common,
    )


class RunSettingsForm(forms.Form):
    """Every run setting as a field; `run_settings()` gives them as a `RunSettings`."""

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        for setting in SETTINGS:
            self.fields[setting.name] = settings_field(setting)

    def run_settings(self) -> RunSettings:
        return RunSettings(
            **{setting.name: self.cleaned_data[setting.name] for setting in SETTINGS}
        )

    def add_settings_errors(self, errors: dict[str, str]) -> None:
        """The service's refusals ({field name: message}) on their fields."""
        for name, message in errors.items():
            self.add_error(name if name in self.fields else None, message)
