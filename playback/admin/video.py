"""A run's video in the admin: the player on the run's page, each step's "▶ at 0:12"
link that seeks it (static/playback/video.js), and the few seconds around a step in
the step viewer. The video is the API's (`…/runs/{id}/video`, the session's cookie
is enough), served with range requests so the player can seek."""

from __future__ import annotations

from typing import Any

from django.urls import reverse

from playback.models import Run
from playback.video.moments import clock, fragment, offset_of, playable

AROUND_MS = 2000  # the step viewer plays from this long before its step to this long after


def url(run: Run) -> str:
    return reverse("playback:run-video", kwargs={"run_id": run.pk})


def player(run: Run) -> dict[str, Any] | None:
    """The run page's player, or None when the run has no video to play."""
    if not playable(run):
        return None
    return {
        "url": url(run),
        "duration": clock(run.video["duration_ms"]),
        "bytes": run.video["bytes"],
        "content_type": run.video["content_type"],
    }


def moment(run: Run, step: int) -> dict[str, Any] | None:
    """A step row's link into the video."""
    offset = offset_of(run, step)
    if offset is None:
        return None
    return {"fragment": fragment(offset), "seconds": f"{offset / 1000:.2f}", "clock": clock(offset)}


def clip(run: Run, step: int, duration_ms: int) -> str | None:
    """The step viewer's video: the run's, played from a little before the step to a
    little after it (a media fragment, `#t=start,end`)."""
    offset = offset_of(run, step)
    if offset is None:
        return None
    start = max(0, offset - AROUND_MS) / 1000
    end = min(run.video["duration_ms"], offset + duration_ms + AROUND_MS) / 1000
    return f"{url(run)}#t={start:.2f},{end:.2f}"
