"""The flows API speaks the JSON shape of flows.definitions (the same as import_flow)."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from config.api import unique_or_400, validation_error
from flows.definitions import DefinitionError, parse_flow
from flows.models import Flow
from playback import words


class LocatorSerializer(serializers.Serializer):
    using = serializers.ChoiceField(words.LOCATOR_STRATEGIES)
    value = serializers.CharField()


class StepSerializer(serializers.Serializer):
    """One step; which fields apply depends on the action (documented per field)."""

    step = serializers.IntegerField(required=False, min_value=1, help_text="Default: position.")
    action = serializers.ChoiceField(words.choices(words.Action))
    locator = LocatorSerializer(required=False, help_text="tap (or x/y), type (optional).")
    x = serializers.IntegerField(required=False, help_text="tap without a locator.")
    y = serializers.IntegerField(required=False, help_text="tap without a locator.")
    start_x = serializers.IntegerField(required=False, help_text="swipe.")
    start_y = serializers.IntegerField(required=False, help_text="swipe.")
    end_x = serializers.IntegerField(required=False, help_text="swipe.")
    end_y = serializers.IntegerField(required=False, help_text="swipe.")
    duration = serializers.IntegerField(required=False, help_text="swipe, ms (default 500).")
    text = serializers.CharField(required=False, help_text="type.")
    timeout_ms = serializers.IntegerField(required=False, help_text="Element wait, ms.")
    description = serializers.CharField(required=False)


class FlowSerializer(serializers.Serializer):
    """A flow with its ordered steps; validated by flows.definitions.parse_flow."""

    id = serializers.IntegerField(read_only=True)
    name = serializers.CharField(max_length=200)
    platform = serializers.ChoiceField(words.choices(words.Platform))
    app_id = serializers.CharField(max_length=255)
    tags = serializers.ListField(
        child=serializers.CharField(max_length=50),
        required=False,
        help_text="What batches pick flows by: lower case letters, digits, '-', '_', '.' "
        "(at most 20; kept sorted). Omitted on create: none; on PUT: none.",
    )
    steps = StepSerializer(many=True)
    created_at = serializers.DateTimeField(read_only=True)
    updated_at = serializers.DateTimeField(read_only=True)

    def to_internal_value(self, data: Any) -> dict[str, Any]:
        if isinstance(data, dict) and self.partial and self.instance is not None:
            data = {**self.instance.as_json(), **data}
        if isinstance(data, dict):
            data = {k: v for k, v in data.items() if k not in ("id", "created_at", "updated_at")}
        try:
            definition = parse_flow(data)
        except DefinitionError as exc:
            raise validation_error(exc.errors) from None
        clash = Flow.objects.filter(name=definition.name)
        if self.instance is not None:
            clash = clash.exclude(pk=self.instance.pk)
        existing = clash.values_list("pk", flat=True).first()
        if existing is not None:
            raise validation_error(
                {"name": f"Flow {existing} already has this name; names are unique."}
            )
        return {"definition": definition}

    def to_representation(self, flow: Flow) -> dict[str, Any]:
        return {
            "id": flow.pk,
            **flow.as_json(),
            "created_at": serializers.DateTimeField().to_representation(flow.created_at),
            "updated_at": serializers.DateTimeField().to_representation(flow.updated_at),
        }

    def create(self, validated_data: dict[str, Any]) -> Flow:
        definition = validated_data["definition"]
        with unique_or_400("name", f"A flow named {definition.name!r} already exists."):
            return Flow.save_definition(definition, create=True)

    def update(self, flow: Flow, validated_data: dict[str, Any]) -> Flow:
        definition = validated_data["definition"]
        with unique_or_400("name", f"A flow named {definition.name!r} already exists."):
            return Flow.save_definition(definition, flow=flow)
