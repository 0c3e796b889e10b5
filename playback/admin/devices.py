"""Devices in the admin: busy or free, and their last runs."""

from __future__ import annotations

import json

from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import OuterRef, QuerySet, Subquery
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.views.decorators.http import require_POST

from playback.admin import display
from playback.devices import reachability, sessions
from playback.drivers.capabilities import masked
from playback.models import Device, Run
from playback.network import redacted


def last_run_status() -> Subquery:
    return Subquery(
        Run.objects.filter(device=OuterRef("pk")).order_by("-queued_at", "-pk").values("status")[:1]
    )


@admin.register(Device)
class DeviceAdmin(admin.ModelAdmin):
    list_display = [
        "device_id",
        "name",
        "platform",
        "appium_address",
        "enabled",
        "answers",
        "state",
        "last_run",
    ]
    list_filter = ["platform", "enabled"]
    search_fields = ["device_id", "name", "appium_url"]
    readonly_fields = ["answers", "state", "warm_session", "recent_runs", "created_at"]
    fields = [
        "device_id",
        "name",
        "platform",
        "appium_url",
        "capabilities",
        "enabled",
        "answers",
        "state",
        "warm_session",
        "recent_runs",
        "created_at",
    ]
    actions = ["enable", "disable"]

    class Media:
        css = {"all": ["playback/admin.css"]}

    def get_queryset(self, request: HttpRequest) -> QuerySet[Device]:
        return super().get_queryset(request).annotate(last_run_status=last_run_status())

    # Credentials (`user:key@` in the Appium URL, a farm's access key in the
    # capabilities) are seen by who may edit devices only: the rest see them masked,
    # and may not search by the URL (a search would tell a key letter by letter).
    def get_fields(self, request: HttpRequest, obj: Device | None = None) -> list[str]:
        if self.has_change_permission(request, obj):
            return self.fields
        shown = {"appium_url": "appium_address", "capabilities": "capabilities_masked"}
        return [shown.get(name, name) for name in self.fields]

    def get_readonly_fields(self, request: HttpRequest, obj: Device | None = None) -> list[str]:
        if self.has_change_permission(request, obj):
            return self.readonly_fields
        return self.get_fields(request, obj)

    def get_search_fields(self, request: HttpRequest) -> list[str]:
        if self.has_change_permission(request):
            return self.search_fields
        return [name for name in self.search_fields if name != "appium_url"]

    @admin.display(description="Appium URL", ordering="appium_url")
    def appium_address(self, device: Device) -> str:
        return redacted(device.appium_url)

    @admin.display(description="capabilities")
    def capabilities_masked(self, device: Device) -> str:
        return format_html("<pre>{}</pre>", json.dumps(masked(device.capabilities), indent=2))

    @admin.display(description="Appium answers")
    def answers(self, device: Device) -> str:
        return display.part("reachability", device=device)

    @admin.display(description="now")
    def state(self, device: Device) -> str:
        return display.part("device_state", run_id=device.current_run_id)

    @admin.display(description="warm session")
    def warm_session(self, device: Device) -> str:
        """The Appium session kept for its next run (README: "Warm devices")."""
        if not device.session or device.session_used_at is None:
            return "none: its next run opens a new session"
        idle_ms = round((timezone.now() - device.session_used_at).total_seconds() * 1000)
        return (
            f"kept for its next run (idle {display.seconds(idle_ms)}; closed after "
            f"{settings.PLAYBACK_SESSION_IDLE_S} s idle)"
        )

    @admin.display(description="last run")
    def last_run(self, device: Device) -> str:
        status = getattr(device, "last_run_status", None)
        return display.badge(status) if status else "-"

    @admin.display(description="last runs")
    def recent_runs(self, device: Device) -> str:
        if device.pk is None:
            return "-"
        runs = (
            Run.objects.filter(device=device).select_related("flow").order_by("-queued_at", "-pk")
        )
        return display.runs_table(runs[:10], show="flow")

    def get_urls(self):
        probe = path(
            "<id:device_pk>/probe/",
            self.admin_site.admin_view(require_POST(self.probe_view)),
            name="playback_device_probe",
        )
        return [probe, *super().get_urls()]

    def probe_view(self, request: HttpRequest, device_pk: int) -> HttpResponse:
        """Ask the device's Appium now (anyone who may see devices may ask)."""
        if not self.has_view_permission(request):
            raise PermissionDenied("You may not see devices.")
        device = reachability.probe(get_object_or_404(Device, pk=device_pk))
        if device.reachable:
            self.message_user(
                request, f"{device.device_id} answers ({device.probe_latency_ms} ms)."
            )
        else:
            self.message_user(
                request,
                f"{device.device_id} does not answer: {device.probe_error}",
                messages.WARNING,
            )
        return HttpResponseRedirect(reverse("admin:playback_device_change", args=[device.pk]))

    @admin.action(description="Enable selected devices")
    def enable(self, request: HttpRequest, queryset: QuerySet[Device]) -> None:
        self.message_user(request, f"Enabled {queryset.update(enabled=True)} device(s).")

    @admin.action(description="Disable selected devices")
    def disable(self, request: HttpRequest, queryset: QuerySet[Device]) -> None:
        pks = list(queryset.values_list("pk", flat=True))
        done = Device.objects.filter(pk__in=pks).update(enabled=False)
        sessions.close_of_disabled(pks)
        self.message_user(request, f"Disabled {done} device(s).")
