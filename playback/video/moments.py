"""Moments in a run's video: where each step starts in it, and a moment as a player
shows it (the admin's "▶ at 0:12" links and the HTML report's)."""

from __future__ import annotations

from typing import Any


def clock(ms: int) -> str:
    """A moment in a video as a player shows it: 0:07, 1:02, 1:02:03."""
    minutes, seconds = divmod(ms // 1000, 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{seconds:02d}" if hours else f"{minutes}:{seconds:02d}"


def playable(run: Any) -> bool:
    """The run has a video on storage (kept, not pruned)."""
    return bool(run.video) and run.media_pruned_at is None


def offset_of(run: Any, step: int) -> int | None:
    """Where `step` starts in the run's video (ms); None when it is not in one."""
    if not playable(run):
        return None
    return next((s["offset_ms"] for s in run.video["steps"] if s["step"] == step), None)


def fragment(offset_ms: int) -> str:
    """The run page's address fragment that plays its video from `offset_ms`."""
    return f"#t={offset_ms / 1000:.2f}"
