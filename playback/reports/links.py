"""Links from a report back into the service: a run's and a step's admin pages at
PLAYBACK_PUBLIC_URL (none without one: a production service that has not said where
people reach it)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.urls import reverse


def service_url(view: str, *args: Any) -> str:
    """The absolute URL of an admin view ("" without PLAYBACK_PUBLIC_URL)."""
    base = settings.PLAYBACK_PUBLIC_URL
    return f"{base}{reverse(view, args=args)}" if base else ""


def run_url(run: Any) -> str:
    """The run's page in the admin."""
    return service_url("admin:playback_run_change", run.pk)


def step_url(run_id: int, step_number: int) -> str:
    """The step viewer: the step's full-size screen and its neighbours."""
    return service_url("admin:playback_run_step", run_id, step_number)
