from __future__ import annotations

from typing import Any

from django.conf import settings as django_settings
from django.db import models
from django.utils import timezone

from flows.models import Flow
from playback import step_counters, words
from playback.actions import summary
from playback.devices.models import (  # noqa: F401 - migrations name the validators here
    Device,
    check_capabilities_allowed,
    validate_appium_url,
    validate_capabilities,
)
from playback.words import RunSettings, RunStatus, StepStatus


class RunSettingsField(models.JSONField):
    """A run's settings: a `RunSettings` in Python, its `stored()` JSON in the database."""

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> Any:
        data = super().from_db_value(value, expression, connection)
        return RunSettings.from_stored(data) if isinstance(data, dict) else data

    def to_python(self, value: Any) -> Any:
        return RunSettings.from_stored(value) if isinstance(value, dict) else value

    def get_prep_value(self, value: Any) -> Any:
        if isinstance(value, RunSettings):
            value = value.stored()
        return super().get_prep_value(value)

    def value_to_string(self, obj: models.Model) -> Any:
        value = self.value_from_object(obj)
        return value.stored() if isinstance(value, RunSettings) else value


class Run(models.Model):
    """One playback of a flow on a device, with the settings it used.

    Its status only changes through `playback.runs.lifecycle`.
    """

    flow = models.ForeignKey(Flow, on_delete=models.PROTECT, related_name="runs")
    device = models.ForeignKey(Device, on_delete=models.PROTECT, related_name="runs")
    status = models.CharField(
        max_length=16, choices=words.choices(RunStatus), default=RunStatus.QUEUED
    )
    settings = RunSettingsField(
        default=RunSettings, help_text="The effective settings of this run."
    )
    total_steps = models.PositiveIntegerField(default=0)
    successful_steps = models.PositiveIntegerField(default=0)
    flaky_steps = models.PositiveIntegerField(default=0)
    failed_steps = models.PositiveIntegerField(default=0)
    skipped_steps = models.PositiveIntegerField(default=0)
    blocked_steps = models.PositiveIntegerField(default=0)
    duration_ms = models.PositiveIntegerField(null=True, blank=True)
    queued_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    dispatched_at = models.DateTimeField(
        null=True, blank=True, help_text="When it was given its device."
    )
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    worker = models.CharField(
        max_length=200, blank=True, help_text="host:pid of the process that plays it."
    )
    cancel_requested = models.BooleanField(default=False)
    cancelled_by = models.ForeignKey(
        django_settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="Who asked for the cancel.",
    )
    foreground = models.BooleanField(
        default=False, help_text="Played by the `play` command, not by a worker."
    )
    error = models.TextField(blank=True)
    verdict = models.CharField(
        max_length=4,
        choices=words.choices(words.Verdict),
        blank=True,
        help_text="pass or fail once it ended: a quarantined step's failure does not fail it.",
    )
    search_text = models.TextField(
        blank=True,
        default="",
        editable=False,
        help_text="Its error and its steps' errors, for search (playback/runs/search.py).",
    )
    media_bytes = models.PositiveBigIntegerField(
        default=0, help_text="Bytes of its screenshots and video on storage now."
    )
    media_pruned_at = models.DateTimeField(
        null=True, blank=True, help_text="When retention removed its screenshots and video."
    )
    video = models.JSONField(
        null=True,
        blank=True,
        default=None,
        help_text="Its video: name, content_type, duration_ms, bytes, steps "
        "[{step, offset_ms}] (playback/video/).",
    )
    video_error = models.CharField(
        max_length=500, blank=True, default="", help_text="Why it has no video, when it has none."
    )
    session_reused = models.BooleanField(
        null=True,
        blank=True,
        default=None,
        help_text="Whether it played on its device's warm session (false: a new one).",
    )
    requested_by = models.ForeignKey(
        django_settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    requested_from = models.CharField(
        max_length=200, blank=True, help_text='Who started it without a user: "alice@ci-7 (play)".'
    )
    rerun_of = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="reruns"
    )
    batch = models.ForeignKey(
        "playback.Batch", null=True, blank=True, on_delete=models.SET_NULL, related_name="runs"
    )
    # Markers (playback/insights/windows.py), set when the run ends, against the
    # previous finished run of its flow on its platform.
    new_failure = models.BooleanField(
        default=False, help_text="A step failed that passed in the previous finished run."
    )
    fixed = models.BooleanField(
        default=False, help_text="A step passed that failed in the previous finished run."
    )

    class Meta:
        ordering = ["-queued_at", "-id"]
        indexes = [
            models.Index(fields=["-queued_at", "-id"], name="run_queued_at"),
            models.Index(fields=["status", "queued_at"], name="run_status_queued_at"),
            models.Index(fields=["flow", "-queued_at"], name="run_flow_queued_at"),
            # Pass rates count a flow's runs by status from the index alone.
            models.Index(fields=["flow", "status"], name="run_flow_status"),
            models.Index(fields=["device", "status", "queued_at"], name="run_device_status"),
            # The runs list filtered by a marker: its page and its count read these
            # (a count over every run took 1 s at 1,000,000 runs on PostgreSQL).
            models.Index(
                fields=["-queued_at", "-id"],
                condition=models.Q(new_failure=True),
                name="run_new_failure",
            ),
            models.Index(
                fields=["-queued_at", "-id"], condition=models.Q(fixed=True), name="run_fixed"
            ),
            models.Index(
                fields=["-queued_at", "-id"],
                condition=models.Q(flaky_steps__gt=0),
                name="run_flaky",
            ),
        ]

    def __str__(self) -> str:
        return f"Run #{self.pk}: {self.flow} on {self.device} ({self.get_status_display()})"

    @property
    def is_active(self) -> bool:
        return self.status in words.ACTIVE_RUN_STATUSES

    def step_tally(self) -> dict[StepStatus, int]:
        """How many steps ended in each status, from the run's counters."""
        return step_counters.tally_from_counters(
            {f: getattr(self, f) for f in step_counters.COUNTER_FIELDS}
        )


def screenshot_name(run_id: int, step_number: int) -> str:
    return f"runs/{run_id}/step-{step_number:04d}.png"


def attempt_file_name(run_id: int, step_number: int, attempt: int, suffix: str) -> str:
    """A failed attempt's evidence: `.png` (its screen), `.xml` or `.html` (its source)."""
    return f"runs/{run_id}/step-{step_number:04d}-attempt-{attempt}{suffix}"


def screenshot_path(instance: StepResult, filename: str) -> str:
    return screenshot_name(instance.run_id, instance.step_number)


class StepResult(models.Model):
    """What happened to one step of a run."""

    # No index of its own: the unique (run, step_number) index serves run_id lookups,
    # and one index less is one write less per step.
    run = models.ForeignKey(
        Run, on_delete=models.CASCADE, related_name="step_results", db_index=False
    )
    step_number = models.PositiveIntegerField()
    action = models.CharField(max_length=32)  # one of playback.actions.SPECS (checked there)
    definition = models.JSONField(
        default=dict, blank=True, help_text="The step as it was played (the flow JSON's shape)."
    )
    step_key = models.CharField(
        max_length=16,
        blank=True,
        default="",
        help_text="What the step does, hashed (its history survives flow edits).",
    )
    failure_key = models.CharField(
        max_length=16,
        blank=True,
        default="",
        db_default="",  # the per-step insert (playback/runs/recording.py) leaves it out
        help_text="Its failure group (a failed or flaky step's failure signature, hashed).",
    )
    status = models.CharField(max_length=16, choices=words.choices(StepStatus))
    attempts = models.PositiveIntegerField(default=0)
    attempt_errors = models.JSONField(default=list, blank=True)
    attempt_log = models.JSONField(
        default=list,
        blank=True,
        help_text=(
            "Each failed attempt: attempt, error, and the stored names of the screenshot "
            "and UI source taken right after it ('' when not taken; capture_error says why)."
        ),
    )
    duration_ms = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)
    screenshot = models.FileField(upload_to=screenshot_path, blank=True, max_length=300)
    screenshot_error = models.TextField(blank=True)
    quarantined = models.BooleanField(
        default=False, help_text="Quarantined when it played: its failure did not fail the run."
    )
    visual = models.JSONField(
        null=True,
        blank=True,
        default=None,
        help_text="An assert_screen's comparison (playback/visual/judge.py).",
    )
    finished_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["run", "step_number"]
        constraints = [
            models.UniqueConstraint(fields=["run", "step_number"], name="unique_step_per_run"),
        ]
        indexes = [
            # The runs of a failure group; only failed and flaky steps have a key.
            models.Index(
                fields=["failure_key", "run"],
                name="step_failure_key",
                condition=~models.Q(failure_key=""),
            ),
        ]

    def __str__(self) -> str:
        return f"Step {self.step_number}: {self.status}"

    def summary(self) -> str:
        """What the step did, in one line (from its snapshot; older rows: its action)."""
        return summary(self.definition) if self.definition else self.action


class IdempotencyKey(models.Model):
    """An `Idempotency-Key` a user sent with POST start, and the run it created."""

    user = models.ForeignKey(
        django_settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    key = models.CharField(max_length=200)
    request_hash = models.CharField(max_length=64)
    run = models.ForeignKey(Run, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "key"], name="unique_idempotency_key"),
        ]

    def __str__(self) -> str:
        return f"{self.key} -> run {self.run_id}"


# Batches, the insights' rollups and webhooks belong to this app; their models live
# beside their code.
from playback.batches.models import Batch, BatchSchedule  # noqa: E402, F401
from playback.insights.models import Category, FailureGroup, FlakyStep, FlowWindow  # noqa: E402, F401
from playback.visual.models import Baseline  # noqa: E402, F401
from playback.webhooks.models import WebhookDelivery, WebhookEndpoint  # noqa: E402, F401
