"""Batch schedules in the admin: what to play, where, when (a cron expression with a
preview of its next five times), paused or active; each schedule's page lists the
batches it started. Who may start runs may schedule them."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.http import HttpRequest

from playback import services
from playback.admin import display
from playback.batches import schedules
from playback.batches.models import BatchSchedule
from playback.words import (
    SETTINGS_BY_KEY,
    SETTINGS_BY_NAME,
    SettingsError,
    parse_keyed_settings,
)


def keyed(settings: Any) -> Any:
    """Settings by the API's keys (a key given by field name, as schedules once
    were, is read as its API key)."""
    if not isinstance(settings, dict):
        return settings
    return {
        (SETTINGS_BY_NAME[key].key if key in SETTINGS_BY_NAME else key): value
        for key, value in settings.items()
    }


class ScheduleForm(forms.ModelForm):
    """Checked like a batch request (`services.check_batch`), and its cron."""

    class Meta:
        model = BatchSchedule
        fields = [
            "name",
            "tag",
            "flows",
            "platform",
            "devices",
            "mode",
            "settings",
            "cron",
            "active",
        ]
        help_texts = {
            "settings": 'As the API names them, e.g. {"retryPerStep": 1}; {} for defaults.'
        }

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        if self.instance.pk and isinstance(self.instance.settings, dict):
            # Kept by field name (the stored shape); shown and edited as the API's keys.
            self.initial["settings"] = keyed(self.instance.settings)

    def clean_cron(self) -> str:
        cron = " ".join(self.cleaned_data.get("cron", "").split())
        if problem := schedules.cron_problem(cron):
            raise forms.ValidationError(problem)
        return cron

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        given = keyed(data.get("settings") or {})
        try:
            settings = parse_keyed_settings(given)
        except SettingsError as exc:
            self.add_error("settings", "; ".join(f"{k}: {v}" for k, v in exc.errors.items()))
            return data
        # Kept by field name, only the keys given (the rest follow the defaults).
        stored = settings.stored()
        data["settings"] = {
            SETTINGS_BY_KEY[key].name: stored[SETTINGS_BY_KEY[key].name] for key in given
        }
        flows = list(data.get("flows") or [])
        devices = list(data.get("devices") or [])
        request = {
            "flows": [flow.pk for flow in flows] or None,
            "tag": data.get("tag") or None,
            "devices": [d.device_id for d in devices] or None,
            "platform": data.get("platform") or None,
            "mode": data.get("mode") or "split",
            "settings": settings,
        }
        try:
            services.check_batch(**request)
        except services.RunRequestError as exc:
            for key, message in exc.errors.items():
                field = key if key in self.fields else None
                self.add_error(field, f"{message}")
        return data


@admin.register(BatchSchedule)
class BatchScheduleAdmin(admin.ModelAdmin):
    form = ScheduleForm
    list_display = ["name", "active", "what", "cron", "next_time", "last_fired_at", "last_batch"]
    list_filter = ["active", "mode"]
    readonly_fields = ["preview", "last_fired_at", "last_problem", "batch_list"]
    filter_horizontal = ["flows", "devices"]

    class Media:
        css = {"all": ["playback/admin.css"]}

    # Who may start runs may schedule them; who may see runs may see schedules.
    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return request.user.has_perm("playback.view_run")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm(display.RUN_PERMISSION)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return request.user.has_perm(display.RUN_PERMISSION)

    has_delete_permission = has_change_permission

    def has_module_permission(self, request: HttpRequest) -> bool:
        return self.has_view_permission(request)

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        schedules.sync(form.instance)

    def delete_model(self, request: HttpRequest, obj: BatchSchedule) -> None:
        schedules.forget(obj)
        super().delete_model(request, obj)

    def delete_queryset(self, request: HttpRequest, queryset: Any) -> None:
        for schedule in queryset:
            schedules.forget(schedule)
        super().delete_queryset(request, queryset)

    @admin.display(description="plays")
    def what(self, schedule: BatchSchedule) -> str:
        flows = f"tag {schedule.tag}" if schedule.tag else "chosen flows"
        devices = f"every {schedule.platform} device" if schedule.platform else "chosen devices"
        return f"{flows} on {devices} ({schedule.mode})"

    @admin.display(description="next time (UTC)")
    def next_time(self, schedule: BatchSchedule) -> str:
        if not schedule.active:
            return "paused"
        upcoming = schedules.next_times(schedule.cron, 1)
        return upcoming[0].strftime("%Y-%m-%d %H:%M") if upcoming else "-"

    @admin.display(description="its next five times (UTC)")
    def preview(self, schedule: BatchSchedule) -> str:
        times = schedules.next_times(schedule.cron) if schedule.cron else []
        paused = "" if schedule.active else " (paused: none of these fires)"
        return ", ".join(t.strftime("%a %Y-%m-%d %H:%M") for t in times) + paused or "-"

    @admin.display(description="last batch")
    def last_batch(self, schedule: BatchSchedule) -> str:
        batch = schedule.batches.order_by("-pk").first()
        return display.badge(batch.status, f"#{batch.pk} {batch.status}") if batch else "-"

    @admin.display(description="its batches")
    def batch_list(self, schedule: BatchSchedule) -> str:
        batches = list(schedule.batches.order_by("-pk")[:50]) if schedule.pk else []
        return display.part("schedule_batches", batches=batches)
