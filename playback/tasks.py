"""django-q2 tasks: thin, they take a run id and call the service."""

from __future__ import annotations

from playback import evidence, services, sweeper


def play_run(run_id: int) -> str:
    """Play one run to its end; a run already claimed elsewhere is left alone."""
    return services.execute_run(run_id=run_id).status


def sweep_runs() -> dict[str, list[int]]:
    """The sweeper, on its minute's schedule (see the data migration): it also asks
    every enabled device's Appium whether it answers."""
    return sweeper.sweep_runs(probe=True)


def prune_media() -> dict:
    """Retention, nightly (see the data migration): screenshots past their days go."""
    return evidence.prune_media()


def fire_schedule(schedule_id: int) -> int | None:
    """A batch schedule's time came (django-q2's scheduler): its batch's id, if any."""
    from playback.batches import schedules

    batch = schedules.fire(schedule_id)
    return batch.pk if batch else None


def ping() -> str:
    """Answered by any worker: `play` asks it to know that the cluster runs."""
    return "pong"
