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
(an error, a timeout of PLAYBACK_WEBHOOK_TIMEOUT_S, a redirect) is tried again
after PLAYBACK_WEBHOOK_BACKOFF_S, doubling, PLAYBACK_WEBHOOK_TRIES tries in all.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import time
from datetime import timedelta
from typing import Any

import urllib3
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from rest_framework.utils.encoders import JSONEncoder

from playback import queue
from playback.network import webhook_url_problem
from playback.webhooks.models import WebhookDelivery, WebhookEndpoint
from playback.words import NOT_PASSED_RUN_STATUSES, DeliveryStatus, WebhookEvent

log = logging.getLogger("playback.webhooks")
ANSWER_KEPT = 2000  # characters of the receiver's answer kept


def signature(secret: str, timestamp: int, body: bytes) -> str:
    signed = str(timestamp).encode() + b"." + body
    return "sha256=" + hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()


def run_events(status: str) -> list[str]:
    events = [WebhookEvent.RUN_FINISHED.value]
    if status in NOT_PASSED_RUN_STATUSES:
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
    delivery = WebhookDelivery.objects.create(endpoint=endpoint, event=event, payload={}, **fields)
    delivery.payload = {**body, "delivery_id": delivery.pk}  # a redelivery's: the new one
    delivery.save(update_fields=["payload"])
    pk = delivery.pk
    transaction.on_commit(lambda: queue.enqueue("deliver_webhook", pk, name=f"webhook-{pk}-1"))
    return delivery


def deliver(delivery_id: int) -> str:
    """One try of a pending delivery; the next is scheduled when it fails."""
    delivery = WebhookDelivery.objects.select_related("endpoint").filter(pk=delivery_id).first()
    if delivery is None or delivery.status != DeliveryStatus.PENDING:
        return "not pending"
    attempt = delivery.attempts + 1
    # Claimed once: a task delivered twice by the broker sends once.
    claimed = WebhookDelivery.objects.filter(
        pk=delivery_id, status=DeliveryStatus.PENDING, attempts=delivery.attempts
    ).update(attempts=attempt, next_try_at=None)
    if not claimed:
        return "taken"
    # Checked again before each try: a name may resolve elsewhere by now.
    if problem := webhook_url_problem(delivery.endpoint.url):
        code, answer, error, elapsed_ms = None, "", f"Not sent: {problem}", 0
    else:
        code, answer, error, elapsed_ms = _post(delivery)
    now = timezone.now()
    tried = {"attempt": attempt, "at": now.isoformat(), "status_code": code,
             "error": error, "duration_ms": elapsed_ms}  # fmt: skip
    fields: dict[str, Any] = {
        "tries": [*delivery.tries, tried], "response_code": code,
        "response_body": answer[:ANSWER_KEPT], "error": error,
    }  # fmt: skip
    if not error:
        fields.update(status=DeliveryStatus.DELIVERED, delivered_at=now)
    elif problem or attempt >= settings.PLAYBACK_WEBHOOK_TRIES:
        fields.update(status=DeliveryStatus.FAILED)
    else:
        when = now + timedelta(seconds=settings.PLAYBACK_WEBHOOK_BACKOFF_S * 2 ** (attempt - 1))
        fields.update(next_try_at=when)
        queue.enqueue_at(when, "deliver_webhook", delivery_id,
                         name=f"webhook-{delivery_id}-{attempt + 1}")  # fmt: skip
    WebhookDelivery.objects.filter(pk=delivery_id).update(**fields)
    return fields.get("status", "retrying")


def _post(delivery: WebhookDelivery) -> tuple[int | None, str, str, int]:
    """(status code, answer, error or "", milliseconds): error is "" only for a 2xx."""
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
    started = time.monotonic()
    try:
        response = urllib3.request(
            "POST", endpoint.url, body=body, headers=headers, redirect=False, retries=False,
            timeout=urllib3.Timeout(total=settings.PLAYBACK_WEBHOOK_TIMEOUT_S),
        )  # fmt: skip
    except urllib3.exceptions.HTTPError as exc:
        elapsed = round((time.monotonic() - started) * 1000)
        reason = getattr(exc, "reason", None) or exc
        return None, "", f"No answer: {type(reason).__name__}: {reason}", elapsed
    elapsed = round((time.monotonic() - started) * 1000)
    answer = response.data[: ANSWER_KEPT * 4].decode("utf-8", "replace")
    if 200 <= response.status < 300:
        return response.status, answer, "", elapsed
    return response.status, answer, f"The receiver answered {response.status}.", elapsed
