"""Enqueueing: the only code that knows the broker (django-q2)."""

from __future__ import annotations

from django_q.tasks import async_task


def enqueue_run(run_id: int) -> str:
    """Queue the run's task; call it only after the run's transaction committed."""
    return async_task("playback.tasks.play_run", run_id, task_name=f"run-{run_id}", group="runs")
