"""The insights' rollups, kept current in the transaction that ends a run
(playback/insights/windows.py) and rebuilt from the history by `rebuild_insights`."""

from __future__ import annotations

from django.conf import settings
from django.db import models

# How many finished runs a window keeps (the largest window a rate may ask for).
KEEP_RUNS = 200


class FlowWindow(models.Model):
    """The last finished runs of a flow in one scope ("" = all devices,
    "platform:<p>", "device:<pk>") and what each step did in them.

    `runs`: [[run id, status], ...] in the order they ended, oldest first, success /
    failed / partial_success only (at most KEEP_RUNS); `others`: the same for runs
    that ended error or cancelled (counted apart). `steps`: {step_key: {"s": one
    status letter per run of `runs` ("P" pass, "K" flaky, "F" fail, "S" skipped, "B"
    blocked, "-" not in that run), "a": attempts per run ("-" or 1-9), "summary":
    what the step did, "last_failure": [run id, finished at, error] or null}}.
    """

    flow = models.ForeignKey("flows.Flow", on_delete=models.CASCADE, related_name="+")
    scope = models.CharField(max_length=220, blank=True)
    runs = models.JSONField(default=list)
    others = models.JSONField(default=list)
    steps = models.JSONField(default=dict)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["flow", "scope"], name="unique_flow_window"),
        ]
        indexes = [models.Index(fields=["scope"], name="flow_window_scope")]

    def __str__(self) -> str:
        return f"{self.flow_id} {self.scope or 'all'}"


class FailureGroup(models.Model):
    """Failed and flaky steps that failed the same way (one failure signature), and
    what people decided it is (its triage: playback/insights/triage.py)."""

    key = models.CharField(max_length=16, unique=True)
    signature = models.TextField()
    count = models.PositiveIntegerField(default=0)
    first_seen = models.DateTimeField()
    last_seen = models.DateTimeField(db_index=True)
    flows = models.JSONField(default=list)  # flow ids
    devices = models.JSONField(default=list)  # device ids (their primary keys)
    example_runs = models.JSONField(default=list)  # the latest run ids, newest first
    # Triage: kept when the rollups are rebuilt.
    label = models.CharField(max_length=16, default="to_investigate", db_index=True)
    label_source = models.CharField(max_length=8, blank=True)  # "", "manual", "similar"
    similar_to = models.CharField(max_length=16, blank=True)  # the group a label followed
    comment = models.TextField(blank=True)
    issue_url = models.URLField(max_length=500, blank=True)
    labelled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    labelled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            # What a new group is compared with: the groups people labelled, only.
            models.Index(
                fields=["label_source"],
                condition=models.Q(label_source="manual"),
                name="failure_group_labelled",
            )
        ]

    def __str__(self) -> str:
        return self.signature[:80]


class Quarantine(models.Model):
    """A step (by its key) or a whole flow whose failures do not fail runs while it is
    fixed: it still plays and keeps its true status (playback/quarantines.py)."""

    flow = models.ForeignKey("flows.Flow", on_delete=models.CASCADE, related_name="+")
    step_key = models.CharField(max_length=16, blank=True)  # "": the whole flow
    step_summary = models.CharField(max_length=300, blank=True)
    reason = models.TextField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    lifted_at = models.DateTimeField(null=True, blank=True)
    lifted_by_batch = models.ForeignKey(
        "playback.Batch", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    lifted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    expiry_announced = models.BooleanField(default=False)  # quarantine.expired sent

    class Meta:
        indexes = [models.Index(fields=["flow", "lifted_at"], name="quarantine_flow_active")]

    def __str__(self) -> str:
        return f"{self.flow_id}:{self.step_key or 'flow'}"


class Category(models.Model):
    """One rule of the failure categories, in Allure's categories.json terms, in order
    (the first that matches names a failure's category: playback/insights/categories.py)."""

    position = models.PositiveIntegerField(unique=True)
    name = models.CharField(max_length=200)
    message_regex = models.TextField(blank=True)
    trace_regex = models.TextField(blank=True)
    matched_statuses = models.JSONField(default=list)

    class Meta:
        ordering = ["position"]
        verbose_name_plural = "categories"

    def __str__(self) -> str:
        return self.name


class FlakyStep(FlowWindow):
    """The admin's "Flaky steps" page (a view of the flows' windows)."""

    class Meta:
        proxy = True
        verbose_name = "flaky step"
        verbose_name_plural = "flaky steps"
