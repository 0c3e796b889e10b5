"""What is said when a run or a batch changes, once the change commits: live events
to subscribers (playback/live/publish.py) and, when it ended, webhooks
(playback/webhooks/delivery.py). Neither can fail or slow the run: the events are
one PUBLISH (or nothing), the webhooks one task queued for the workers."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from playback.live import publish
from playback.webhooks import delivery
from playback.words import WebhookEvent


def run_ended(run: Any) -> None:
    # Its batch (if any) was refreshed, and so announced, by batches.progress.
    publish.changed(run_id=run.pk)
    run_id, events = run.pk, delivery.run_events(run.status, run.verdict)
    transaction.on_commit(lambda: delivery.announce("run", run_id, events))


def batch_changed(batch: Any, *, ended: bool) -> None:
    publish.changed(batch_id=batch.pk)
    if ended:
        batch_id, events = batch.pk, [WebhookEvent.BATCH_FINISHED.value]
        transaction.on_commit(lambda: delivery.announce("batch", batch_id, events))
