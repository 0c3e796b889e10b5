"""Webhooks: receivers told when runs and batches end, and every delivery kept."""

from __future__ import annotations

import secrets

from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone

from playback import words
from playback.network import webhook_url_problem
from playback.words import DeliveryStatus, WebhookEvent


def new_secret() -> str:
    return secrets.token_urlsafe(32)


def check_url(value: str) -> None:
    if problem := webhook_url_problem(value):
        raise ValidationError(problem)


def check_events(value: object) -> None:
    known = {event.value for event in WebhookEvent}
    if not isinstance(value, list) or not value or not set(value) <= known:
        raise ValidationError(f"Pick one or more of: {', '.join(sorted(known))}.")


class WebhookEndpoint(models.Model):
    """A receiver: a POST per event it asked for, signed with its secret."""

    url = models.URLField(
        max_length=500,
        validators=[check_url],
        help_text="Where deliveries are POSTed; PLAYBACK_WEBHOOK_ALLOWED_HOSTS decides which "
        "hosts may receive them (never link-local or cloud metadata addresses).",
    )
    secret = models.CharField(
        max_length=200,
        default=new_secret,
        help_text="Signs each delivery (X-Playback-Signature: HMAC-SHA256 of the "
        "X-Playback-Timestamp, a dot and the raw body); the receiver checks it with the "
        "same secret.",
    )
    events = models.JSONField(
        default=list, validators=[check_events], help_text="The events it receives."
    )
    active = models.BooleanField(default=True, help_text="Paused when not ticked.")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["pk"]
        verbose_name = "webhook"

    def __str__(self) -> str:
        return self.url


class WebhookDelivery(models.Model):
    """One event sent to one receiver: its body, every try and the last answer."""

    endpoint = models.ForeignKey(
        WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries"
    )
    event = models.CharField(max_length=32, choices=words.choices(WebhookEvent))
    payload = models.JSONField(help_text="The body sent, as JSON.")
    status = models.CharField(
        max_length=10, choices=words.choices(DeliveryStatus), default=DeliveryStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    tries = models.JSONField(
        default=list, help_text="Each try: when, the answer's status code or error, how long."
    )
    response_code = models.PositiveSmallIntegerField(null=True, blank=True)
    response_body = models.TextField(blank=True, help_text="The last answer (its start).")
    error = models.TextField(blank=True, help_text="Why the last try failed.")
    next_try_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    delivered_at = models.DateTimeField(null=True, blank=True)
    redelivery_of = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="redeliveries"
    )

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name_plural = "webhook deliveries"
        indexes = [models.Index(fields=["endpoint", "-created_at"], name="delivery_endpoint")]

    def __str__(self) -> str:
        return f"{self.event} #{self.pk} to {self.endpoint}"


class WebhookSlot(models.Model):
    """One of the PLAYBACK_WEBHOOK_CONCURRENCY places a try is sent from: a try takes
    a free one (a conditional update only one worker wins) and frees it when done,
    so deliveries never hold more workers than that, whatever their number; a slot
    whose worker died frees itself at `until`."""

    number = models.PositiveSmallIntegerField(primary_key=True)
    delivery = models.ForeignKey(
        WebhookDelivery, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    until = models.DateTimeField(null=True, blank=True)
    worker = models.CharField(
        max_length=200, blank=True, help_text="host:pid of the process sending from it."
    )

    class Meta:
        ordering = ["number"]

    def __str__(self) -> str:
        return f"webhook slot {self.number}"
