"""Links from a report back into the service: a run's and a step's admin pages (and
the run's video from a step's moment) at
PLAYBACK_PUBLIC_URL (none without one: a production service that has not said where
people reach it)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.urls import reverse

from playback.video import moments


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


def video_url(run: Any, offset_ms: int = 0) -> str:
    """The run's page playing its video from `offset_ms` ("" when it has no video to
    play, or without PLAYBACK_PUBLIC_URL)."""
    url = run_url(run) if moments.playable(run) else ""
    return f"{url}{moments.fragment(offset_ms)}" if url else ""
