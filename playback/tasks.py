"""django-q2 tasks: thin, they take a run id and call the service."""

from __future__ import annotations

from playback import evidence, services
from playback.runs import sweeper


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


def send_webhooks(kind: str, pk: int, events: list[str]) -> list[int]:
    """A run or batch ended and receivers want it: one delivery each, queued."""
    from playback.webhooks import delivery, payloads

    data = payloads.resource(kind, pk)
    return [] if data is None else delivery.fan_out(events, data)


def deliver_webhook(delivery_id: int) -> str:
    """One try of a webhook delivery (the next one is scheduled if it fails)."""
    from playback.webhooks import delivery

    return delivery.deliver(delivery_id)


def ping() -> str:
    """Answered by any worker: `play` asks it to know that the cluster runs."""
    return "pong"
