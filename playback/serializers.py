"""The run resource (SPEC "The run resource"): the seed's fields plus a few more."""

from __future__ import annotations

import json
from typing import Any

from django.urls import reverse
from rest_framework import serializers

from config.api import MAX_ID
from flows.models import Flow
from playback.models import Device, Run, StepResult


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

    def to_representation(self, result: StepResult) -> dict[str, Any]:
        # The same fields as declared above (the schema reads those), built directly:
        # a run has up to 1,000 steps and DRF's per-field machinery was most of a GET.
        return {
            "step": result.step_number,
            "action": result.action,
            "status": result.status,
            "attempts": result.attempts,
            "duration_ms": result.duration_ms,
            "error": result.error or None,
            "attempt_errors": result.attempt_errors,
            "screenshot": self.get_screenshot(result),
        }

    def get_screenshot(self, result: StepResult) -> str | None:
        if not result.screenshot:
            return None
        # The run's URL is resolved once per run, not once per step (a quarter of a
        # 100-step GET went to reverse()): screenshots live under it.
        bases = self.context.setdefault("_run_urls", {})
        base = bases.get(result.run_id)
        if base is None:
            base = reverse("playback:run-detail", kwargs={"pk": result.run_id})
            request = self.context.get("request")
            base = bases[result.run_id] = (
                request.build_absolute_uri(base) if request is not None else base
            )
        return f"{base}steps/{result.step_number}/screenshot"


class SettingsSerializer(serializers.Serializer):
    """The run settings (SPEC table); for the schema, the engine validates them."""

    restartApp = serializers.BooleanField(required=False, default=True)
    clearData = serializers.BooleanField(required=False, default=False)
    retryPerStep = serializers.IntegerField(
        required=False, default=0, min_value=0, help_text="Above 3 is capped at 3."
    )
    failureBehaviour = serializers.ChoiceField(
        ["stop", "skip", "continue"], required=False, default="stop"
    )
    captureScreenshots = serializers.BooleanField(required=False, default=True)
    runTimeoutSeconds = serializers.IntegerField(
        required=False,
        min_value=1,
        help_text="Whole-run timeout; default PLAYBACK_RUN_TIMEOUT_S (1800).",
    )


class RunSummarySerializer(serializers.ModelSerializer):
    """A run without its steps (the runs list)."""

    run_id = serializers.IntegerField(source="pk", read_only=True)
    flow_id = serializers.IntegerField(read_only=True)
    device_id = serializers.CharField(source="device.device_id", read_only=True)
    settings = SettingsSerializer(read_only=True)
    error = serializers.SerializerMethodField()

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
        ]
        read_only_fields = fields

    def get_error(self, run: Run) -> str | None:
        return run.error or None


class RunSerializer(RunSummarySerializer):
    """The run resource: the summary plus every finished step so far."""

    steps = StepResultSerializer(source="step_results", many=True, read_only=True)

    class Meta(RunSummarySerializer.Meta):
        fields = [*RunSummarySerializer.Meta.fields, "steps"]
        read_only_fields = fields


class StartRunSerializer(serializers.Serializer):
    """The seed's request: flow_id, device_id and optional settings."""

    flow_id = serializers.IntegerField(min_value=1, max_value=MAX_ID)
    device_id = serializers.CharField(max_length=200)
    settings = SettingsSerializer(required=False, allow_null=True)

    ALLOWED = ("flow_id", "device_id", "settings")

    def to_internal_value(self, data: Any) -> dict[str, Any]:
        if not isinstance(data, dict):
            raise serializers.ValidationError(
                {"non_field_errors": ["Send a JSON object with flow_id, device_id, settings."]}
            )
        unknown = sorted(set(data) - set(self.ALLOWED))
        errors: dict[str, list[str]] = {
            key: [f"Unknown field. Allowed: {', '.join(self.ALLOWED)}."] for key in unknown
        }
        settings = data.get("settings")
        # The engine owns the settings rules; the schema field above only documents them.
        fields = {k: v for k, v in data.items() if k in ("flow_id", "device_id")}
        try:
            value = serializers.Serializer.to_internal_value(self, fields)
        except serializers.ValidationError as exc:
            errors.update(exc.detail)
            value = {}
        if "flow_id" in value:
            value["flow"] = Flow.objects.filter(pk=value["flow_id"]).first()
            if value["flow"] is None:
                errors["flow_id"] = [f"No flow with id {value['flow_id']}."]
        if "device_id" in value:
            value["device"] = Device.objects.filter(device_id=value["device_id"]).first()
            if value["device"] is None:
                errors["device_id"] = [f"No device with device id {value['device_id']!r}."]
        if errors:
            raise serializers.ValidationError(errors)
        value["settings"] = settings
        return value


class DeviceSerializer(serializers.ModelSerializer):
    current_run = serializers.PrimaryKeyRelatedField(read_only=True, allow_null=True)

    class Meta:
        model = Device
        fields = [
            "device_id",
            "name",
            "platform",
            "appium_url",
            "capabilities",
            "enabled",
            "current_run",
            "created_at",
        ]
        read_only_fields = ["current_run", "created_at"]

    def validate_capabilities(self, value: Any) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise serializers.ValidationError(
                'Must be a JSON object of capabilities, e.g. {"appium:app": "/path/app.apk"}.'
            )
        if "\\u0000" in json.dumps(value):
            raise serializers.ValidationError("Must not contain NUL characters.")
        return value
