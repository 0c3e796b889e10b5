"""The places webhook tries are sent from (PLAYBACK_WEBHOOK_CONCURRENCY): the cap that
keeps deliveries from holding the workers runs need.

A burst of deliveries to a slow receiver (50 runs of a batch ending, three receivers)
would otherwise take every worker for the length of every try while runs wait. With
the cap, a try that finds no free slot leaves its delivery due and returns at once;
the try that frees a slot queues the next due delivery (`delivery.deliver`), and
the sweeper does if a worker died holding one (its slot frees itself at `until`).
"""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from playback.webhooks.models import WebhookSlot


def take(delivery_id: int, *, until: datetime, worker: str = "") -> int | None:
    """A free slot for this delivery's try until `until`, or None when all are taken.

    Each slot is taken with a conditional update (free or expired -> this delivery):
    of two workers asking at once, one gets it."""
    numbers = range(1, max(1, settings.PLAYBACK_WEBHOOK_CONCURRENCY) + 1)
    WebhookSlot.objects.bulk_create([WebhookSlot(number=n) for n in numbers], ignore_conflicts=True)
    now = timezone.now()
    free = Q(until__isnull=True) | Q(until__lt=now)
    for number in numbers:
        if WebhookSlot.objects.filter(free, number=number).update(
            delivery_id=delivery_id, until=until, worker=worker
        ):
            return number
    return None


def free(delivery_id: int, number: int | None = None) -> None:
    """Give back the slot `number` (or any) this delivery holds, if it still does."""
    held = WebhookSlot.objects.filter(delivery_id=delivery_id)
    if number is not None:
        held = held.filter(number=number)
    held.update(delivery=None, until=None, worker="")


def holders() -> dict[int, str]:
    """The deliveries whose try is being sent now, and the worker sending each."""
    return dict(
        WebhookSlot.objects.filter(delivery__isnull=False, until__gte=timezone.now()).values_list(
            "delivery_id", "worker"
        )
    )


def any_free() -> bool:
    now = timezone.now()
    taken = WebhookSlot.objects.filter(
        number__lte=max(1, settings.PLAYBACK_WEBHOOK_CONCURRENCY), until__gte=now
    ).count()
    return taken < max(1, settings.PLAYBACK_WEBHOOK_CONCURRENCY)
