"""Enqueueing: the only code that knows the broker (django-q2)."""

from __future__ import annotations

from datetime import datetime

from django_q.tasks import async_task


def enqueue_run(run_id: int) -> str:
    """Queue the run's task; call it only after the run's transaction committed."""
    return async_task("playback.tasks.play_run", run_id, task_name=f"run-{run_id}", group="runs")


def enqueue(task: str, *args: object, name: str) -> str:
    """Queue a task of playback.tasks by its short name (`deliver_webhook`)."""
    return async_task(f"playback.tasks.{task}", *args, task_name=name, group=task)


def enqueue_at(when: datetime, task: str, *args: object, name: str) -> None:
    """Queue a task once `when` has come: django-q2's scheduler (which looks every 30 s
    in each cluster) puts it on the queue, and the schedule goes once it ran."""
    from django_q.models import Schedule

    Schedule.objects.create(
        name=name,
        func=f"playback.tasks.{task}",
        args=repr(args) if args else None,
        schedule_type=Schedule.ONCE,
        repeats=-1,
        next_run=when,
    )


def workers_answer(timeout_s: float) -> bool:
    """Whether a django-q2 worker takes and answers a task within `timeout_s`."""
    from django_q.tasks import result

    try:
        task_id = async_task("playback.tasks.ping", task_name="ping", group="ping")
    except Exception:
        return False  # the broker itself is down
    return result(task_id, wait=round(timeout_s * 1000)) == "pong"
