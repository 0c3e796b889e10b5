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
        django_settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )  # fmt: skip
    requested_from = models.CharField(max_length=200, blank=True)
    rerun_of = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="reruns"
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
