"""The device resource: a phone (or the simulated or web device) and its Appium
server. Its credentials (`user:key@` in its Appium URL, capabilities such as a
farm's access key) are shown masked (****) to whoever may not edit devices."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from playback.drivers.capabilities import masked
from playback.http.errors import unique_or_400
from playback.models import Device, check_capabilities_allowed
from playback.network import redacted


@extend_schema_field(
    {
        "type": "object",
        "additionalProperties": True,
        "description": (
            "Appium capabilities merged into the session's: only those a device of its "
            "platform may set (nothing that runs a program on the Appium server's host), "
            "at most 10 levels, 64 KB."
        ),
    }
)
class CapabilitiesField(serializers.JSONField):
    pass


class DeviceSerializer(serializers.ModelSerializer):
    """A device. Its credentials (`user:key@` in its Appium URL, capabilities such as
    a farm's access key) are shown masked (****) to whoever may not edit devices."""

    current_run = serializers.PrimaryKeyRelatedField(read_only=True, allow_null=True)
    capabilities = CapabilitiesField(
        required=False, validators=Device._meta.get_field("capabilities").validators
    )

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
            "reachable",
            "probe_latency_ms",
            "probed_at",
            "probe_error",
            "created_at",
        ]
        read_only_fields = [
            "current_run",
            "reachable",
            "probe_latency_ms",
            "probed_at",
            "probe_error",
            "created_at",
        ]

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        device = self.instance
        platform = attrs.get("platform", getattr(device, "platform", None))
        capabilities = attrs.get("capabilities", getattr(device, "capabilities", {}))
        try:
            check_capabilities_allowed(platform, capabilities)
        except DjangoValidationError as exc:
            raise serializers.ValidationError({"capabilities": exc.messages}) from None
        return attrs

    def to_representation(self, device: Device) -> dict[str, Any]:
        data = super().to_representation(device)
        request = self.context.get("request")
        user = getattr(request, "user", None)
        if not (user is not None and user.has_perm("playback.change_device")):
            data["appium_url"] = redacted(data["appium_url"])
            data["capabilities"] = masked(data["capabilities"])
        return data

    def create(self, validated_data: dict[str, Any]) -> Device:
        device_id = validated_data.get("device_id")
        with unique_or_400("device_id", f"A device {device_id!r} already exists."):
            return super().create(validated_data)

    def update(self, device: Device, validated_data: dict[str, Any]) -> Device:
        device_id = validated_data.get("device_id", device.device_id)
        with unique_or_400("device_id", f"A device {device_id!r} already exists."):
            return super().update(device, validated_data)
