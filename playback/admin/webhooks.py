"""Webhooks in the admin: receivers (URL, secret, events, active or paused) and every
delivery with its tries and the receiver's last answer, redelivered with one click.
Deliveries are written by the workers only: here they are read and redelivered."""

from __future__ import annotations

import json
from typing import Any

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils.html import format_html
from django.views.decorators.http import require_POST

from playback.webhooks import delivery
from playback.webhooks.models import WebhookDelivery, WebhookEndpoint
from playback.words import DeliveryStatus, WebhookEvent, choices


class EndpointForm(forms.ModelForm):
    url = forms.URLField(
        max_length=500,
        assume_scheme="https",
        help_text=WebhookEndpoint._meta.get_field("url").help_text,
        widget=forms.URLInput(attrs={"class": "vTextField", "style": "width: 40em"}),
    )
    events = forms.MultipleChoiceField(
        choices=choices(WebhookEvent),
        widget=forms.CheckboxSelectMultiple,
        help_text="run.finished: every run that ends; run.failed: a run that ends failed, "
        "partial_success or error; batch.finished: a batch that ends.",
    )

    class Meta:
        model = WebhookEndpoint
        fields = ["url", "events", "secret", "active"]
        widgets = {"secret": forms.TextInput(attrs={"style": "width: 40em"})}


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(admin.ModelAdmin):
    form = EndpointForm
    list_display = ["url", "shown_events", "active", "created_at"]
    list_filter = ["active"]
    actions = ["pause", "resume"]

    @admin.display(description="Events")
    def shown_events(self, endpoint: WebhookEndpoint) -> str:
        return ", ".join(endpoint.events)

    @admin.action(description="Pause the selected webhooks")
    def pause(self, request: HttpRequest, queryset: QuerySet) -> None:
        self.message_user(request, f"{queryset.update(active=False)} webhook(s) paused.")

    @admin.action(description="Resume the selected webhooks")
    def resume(self, request: HttpRequest, queryset: QuerySet) -> None:
        self.message_user(request, f"{queryset.update(active=True)} webhook(s) resumed.")


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(admin.ModelAdmin):
    list_display = [
        "pk",
        "created_at",
        "event",
        "endpoint",
        "shown_status",
        "attempts",
        "response_code",
        "next_try_at",
    ]
    list_filter = ["status", "event", "endpoint"]
    list_select_related = ["endpoint"]
    actions = ["redeliver"]
    fields = [
        "endpoint",
        "event",
        "shown_status",
        "attempts",
        "next_try_at",
        "delivered_at",
        "response_code",
        "error",
        "response_body",
        "shown_tries",
        "shown_payload",
        "redelivery_of",
        "created_at",
    ]
    readonly_fields = fields

    class Media:
        css = {"all": ["playback/admin.css"]}

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description="Status", ordering="status")
    def shown_status(self, item: WebhookDelivery) -> str:
        colour = {DeliveryStatus.DELIVERED: "#2e7d32", DeliveryStatus.FAILED: "#c62828"}
        return format_html(
            '<b style="color:{}">{}</b>', colour.get(item.status, "#555"), item.status
        )

    @admin.display(description="Tries")
    def shown_tries(self, item: WebhookDelivery) -> str:
        return format_html("<pre>{}</pre>", json.dumps(item.tries, indent=2))

    @admin.display(description="Body sent")
    def shown_payload(self, item: WebhookDelivery) -> str:
        return format_html("<pre>{}</pre>", json.dumps(item.payload, indent=2)[:20000])

    def has_redeliver_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("playback.change_webhookendpoint")

    def get_urls(self):
        view = self.admin_site.admin_view(require_POST(self.redeliver_view))
        return [
            path("<id:pk>/redeliver/", view, name="playback_webhookdelivery_redeliver"),
            *super().get_urls(),
        ]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra = {**(extra_context or {}), "can_redeliver": self.has_redeliver_permission(request)}
        return super().change_view(request, object_id, form_url, extra)

    def redeliver_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        """The delivery page's "Redeliver" button: the same body again, as a new delivery."""
        if not self.has_redeliver_permission(request):
            raise PermissionDenied("You may not manage webhooks.")
        again = delivery.redeliver(get_object_or_404(WebhookDelivery, pk=pk))
        self.message_user(request, f"Delivery #{again.pk} queued: #{pk}'s body again.")
        return HttpResponseRedirect(
            reverse("admin:playback_webhookdelivery_change", args=[again.pk])
        )

    @admin.action(description="Redeliver the selected deliveries", permissions=["redeliver"])
    def redeliver(self, request: HttpRequest, queryset: QuerySet) -> None:
        again = [delivery.redeliver(item) for item in queryset.select_related("endpoint")]
        self.message_user(request, f"{len(again)} delivery(ies) queued again.")
