"""The start-a-batch request."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema_serializer
from rest_framework import serializers

from playback.api import run_settings
from playback.resources.settings import SettingsSerializer
from playback.words import BatchMode, SettingsError


def flow_ref(item: Any) -> bool:
    """A flow named by its id (a JSON number, not true) or its name (a string)."""
    return isinstance(item, str) or (isinstance(item, int) and not isinstance(item, bool))


@extend_schema_serializer(component_name="StartBatch")
class StartBatchSerializer(serializers.Serializer):
    """Flows (ids or exact names) or a tag; devices (device ids) or a platform; a mode."""

    flows = serializers.ListField(
        child=serializers.JSONField(),
        required=False,
        help_text="Flow ids (JSON numbers) or exact names (strings), 1 to 500; or give `tag`.",
    )
    tag = serializers.CharField(required=False, help_text="Every flow with this tag.")
    devices = serializers.ListField(
        child=serializers.CharField(),
        required=False,
        help_text="Device ids, 1 to 100; or give `platform`.",
    )
    platform = serializers.CharField(
        required=False, help_text="Every enabled device of this platform."
    )
    mode = serializers.ChoiceField(
        [(m.value, m.value) for m in (BatchMode.SPLIT, BatchMode.ALL)],
        required=False,
        default=BatchMode.SPLIT,
        help_text="split: each flow once, on the next free device; all: each flow on every "
        "device of its platform.",
    )
    settings = SettingsSerializer(required=False, allow_null=True)

    ALLOWED = ("flows", "tag", "devices", "platform", "mode", "settings")

    def to_internal_value(self, data: Any) -> dict[str, Any]:
        if not isinstance(data, dict):
            raise serializers.ValidationError(
                {"non_field_errors": ["Send a JSON object: flows or tag, devices or platform."]}
            )
        errors: dict[str, Any] = {
            key: [f"Unknown field. Allowed: {', '.join(self.ALLOWED)}."]
            for key in sorted(set(data) - set(self.ALLOWED))
        }
        value: dict[str, Any] = {}
        flows = data.get("flows")
        if flows is not None and not (isinstance(flows, list) and all(map(flow_ref, flows))):
            errors["flows"] = ["Must be a list of flow ids (numbers) or names (strings)."]
        devices = data.get("devices")
        if devices is not None and (
            not isinstance(devices, list) or not all(isinstance(d, str) for d in devices)
        ):
            errors["devices"] = ["Must be a list of device ids (strings)."]
        for key in ("tag", "platform", "mode"):
            if data.get(key) is not None and not isinstance(data[key], str):
                errors[key] = [f"Must be a string (got {data[key]!r})."]
        try:
            value["settings"] = run_settings.from_request(data.get("settings"))
        except SettingsError as exc:
            errors["settings"] = {key: [message] for key, message in exc.errors.items()}
        if errors:
            raise serializers.ValidationError(errors)
        value.update(
            flows=flows,
            tag=data.get("tag"),
            devices=devices,
            platform=data.get("platform"),
            mode=data.get("mode") or BatchMode.SPLIT,
        )
        return value
