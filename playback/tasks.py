"""django-q2 tasks: thin, they take a run id and call the service."""

from __future__ import annotations

from django_q.tasks import async_task

from playback import services, sweeper


def enqueue_run(run_id: int) -> str:
    """Queue the run's task; call it only after the run's transaction committed."""
    return async_task("playback.tasks.play_run", run_id, task_name=f"run-{run_id}", group="runs")


def play_run(run_id: int) -> str:
    """Play one run to its end; a run already claimed elsewhere is left alone."""
    return services.execute_run(run_id=run_id).status


def sweep_runs() -> dict[str, list[int]]:
    """The sweeper, on its schedule (see the data migration) and at worker start."""
    return sweeper.sweep_runs()
