"""Baselines of visual assertions: versioned screens per (flow, name, device profile)."""

from __future__ import annotations

from django.conf import settings as django_settings
from django.db import models

from flows.models import Flow
from playback.words import BaselineStatus, choices


class Baseline(models.Model):
    """One version of a screen an assert_screen step is compared with.

    A (flow, name, profile) has at most one `approved` version; approving another
    retires it. A screen a run took becomes a `candidate` (no baseline yet, or it
    differed); `updateBaselines` approves the screens a run takes."""

    flow = models.ForeignKey(Flow, on_delete=models.CASCADE, related_name="baselines")
    name = models.CharField(max_length=100)
    profile = models.CharField(
        max_length=64, help_text="The device profile: platform and screen size in px."
    )
    version = models.PositiveIntegerField()
    status = models.CharField(max_length=16, choices=choices(BaselineStatus))
    image = models.FileField(upload_to="baselines/", max_length=300)
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    run = models.ForeignKey(
        "playback.Run", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    step_number = models.PositiveIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    approved_by = models.ForeignKey(
        django_settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    approved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["flow", "name", "profile", "-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["flow", "name", "profile", "version"], name="unique_baseline_version"
            ),
            models.UniqueConstraint(
                fields=["flow", "name", "profile"],
                condition=models.Q(status="approved"),
                name="one_approved_baseline",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} on {self.profile} v{self.version} ({self.status})"
