"""The run settings in the API: a request's `settings` read within this server's
limits, and their schema. Each setting's key, help, default and limits are its
`Setting` (playback/words.py); the keys are mapped there, for the API, batches and
schedules alike.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.conf import settings as django_settings

from playback.words import (
    SETTINGS_BY_KEY,
    RunSettings,
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
