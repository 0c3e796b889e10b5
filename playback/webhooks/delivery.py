"""Webhook deliveries: an event becomes one delivery per receiver that asked for it;
each try is a django-q2 task, never the run's own work.

A delivery is POSTed as JSON `{"event", "delivery_id", "created_at", "data"}` (data:
the run or batch resource) with these headers:

    X-Playback-Event: run.finished
    X-Playback-Delivery: 17
    X-Playback-Timestamp: 1764691200              (Unix seconds of this try)
    X-Playback-Signature: sha256=<hex HMAC-SHA256(secret, "<timestamp>.<body>")>

as Stripe and GitHub sign theirs: a receiver recomputes the HMAC over the raw body
and refuses an old timestamp (a replay). A 2xx answer delivers it; anything else
(an error, no answer within PLAYBACK_WEBHOOK_TIMEOUT_S for the whole try, a
redirect) is tried again after PLAYBACK_WEBHOOK_BACKOFF_S, doubling,
PLAYBACK_WEBHOOK_TRIES tries in all. At most PLAYBACK_WEBHOOK_CONCURRENCY tries are
sent at once (webhooks/slots.py): deliveries never take the workers runs need.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import time
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from rest_framework.utils.encoders import JSONEncoder

from playback import queue
from playback.network import webhook_url_problem
from playback.runs import workers
from playback.webhooks import slots, transport
from playback.webhooks.models import WebhookDelivery, WebhookEndpoint
from playback.words import NOT_PASSED_RUN_STATUSES, DeliveryStatus, Verdict, WebhookEvent

log = logging.getLogger("playback.webhooks")
ANSWER_KEPT = 2000  # characters of the receiver's answer kept
MAX_TRY_S = 10.0  # a try's whole time, at most (PLAYBACK_WEBHOOK_TIMEOUT_S)
LEASE_MARGIN_S = 5.0  # after a try's time, its worker counts as lost


def signature(secret: str, timestamp: int, body: bytes) -> str:
    signed = str(timestamp).encode() + b"." + body
    return "sha256=" + hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()


def run_events(status: str, verdict: str = "") -> list[str]:
    """run.finished, and run.failed when it did not pass: its verdict says so (a run
    that failed only in quarantined steps passed)."""
    events = [WebhookEvent.RUN_FINISHED.value]
    if status in NOT_PASSED_RUN_STATUSES and verdict != Verdict.PASS:
        events.append(WebhookEvent.RUN_FAILED.value)
    return events


def announce(kind: str, pk: int, events: list[str]) -> None:
    """After the commit that ended a run or batch: queue the fan-out task, only when
    an active receiver wants one of `events` (one small query per end)."""
    wanted = WebhookEndpoint.objects.filter(active=True)
    if not any(set(events) & set(e) for e in wanted.values_list("events", flat=True)):
        return
    try:
        queue.enqueue("send_webhooks", kind, pk, events, name=f"webhooks-{kind}-{pk}")
    except Exception:  # the broker is down: a webhook is lost, the run is not
        log.exception("webhooks of %s %s not queued", kind, pk)


def fan_out(events: list[str], data: dict[str, Any]) -> list[int]:
    """One delivery per active receiver and event it asked for, each queued; `data`
    is the run or batch resource (playback/webhooks/payloads.py)."""
    data = json.loads(json.dumps(data, cls=JSONEncoder))
    created, now = [], timezone.now()
    with transaction.atomic():
        for endpoint in WebhookEndpoint.objects.filter(active=True):
            for event in events:
                if event in endpoint.events:
                    body = {"event": event, "created_at": now.isoformat(), "data": data}
                    created.append(_new_delivery(endpoint, event, body, created_at=now).pk)
    return created


def redeliver(delivery: WebhookDelivery) -> WebhookDelivery:
    """The same event and body again, as a new delivery (the old one is kept)."""
    with transaction.atomic():
        return _new_delivery(
            delivery.endpoint, delivery.event, delivery.payload, redelivery_of=delivery
        )


def _new_delivery(
    endpoint: WebhookEndpoint, event: str, body: dict[str, Any], **fields: Any
) -> WebhookDelivery:
    """A pending delivery of `body`, which then names it (`delivery_id`); its first try
    is queued once the caller's transaction commits."""
    delivery = WebhookDelivery.objects.create(
        endpoint=endpoint, event=event, payload={}, next_try_at=timezone.now(), **fields
    )
    delivery.payload = {**body, "delivery_id": delivery.pk}  # a redelivery's: the new one
    delivery.save(update_fields=["payload"])
    pk = delivery.pk
    transaction.on_commit(lambda: queue.enqueue("deliver_webhook", pk, name=f"webhook-{pk}-1"))
    return delivery


def deliver(delivery_id: int) -> str:
    """One try of a pending delivery that is due, from a free slot (webhooks/slots.py);
    the next try is scheduled when it fails. Without a free slot the delivery stays
    due and the try that frees one queues it. A paused receiver gets nothing: its
    delivery fails, saying so (redelivered once it is resumed)."""
    delivery = WebhookDelivery.objects.select_related("endpoint").filter(pk=delivery_id).first()
    if delivery is None or delivery.status != DeliveryStatus.PENDING:
        return "not pending"
    if delivery.attempts > len(delivery.tries):
        return "taken"  # a try is in flight
    now = timezone.now()
    if delivery.next_try_at is not None and delivery.next_try_at > now:
        return "not due"  # a late duplicate of a task: its retry is scheduled
    unchanged = {"pk": delivery_id, "status": DeliveryStatus.PENDING, "attempts": delivery.attempts}
    if not delivery.endpoint.active:
        WebhookDelivery.objects.filter(**unchanged).update(
            status=DeliveryStatus.FAILED,
            next_try_at=None,
            error="Not sent: the webhook is paused (redeliver it once it is resumed).",
        )
        return "paused"
    lease = now + timedelta(seconds=try_seconds() + LEASE_MARGIN_S)
    slot = slots.take(delivery_id, until=lease, worker=workers.identity())
    if slot is None:
        return "waiting"
    try:
        # Claimed once: a task delivered twice by the broker sends once. Until the try
        # is recorded, next_try_at is when the sweeper counts its worker lost.
        if not WebhookDelivery.objects.filter(**unchanged).update(
            attempts=delivery.attempts + 1, next_try_at=lease
        ):
            return "taken"
        return _try(delivery, delivery.attempts + 1)
    finally:
        slots.free(delivery_id, slot)
        queue_next_due(after=delivery_id)


def try_seconds() -> float:
    """A try's whole time, from PLAYBACK_WEBHOOK_TIMEOUT_S (at most MAX_TRY_S)."""
    return min(settings.PLAYBACK_WEBHOOK_TIMEOUT_S, MAX_TRY_S)


def _try(delivery: WebhookDelivery, attempt: int) -> str:
    # Checked again before each try: a name may resolve elsewhere by now.
    if problem := webhook_url_problem(delivery.endpoint.url):
        answer = transport.Answer(None, "", f"Not sent: {problem}", 0)
    else:
        answer = _post(delivery)
    return _record(delivery, attempt, answer, final=bool(problem))


def _record(
    delivery: WebhookDelivery, attempt: int, answer: transport.Answer, *, final: bool = False
) -> str:
    """Keep a try's answer; deliver, fail, or schedule the next try with backoff."""
    now = timezone.now()
    tried = {
        "attempt": attempt,
        "at": now.isoformat(),
        "status_code": answer.status,
        "error": answer.error,
        "duration_ms": answer.duration_ms,
    }
    fields: dict[str, Any] = {
        "tries": [*delivery.tries, tried],
        "response_code": answer.status,
        "response_body": answer.body[:ANSWER_KEPT],
        "error": answer.error,
        "next_try_at": None,
    }
    if not answer.error:
        fields.update(status=DeliveryStatus.DELIVERED, delivered_at=now)
    elif final or attempt >= settings.PLAYBACK_WEBHOOK_TRIES:
        fields.update(status=DeliveryStatus.FAILED)
    else:
        when = now + timedelta(seconds=settings.PLAYBACK_WEBHOOK_BACKOFF_S * 2 ** (attempt - 1))
        fields.update(next_try_at=when)
        queue.enqueue_at(
            when, "deliver_webhook", delivery.pk, name=f"webhook-{delivery.pk}-{attempt + 1}"
        )
    WebhookDelivery.objects.filter(pk=delivery.pk, attempts=attempt).update(**fields)
    return fields.get("status", "retrying")


def queue_next_due(*, after: int | None = None) -> int | None:
    """Queue a try of the delivery due longest (one no free slot took), if any."""
    due = (
        WebhookDelivery.objects.filter(status=DeliveryStatus.PENDING)
        .filter(Q(next_try_at__lte=timezone.now()) | Q(next_try_at__isnull=True))
        .exclude(pk=after)
        .order_by(F("next_try_at").asc(nulls_first=True), "pk")
        .values_list("pk", flat=True)
        .first()
    )
    if due is not None:
        try:
            queue.enqueue("deliver_webhook", due, name=f"webhook-{due}-due")
        except Exception:  # the broker is away: the sweeper queues it later
            log.exception("webhook delivery %s not queued", due)
    return due


def sweep() -> dict[str, list[int]]:
    """Deliveries nothing would move any more: a try whose worker died (its process on
    this host is gone, or its time passed with nothing recorded) counts as a failed
    try, then is tried again (or the delivery fails after its last); a due delivery
    with no try on its way, when a slot is free, is queued."""
    now = timezone.now()
    sending = slots.holders()
    lost = []
    for delivery in WebhookDelivery.objects.filter(
        status=DeliveryStatus.PENDING, attempts__gt=0
    ).select_related("endpoint"):
        if delivery.attempts <= len(delivery.tries):
            continue  # not in flight
        worker = sending.get(delivery.pk)
        expired = delivery.next_try_at is not None and delivery.next_try_at < now
        if not (expired or (worker and workers.is_gone(worker))):
            continue
        answer = transport.Answer(
            None, "", "No answer recorded: the worker sending this try was lost.", 0
        )
        claimed = WebhookDelivery.objects.filter(
            pk=delivery.pk,
            status=DeliveryStatus.PENDING,
            attempts=delivery.attempts,
            next_try_at=delivery.next_try_at,
        ).update(next_try_at=None)
        if claimed:
            _record(delivery, delivery.attempts, answer)
            slots.free(delivery.pk)  # its worker is gone: nobody sends from it
            lost.append(delivery.pk)
    stale = now - timedelta(seconds=try_seconds() + LEASE_MARGIN_S)
    waiting = WebhookDelivery.objects.filter(
        status=DeliveryStatus.PENDING, next_try_at__lt=stale
    ).exists()
    queued = [due] if waiting and slots.any_free() and (due := queue_next_due()) else []
    return {"webhook_tries_lost": lost, "webhooks_queued": queued}


def _post(delivery: WebhookDelivery) -> transport.Answer:
    """The signed POST of one try."""
    endpoint = delivery.endpoint
    body = json.dumps(delivery.payload, separators=(",", ":")).encode()
    timestamp = int(time.time())
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "Playback-Webhooks/1",
        "X-Playback-Event": delivery.event,
        "X-Playback-Delivery": str(delivery.pk),
        "X-Playback-Timestamp": str(timestamp),
        "X-Playback-Signature": signature(endpoint.secret, timestamp, body),
    }
    return transport.post(endpoint.url, body, headers, deadline_s=try_seconds())
