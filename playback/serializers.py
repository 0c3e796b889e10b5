"""The run resource (SPEC "The run resource"): the seed's fields plus a few more."""

from __future__ import annotations

from django.urls import reverse
from rest_framework import serializers

from playback.models import Run, StepResult


class StepResultSerializer(serializers.ModelSerializer):
    step = serializers.IntegerField(source="step_number")
    error = serializers.SerializerMethodField()
    screenshot = serializers.SerializerMethodField()

    class Meta:
        model = StepResult
        fields = [
            "step",
            "action",
            "status",
            "attempts",
            "duration_ms",
            "error",
            "attempt_errors",
            "screenshot",
        ]

    def get_error(self, result: StepResult) -> str | None:
        return result.error or None

    def get_screenshot(self, result: StepResult) -> str | None:
        if not result.screenshot:
            return None
        url = reverse(
            "playback:step-screenshot",
            kwargs={"run_id": result.run_id, "step": result.step_number},
        )
        request = self.context.get("request")
        return request.build_absolute_uri(url) if request is not None else url


class RunSerializer(serializers.ModelSerializer):
    run_id = serializers.IntegerField(source="pk", read_only=True)
    flow_id = serializers.IntegerField(read_only=True)
    device_id = serializers.CharField(source="device.device_id", read_only=True)
    error = serializers.SerializerMethodField()
    steps = StepResultSerializer(source="step_results", many=True, read_only=True)

    class Meta:
        model = Run
        fields = [
            "run_id",
            "flow_id",
            "device_id",
            "status",
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
            "rerun_of",
            "steps",
        ]
        read_only_fields = fields

    def get_error(self, run: Run) -> str | None:
        return run.error or None
