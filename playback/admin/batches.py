"""Batches in the admin: the list (status, progress, what was played), a batch's page
(its runs with their badges, a progress bar while it runs, cancel and re-run failed,
its JUnit and HTML report), read-only like all history."""

from __future__ import annotations

import json

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.views.decorators.http import require_POST

from flows.models import Flow
from playback import services, words
from playback.admin import display
from playback.admin.history import HistoryAdmin
from playback.batches.models import Batch
from playback.batches.progress import progress_of
from playback.models import Device
from playback.reports import formats
from playback.words import RunSettings


@admin.register(Batch)
class BatchAdmin(HistoryAdmin):
    list_display = [
        "id",
        "status_badge",
        "mode",
        "picked",
        "progress",
        "outcome",
        "created_at",
        "finished_at",
    ]
    list_filter = ["status", "mode"]
    ordering = ["-created_at", "-id"]
    list_per_page = 50
    fields = [
        "state",
        "picked",
        "devices_used",
        "settings_used",
        "run_list",
        "links",
        "rerun_of",
        "requested_from",
        "created_at",
        "finished_at",
    ]
    readonly_fields = fields

    class Media:
        css = {"all": ["playback/admin.css"]}

    def get_queryset(self, request: HttpRequest):
        return super().get_queryset(request).prefetch_related("runs")

    def has_run_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm(display.RUN_PERMISSION)

    # Batches are runs started together: who may see runs may see them (as the API
    # and the schedules admin allow), who may start runs may cancel and re-run them.
    def has_view_permission(self, request: HttpRequest, obj: Batch | None = None) -> bool:
        return request.user.has_perm("playback.view_run")

    def has_module_permission(self, request: HttpRequest) -> bool:
        return self.has_view_permission(request)

    # --- columns -------------------------------------------------------------------
    @admin.display(description="status", ordering="status")
    def status_badge(self, batch: Batch) -> str:
        return display.badge(batch.status)

    @admin.display(description="flows")
    def picked(self, batch: Batch) -> str:
        what = f"tag {batch.tag}" if batch.tag else "flows"
        return f"{len(batch.flow_ids)} ({what}) on {len(batch.device_ids)} device(s)"

    @admin.display(description="progress")
    def progress(self, batch: Batch) -> str:
        done, total = progress_of(batch, list(batch.runs.all()))
        return display.part("batch_progress", done=done, total=total, active=batch.is_active)

    @admin.display(description="runs")
    def outcome(self, batch: Batch) -> str:
        runs = sorted(batch.runs.all(), key=lambda run: run.pk)
        return display.part("batch_outcome", runs=runs)

    # --- its page --------------------------------------------------------------------
    @admin.display(description="status")
    def state(self, batch: Batch) -> str:
        done, total = progress_of(batch, list(batch.runs.all()))
        return display.badge(batch.status) + display.part(
            "batch_progress", done=done, total=total, active=batch.is_active
        )

    @admin.display(description="devices")
    def devices_used(self, batch: Batch) -> str:
        devices = Device.objects.in_bulk(batch.device_ids)
        failed = {devices[pk].device_id for pk in batch.failed_devices if pk in devices}
        names = [devices[pk].device_id for pk in batch.device_ids if pk in devices]
        return ", ".join(
            f"{name} (failed a run: no more flows)" if name in failed else name for name in names
        )

    @admin.display(description="settings")
    def settings_used(self, batch: Batch) -> str:
        # In the API's words (retryPerStep=2), as the batch resource says them.
        shown = words.keyed_settings(RunSettings.from_stored(batch.settings))
        return ", ".join(f"{key}={json.dumps(value)}" for key, value in shown.items())

    @admin.display(description="runs")
    def run_list(self, batch: Batch) -> str:
        runs = list(batch.runs.select_related("flow", "device").order_by("pk"))
        unplayable = Flow.objects.in_bulk(batch.unplayable)
        rows = [
            {
                "run": run,
                "badge": display.badge(run.status) + display.markers(run),
                "counts": display.step_counts(run),
            }
            for run in runs
        ]
        return display.part("batch_runs", rows=rows, unplayable=list(unplayable.values()))

    @admin.display(description="reports")
    def links(self, batch: Batch) -> str:
        return display.part("batch_links", batch=batch, reports=formats.links("batches", batch.pk))

    # --- cancel and re-run failed --------------------------------------------------
    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path(
                "<id:batch_id>/cancel/",
                view(require_POST(self.cancel_view)),
                name="playback_batch_cancel",
            ),
            path(
                "<id:batch_id>/rerun-failed/",
                view(require_POST(self.rerun_failed_view)),
                name="playback_batch_rerun_failed",
            ),
            *super().get_urls(),
        ]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = {**(extra_context or {}), "can_run": self.has_run_permission(request)}
        return super().change_view(request, object_id, form_url, extra_context)

    def _back(self, batch_id: int) -> HttpResponseRedirect:
        return HttpResponseRedirect(reverse("admin:playback_batch_change", args=[batch_id]))

    def cancel_view(self, request: HttpRequest, batch_id: int) -> HttpResponse:
        if not self.has_run_permission(request):
            raise PermissionDenied("You may not cancel runs.")
        batch = get_object_or_404(Batch, pk=batch_id)
        try:
            services.cancel_batch(batch=batch, requested_by=request.user)
            self.message_user(request, f"Batch #{batch.pk} cancelled: no more of its runs start.")
        except services.RunConflict as exc:
            self.message_user(request, str(exc), messages.WARNING)
        return self._back(batch.pk)

    def rerun_failed_view(self, request: HttpRequest, batch_id: int) -> HttpResponse:
        if not self.has_run_permission(request):
            raise PermissionDenied("You may not start runs.")
        batch = get_object_or_404(Batch, pk=batch_id)
        try:
            new = services.rerun_failed(batch=batch, requested_by=request.user)
        except (services.RunConflict, services.RunRequestError) as exc:
            self.message_user(request, f"Not re-run: {exc}", messages.WARNING)
            return self._back(batch.pk)
        self.message_user(request, f"Batch #{new.pk} queued: the failed runs of #{batch.pk}.")
        return self._back(new.pk)
