"""The start and re-run requests (README "The API"; docs/engine.md)."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from flows.models import Flow
from playback import services
from playback.api import run_settings
from playback.http.ids import MAX_ID
from playback.models import Device
from playback.resources.settings import SettingsSerializer
from playback.words import SettingsError


class StartRunSerializer(serializers.Serializer):
    """A start request: flow_id, device_id and optional settings.

    Ids are as strict as settings: `flow_id` a JSON integer (not 4.0, not "4"),
    `device_id` a JSON string exactly as stored (no surrounding spaces).
    """

    flow_id = serializers.IntegerField(min_value=1, max_value=MAX_ID)
    device_id = serializers.CharField(max_length=200, trim_whitespace=False)
    settings = SettingsSerializer(required=False, allow_null=True)
    queue_if_unreachable = serializers.BooleanField(
        required=False,
        default=False,
        help_text="Queue the run even if the device's Appium does not answer (else 409).",
    )

    ALLOWED = ("flow_id", "device_id", "settings", "queue_if_unreachable")

    def to_internal_value(self, data: Any) -> dict[str, Any]:
        if not isinstance(data, dict):
            raise serializers.ValidationError(
                {"non_field_errors": ["Send a JSON object with flow_id, device_id, settings."]}
            )
        unknown = sorted(set(data) - set(self.ALLOWED))
        errors: dict[str, Any] = {
            key: [f"Unknown field. Allowed: {', '.join(self.ALLOWED)}."] for key in unknown
        }
        value: dict[str, Any] = {}
        flow_id, device_id = data.get("flow_id"), data.get("device_id")
        if "flow_id" not in data:
            errors["flow_id"] = ["This field is required."]
        elif isinstance(flow_id, bool) or not isinstance(flow_id, int):
            errors["flow_id"] = [
                f"A valid integer is required: a JSON number like 4 (got {flow_id!r})."
            ]
        elif not 1 <= flow_id <= MAX_ID:
            errors["flow_id"] = [
                f"Ensure this value is greater than or equal to 1 and less than or equal to "
                f"{MAX_ID} (got {flow_id})."
            ]
        else:
            value["flow"] = Flow.objects.filter(pk=flow_id).first()
            if value["flow"] is None:
                errors["flow_id"] = [f"No flow with id {flow_id}."]
        if "device_id" not in data:
            errors["device_id"] = ["This field is required."]
        elif not isinstance(device_id, str) or not device_id or len(device_id) > 200:
            errors["device_id"] = [f"A device id is required: a JSON string (got {device_id!r})."]
        elif device_id != device_id.strip() or "\x00" in device_id:
            errors["device_id"] = [
                f"No device with device id {device_id!r}: device ids have no surrounding "
                "spaces or NUL characters."
            ]
        else:
            value["device"] = Device.objects.filter(device_id=device_id).first()
            if value["device"] is None:
                errors["device_id"] = [f"No device with device id {device_id!r}."]
        insist = data.get("queue_if_unreachable", False)
        if not isinstance(insist, bool):
            errors["queue_if_unreachable"] = [f"Must be true or false (got {insist!r})."]
        value["if_unreachable"] = "queue" if insist is True else "refuse"
        try:
            value["settings"] = run_settings.from_request(data.get("settings"))
        except SettingsError as exc:
            errors["settings"] = {key: [message] for key, message in exc.errors.items()}
        if errors and value.get("flow") and value.get("device"):
            # Report what the service would refuse too: every problem at once.
            for key, message in services.run_request_problems(
                flow=value["flow"], device=value["device"]
            ).items():
                errors.setdefault(key, [message])
        if errors:
            raise serializers.ValidationError(errors)
        return value


class RerunSerializer(serializers.Serializer):
    """A re-run's optional body: settings that replace the original run's (only the
    keys given; the rest are the original's)."""

    settings = SettingsSerializer(required=False)
    queue_if_unreachable = serializers.BooleanField(
        required=False,
        default=False,
        help_text="Queue the run even if the device's Appium does not answer (else 409).",
    )

    def to_internal_value(self, data: Any) -> dict[str, Any]:
        if data in (None, ""):
            data = {}
        if not isinstance(data, dict):
            raise serializers.ValidationError(
                {"non_field_errors": ["Send nothing, or a JSON object with settings."]}
            )
        unknown = sorted(set(data) - {"settings", "queue_if_unreachable"})
        if unknown:
            raise serializers.ValidationError(
                {
                    key: ["Unknown field. Allowed: settings, queue_if_unreachable."]
                    for key in unknown
                }
            )
        insist = data.get("queue_if_unreachable", False)
        if not isinstance(insist, bool):
            raise serializers.ValidationError(
                {"queue_if_unreachable": [f"Must be true or false (got {insist!r})."]}
            )
        try:
            return {
                "overrides": run_settings.overrides_from_request(data.get("settings", {})),
                "if_unreachable": "queue" if insist else "refuse",
            }
        except SettingsError as exc:
            raise serializers.ValidationError(
                {"settings": {key: [message] for key, message in exc.errors.items()}}
            ) from None
