"""Schedules: a batch started on a cron expression by django-q2's scheduler.

Each `BatchSchedule` has one django-q2 `Schedule` (named `batch-schedule-<id>`, a CRON
schedule of `playback.tasks.fire_schedule`), kept in step by `sync` when it is saved
and removed when it is deleted. A firing (`fire`) starts the batch unless the schedule
is paused; a request that no longer holds (a flow or device gone) is kept as the
schedule's `last_problem` instead.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from croniter import CroniterBadDateError, croniter
from django.utils import timezone

from playback.batches.models import Batch, BatchSchedule

PREVIEW = 5


def cron_problem(expression: str) -> str | None:
    """What is wrong with a cron expression (five fields), or None."""
    fields = (expression or "").split()
    if len(fields) != 5 or not croniter.is_valid(" ".join(fields)):
        return (
            "Five fields: minute hour day-of-month month day-of-week, e.g. "
            f'"0 2 * * 1-5" (got {expression!r}).'
        )
    try:
        croniter(" ".join(fields), timezone.now()).get_next(datetime)
    except CroniterBadDateError:
        return (
            f"{expression!r} never fires: no month has that day (e.g. the 30th of February). "
            "Pick a day every chosen month has."
        )
    return None


def next_times(expression: str, count: int = PREVIEW, after: datetime | None = None) -> list:
    """The next `count` times the expression fires (UTC), or [] when it is not valid."""
    if cron_problem(expression):
        return []
    times = croniter(" ".join(expression.split()), after or timezone.now())
    return [times.get_next(datetime) for _ in range(count)]


def q_name(schedule: BatchSchedule) -> str:
    return f"batch-schedule-{schedule.pk}"


def sync(schedule: BatchSchedule) -> None:
    """Create or update the schedule's django-q2 schedule (its cron, its next run)."""
    from django_q.models import Schedule

    upcoming = next_times(schedule.cron, 1)
    Schedule.objects.update_or_create(
        name=q_name(schedule),
        defaults={
            "func": "playback.tasks.fire_schedule",
            "args": repr(schedule.pk),
            "schedule_type": Schedule.CRON,
            "cron": " ".join(schedule.cron.split()),
            "repeats": -1,
            "next_run": upcoming[0] if upcoming else timezone.now(),
        },
    )


def forget(schedule: BatchSchedule) -> None:
    from django_q.models import Schedule

    Schedule.objects.filter(name=q_name(schedule)).delete()


def fire(schedule_id: int) -> Batch | None:
    """Start the schedule's batch now (django-q2 calls this); None when it is paused,
    gone, or its request does not hold any more (said in `last_problem`)."""
    from playback import services

    schedule = BatchSchedule.objects.filter(pk=schedule_id).first()
    if schedule is None or not schedule.active:
        return None
    request: dict[str, Any] = {
        "flows": list(schedule.flows.order_by("name").values_list("pk", flat=True)) or None,
        "tag": schedule.tag or None,
        "devices": list(schedule.devices.order_by("device_id").values_list("device_id", flat=True))
        or None,
        "platform": schedule.platform or None,
    }
    now = timezone.now()
    try:
        batch = services.start_batch(
            **request,
            mode=schedule.mode,
            settings=parse(schedule.settings),
            requested_from=f"schedule {schedule.name}"[:200],
            schedule=schedule,
        )
    except services.RunRequestError as exc:
        problem = "; ".join(f"{key}: {value}" for key, value in exc.errors.items())
        BatchSchedule.objects.filter(pk=schedule.pk).update(last_fired_at=now, last_problem=problem)
        return None
    BatchSchedule.objects.filter(pk=schedule.pk).update(last_fired_at=now, last_problem="")
    return batch


def parse(settings: dict[str, Any]) -> Any:
    from playback.words import RunSettings

    return RunSettings.from_stored(settings) if settings else None
