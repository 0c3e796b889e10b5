"""The insights' rollups, kept current in the transaction that ends a run
(playback/insights/windows.py) and rebuilt from the history by `rebuild_insights`."""

from __future__ import annotations

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
    """Failed and flaky steps that failed the same way (one failure signature)."""

    key = models.CharField(max_length=16, unique=True)
    signature = models.TextField()
    count = models.PositiveIntegerField(default=0)
    first_seen = models.DateTimeField()
    last_seen = models.DateTimeField(db_index=True)
    flows = models.JSONField(default=list)  # flow ids
    devices = models.JSONField(default=list)  # device ids (their primary keys)
    example_runs = models.JSONField(default=list)  # the latest run ids, newest first

    def __str__(self) -> str:
        return self.signature[:80]


class FlakyStep(FlowWindow):
    """The admin's "Flaky steps" page (a view of the flows' windows)."""

    class Meta:
        proxy = True
        verbose_name = "flaky step"
        verbose_name_plural = "flaky steps"
