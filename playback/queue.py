"""Enqueueing: the only code that knows the broker (django-q2)."""

from __future__ import annotations

from django_q.tasks import async_task


def enqueue_run(run_id: int) -> str:
    """Queue the run's task; call it only after the run's transaction committed."""
    return async_task("playback.tasks.play_run", run_id, task_name=f"run-{run_id}", group="runs")


def workers_answer(timeout_s: float) -> bool:
    """Whether a django-q2 worker takes and answers a task within `timeout_s`."""
    from django_q.tasks import result

    try:
        task_id = async_task("playback.tasks.ping", task_name="ping", group="ping")
    except Exception:
        return False  # the broker itself is down
    return result(task_id, wait=round(timeout_s * 1000)) == "pong"
