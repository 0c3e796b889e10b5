"""The run resource (SPEC "The run resource"): what the API answers, live events
stream and webhooks send and `play` prints, built here; nothing in it is the API's."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from flows.serializers import StepSerializer
from playback import services
from playback.live import links
from playback.models import Run, StepResult
from playback.resources.settings import SettingsSerializer
from playback.words import Platform


class VisualSerializer(serializers.Serializer):
    """An assert_screen's comparison with its baseline."""

    name = serializers.CharField()
    profile = serializers.CharField(help_text="The device profile: platform and screen size.")
    baseline = serializers.URLField(allow_null=True, help_text="The approved baseline (PNG).")
    actual = serializers.URLField(allow_null=True, help_text="The screen it took (PNG).")
    diff = serializers.URLField(allow_null=True, help_text="Differing pixels in red (PNG).")
    diff_ratio = serializers.FloatField(allow_null=True)
    diff_pixels = serializers.IntegerField(allow_null=True)
    baseline_id = serializers.IntegerField(allow_null=True)
    candidate_id = serializers.IntegerField(
        allow_null=True, help_text="The candidate baseline its screen became (approve it)."
    )


class AttemptSerializer(serializers.Serializer):
    """One failed attempt and what the screen showed right after it."""

    attempt = serializers.IntegerField()
    error = serializers.CharField()
    screenshot = serializers.URLField(allow_null=True, help_text="PNG, or null when not taken.")
    source = serializers.URLField(
        allow_null=True,
        help_text="The UI source as text (native XML or the page's HTML), or null.",
    )
    capture_error = serializers.CharField(
        allow_null=True, help_text="Why a screenshot or source is missing, if one is."
    )
    visual = VisualSerializer(allow_null=True, help_text="An assert_screen attempt's comparison.")


class StepResultSerializer(serializers.ModelSerializer):
    step = serializers.IntegerField(source="step_number")
    error = serializers.SerializerMethodField()
    screenshot = serializers.SerializerMethodField()
    definition = StepSerializer(
        read_only=True, help_text="The step as it was played (the flow may have changed since)."
    )
    summary = serializers.CharField(read_only=True, help_text="What the step did, in one line.")
    attempt_errors = serializers.ListField(
        child=serializers.CharField(),
        read_only=True,
        help_text="The error of each failed attempt, in order.",
    )
    attempt_log = AttemptSerializer(
        many=True,
        read_only=True,
        help_text="Each failed attempt with its screenshot and UI source (also when a "
        "later attempt passed); files only while `captureScreenshots` is on.",
    )
    screenshot_pruned = serializers.BooleanField(
        read_only=True,
        help_text="It had a screenshot, removed by retention (PLAYBACK_KEEP_MEDIA_DAYS).",
    )
    screenshot_simulated = serializers.BooleanField(
        read_only=True,
        help_text="The screenshot is the simulated device's fixed picture, not what an app showed.",
    )
    visual = VisualSerializer(
        read_only=True, allow_null=True, help_text="An assert_screen's comparison, else null."
    )

    class Meta:
        model = StepResult
        fields = [
            "step",
            "action",
            "summary",
            "definition",
            "step_key",
            "failure_key",
            "status",
            "attempts",
            "duration_ms",
            "error",
            "attempt_errors",
            "attempt_log",
            "screenshot",
            "screenshot_pruned",
            "screenshot_simulated",
            "quarantined",
            "visual",
        ]

    def get_error(self, result: StepResult) -> str | None:
        return result.error or None

    def to_representation(self, result: StepResult) -> dict[str, Any]:
        # The same fields as declared above (the schema reads those), built directly:
        # a run has up to 1,000 steps and DRF's per-field machinery was most of a GET.
        return {
            "step": result.step_number,
            "action": result.action,
            "summary": result.summary(),
            "definition": result.definition or None,
            "status": result.status,
            "quarantined": result.quarantined,
            "attempts": result.attempts,
            "duration_ms": result.duration_ms,
            "error": result.error or None,
            "attempt_errors": result.attempt_errors,
            "attempt_log": self.attempt_entries(result),
            "screenshot": self.get_screenshot(result),
            "screenshot_pruned": bool(result.screenshot) and self.pruned(result),
            "screenshot_simulated": bool(result.screenshot) and self.simulated(result),
            "visual": self.visual_entry(result, result.visual, ""),
        }

    def visual_entry(
        self, result: StepResult, visual: dict[str, Any] | None, attempt: str
    ) -> dict[str, Any] | None:
        """An assert_screen's comparison, its images as (signed) URLs under the step
        (`attempt`: "attempts/N/" for a failed attempt's)."""
        if not visual:
            return None
        base = f"{self.run_url(result.run_id)}steps/{result.step_number}/{attempt}visual/"
        query = self.media_query(result.run_id)
        pruned = self.pruned(result)
        return {
            "name": visual.get("name"),
            "profile": visual.get("profile"),
            "baseline": f"{base}baseline{query}" if visual.get("baseline_id") else None,
            "actual": f"{base}actual{query}" if visual.get("actual") and not pruned else None,
            "diff": f"{base}diff{query}" if visual.get("diff") and not pruned else None,
            "diff_ratio": visual.get("diff_ratio"),
            "diff_pixels": visual.get("diff_pixels"),
            "baseline_id": visual.get("baseline_id"),
            "candidate_id": visual.get("candidate_id"),
        }

    def simulated(self, result: StepResult) -> bool:
        return result.run_id in self.context.get("_simulated_runs", ())

    def attempt_entries(self, result: StepResult) -> list[dict[str, Any]]:
        if not result.attempt_log:
            return []
        pruned = self.pruned(result)
        base = f"{self.run_url(result.run_id)}steps/{result.step_number}/attempts/"
        return [
            {
                "attempt": e["attempt"],
                "error": e.get("error", ""),
                **{
                    kind: f"{base}{e['attempt']}/{kind}{self.media_query(result.run_id)}"
                    if e.get(kind) and not pruned
                    else None
                    for kind in ("screenshot", "source")
                },
                "capture_error": e.get("capture_error") or None,
                "visual": self.visual_entry(result, e.get("visual"), f"attempts/{e['attempt']}/"),
            }
            for e in result.attempt_log
        ]

    def pruned(self, result: StepResult) -> bool:
        return result.run_id in self.context.get("_pruned_runs", ())

    def get_screenshot(self, result: StepResult) -> str | None:
        if not result.screenshot or self.pruned(result):
            return None
        return (
            f"{self.run_url(result.run_id)}steps/{result.step_number}/screenshot"
            f"{self.media_query(result.run_id)}"
        )

    def media_query(self, run_id: int) -> str:
        """`?sig=…`: the run's media signed for the reader (playback/live/links.py), so
        `<img src>` works without the token; "" when no request says who reads."""
        queries = self.context.setdefault("_media_queries", {})
        if run_id not in queries:
            signed = links.signature(self.context.get("request"), links.MEDIA, run_id)
            queries[run_id] = f"?{links.PARAMETER}={signed}" if signed else ""
        return queries[run_id]

    def run_url(self, run_id: int) -> str:
        # The run's URL is resolved once per run, not once per step (a quarter of a
        # 100-step GET went to reverse()): screenshots live under it.
        bases = self.context.setdefault("_run_urls", {})
        base = bases.get(run_id)
        if base is None:
            base = reverse("playback:run-detail", kwargs={"pk": run_id})
            request = self.context.get("request")
            base = bases[run_id] = request.build_absolute_uri(base) if request is not None else base
        return base


class VideoStepSerializer(serializers.Serializer):
    step = serializers.IntegerField()
    offset_ms = serializers.IntegerField(help_text="Where the step starts in the video.")


class VideoSerializer(serializers.Serializer):
    url = serializers.URLField()
    content_type = serializers.CharField(help_text="video/webm (web, simulated) or video/mp4.")
    duration_ms = serializers.IntegerField()
    bytes = serializers.IntegerField()
    steps = VideoStepSerializer(many=True)


class RunSummarySerializer(serializers.ModelSerializer):
    """A run without its steps (the runs list)."""

    run_id = serializers.IntegerField(source="pk", read_only=True)
    flow_id = serializers.IntegerField(read_only=True)
    flow_name = serializers.CharField(source="flow.name", read_only=True)
    device_id = serializers.CharField(source="device.device_id", read_only=True)
    device_name = serializers.CharField(source="device.name", read_only=True)
    settings = SettingsSerializer(read_only=True)
    error = serializers.SerializerMethodField()
    markers = serializers.SerializerMethodField()
    verdict = serializers.SerializerMethodField(
        help_text="pass or fail once it ended (null before): what CI gates on; a failure "
        "of a quarantined step does not fail it. `status` stays the whole truth."
    )

    class Meta:
        model = Run
        fields = [
            "run_id",
            "flow_id",
            "flow_name",
            "device_id",
            "device_name",
            "status",
            "verdict",
            "settings",
            "total_steps",
            "successful_steps",
            "flaky_steps",
            "failed_steps",
            "skipped_steps",
            "blocked_steps",
            "duration_ms",
            "queued_at",
            "started_at",
            "finished_at",
            "error",
            "cancel_requested",
            "rerun_of",
            "batch",
            "media_bytes",
            "media_pruned_at",
            "markers",
        ]
        read_only_fields = fields

    @extend_schema_field(
        serializers.ListField(child=serializers.ChoiceField(["new_failure", "fixed", "flaky"]))
    )
    def get_markers(self, run: Run) -> list[str]:
        """new_failure / fixed (against the previous finished run of the flow on its
        platform), flaky (a step passed on a retry)."""
        return [
            name
            for name, on in (
                ("new_failure", run.new_failure),
                ("fixed", run.fixed),
                ("flaky", run.flaky_steps > 0),
            )
            if on
        ]

    def get_error(self, run: Run) -> str | None:
        return run.error or None

    def get_verdict(self, run: Run) -> str | None:
        return run.verdict or None


class RunSerializer(RunSummarySerializer):
    """The run resource: the summary plus every finished step so far."""

    steps = StepResultSerializer(source="step_results", many=True, read_only=True)
    waiting = serializers.SerializerMethodField(
        help_text='Why a queued run waits ("Device sim-1 is playing run #31; 2 runs ahead '
        'of it."); null once it started.'
    )

    events_url = serializers.SerializerMethodField(
        help_text="Its Server-Sent Events (GET, text/event-stream). Signed for the reader "
        "for PLAYBACK_EVENTS_LINK_MAX_AGE_S (600 s): a browser's EventSource needs no token."
    )

    video = serializers.SerializerMethodField(
        help_text="Its video (recordVideo): url (signed, HTTP range requests), content_type, "
        "duration_ms, bytes and each executed step's offset_ms from its start; null when "
        "none was kept or retention removed it."
    )
    video_error = serializers.SerializerMethodField(
        help_text="Why a video it should have has none (ffmpeg missing on the Appium host, "
        "disk full, the device lost); null otherwise."
    )

    session_reused = serializers.BooleanField(
        read_only=True,
        allow_null=True,
        help_text="Whether it played on its device's warm Appium session, kept from an "
        "earlier run (PLAYBACK_SESSION_IDLE_S); false: a new session; null until its "
        "session opened (or none did).",
    )

    class Meta(RunSummarySerializer.Meta):
        fields = [
            *RunSummarySerializer.Meta.fields,
            "waiting",
            "events_url",
            "video",
            "video_error",
            "session_reused",
            "steps",
        ]
        read_only_fields = fields

    @extend_schema_field(VideoSerializer(allow_null=True))
    def get_video(self, run: Run) -> dict[str, Any] | None:
        if not run.video or run.media_pruned_at is not None:
            return None
        steps = StepResultSerializer(context=self.context)
        url = f"{steps.run_url(run.pk)}video{steps.media_query(run.pk)}"
        return {
            "url": url,
            **{key: run.video[key] for key in ("content_type", "duration_ms", "bytes", "steps")},
        }

    def get_video_error(self, run: Run) -> str | None:
        return run.video_error or None

    def get_waiting(self, run: Run) -> str | None:
        return services.why_waiting(run)

    def get_events_url(self, run: Run) -> str:
        return links.events_url(self.context.get("request"), "run", run.pk)

    def to_representation(self, run: Run) -> dict[str, Any]:
        if run.media_pruned_at is not None:  # its steps show "pruned", not a dead link
            self.context.setdefault("_pruned_runs", set()).add(run.pk)
        if run.device.platform == Platform.SIM:  # the fake driver's fixed picture
            self.context.setdefault("_simulated_runs", set()).add(run.pk)
        return super().to_representation(run)
