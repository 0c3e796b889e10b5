"""A batch: many flows on many devices started as one unit; its runs link back to it."""

from __future__ import annotations

from django.conf import settings as django_settings
from django.db import models
from django.utils import timezone

from playback import words
from playback.words import BatchMode, RunStatus


class Batch(models.Model):
    """Flows picked by id, name or tag, played on a set of devices: `split` (each flow
    once, on the next free device) or `all` (each flow on every device of its
    platform). Its status follows its runs (playback/outcomes.py `batch_status`) and
    only changes through playback/batches/progress.py."""

    mode = models.CharField(max_length=8, choices=words.choices(BatchMode))
    status = models.CharField(
        max_length=16, choices=words.choices(RunStatus), default=RunStatus.QUEUED
    )
    verdict = models.CharField(
        max_length=4,
        choices=words.choices(words.Verdict),
        blank=True,
        help_text="pass when every run's verdict is pass (quarantined failures do not count).",
    )
    tag = models.CharField(max_length=50, blank=True, help_text="The tag it picked flows by.")
    platform = models.CharField(
        max_length=16, blank=True, help_text="The platform it picked devices by."
    )
    flow_ids = models.JSONField(default=list, help_text="Its flows, in the order given.")
    device_ids = models.JSONField(default=list, help_text="Its devices (primary keys).")
    pairs = models.JSONField(
        default=list, blank=True, help_text="[flow, device] to play, when not every pair."
    )
    settings = models.JSONField(default=dict, help_text="Its runs' settings (stored shape).")
    # The split's state: flows not yet handed to a device; devices that failed a run
    # (they get no more of its flows); flows queued once more after their device died.
    waiting = models.JSONField(default=list)
    failed_devices = models.JSONField(default=list)
    requeued = models.JSONField(default=list)
    unplayable = models.JSONField(
        default=list, help_text="Flows no device of the batch could play (every one failed)."
    )
    cancel_requested = models.BooleanField(default=False)
    local = models.BooleanField(
        default=False, help_text="Played by the `play` command's own process (--local)."
    )
    created_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    requested_by = models.ForeignKey(
        django_settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    requested_from = models.CharField(max_length=200, blank=True)
    rerun_of = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="reruns"
    )
    schedule = models.ForeignKey(
        "playback.BatchSchedule",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="batches",
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "batches"
        indexes = [models.Index(fields=["-created_at", "-id"], name="batch_created_at")]

    def __str__(self) -> str:
        return f"Batch #{self.pk}"

    @property
    def is_active(self) -> bool:
        return self.status in words.ACTIVE_RUN_STATUSES


class BatchSchedule(models.Model):
    """A batch started on a cron schedule ("smoke on all Android devices at 02:00 on
    weekdays"), by django-q2's scheduler (playback/batches/schedules.py keeps its
    django-q2 schedule in step). Each firing starts a batch linked to it."""

    name = models.CharField(max_length=200, unique=True)
    tag = models.CharField(max_length=50, blank=True, help_text="Every flow with this tag…")
    flows = models.ManyToManyField(
        "flows.Flow", blank=True, related_name="+", help_text="…or these flows."
    )
    platform = models.CharField(
        max_length=16,
        blank=True,
        choices=words.choices(words.Platform),
        help_text="Every enabled device of this platform…",
    )
    devices = models.ManyToManyField(
        "playback.Device", blank=True, related_name="+", help_text="…or these devices."
    )
    mode = models.CharField(
        max_length=8,
        choices=[(m, label) for m, label in words.choices(BatchMode) if m != BatchMode.REPEAT],
        default=BatchMode.SPLIT,
    )
    settings = models.JSONField(default=dict, blank=True, help_text="Its runs' settings.")
    cron = models.CharField(
        max_length=100,
        help_text='Minute hour day-of-month month day-of-week, in UTC: "0 2 * * 1-5" is 02:00 '
        "on weekdays.",
    )
    active = models.BooleanField(default=True, help_text="Paused when not ticked.")
    created_at = models.DateTimeField(default=timezone.now)
    last_fired_at = models.DateTimeField(null=True, blank=True)
    last_problem = models.TextField(
        blank=True, help_text="Why its last firing started no batch (a flow or device gone)."
    )

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name
