"""The flows API speaks the JSON shape of flows.definitions (the same as import_flow)."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from flows.definitions import DefinitionError, parse_flow
from flows.models import Flow
from playback import actions, locators, words
from playback.http.errors import unique_or_400, validation_error


class LocatorSerializer(serializers.Serializer):
    using = serializers.ChoiceField(locators.LOCATOR_STRATEGIES)
    value = serializers.CharField()


def _key_field(key: actions.Key, used_by: list[str]) -> serializers.Field:
    """An action key in the schema: its kind, and which actions take it."""
    common = {"required": False, "help_text": f"{', '.join(used_by)}: {key.help}"}
    if key.kind == "locator":
        return LocatorSerializer(**common)
    if key.kind == "int":
        return serializers.IntegerField(**common)
    if key.kind == "bool":
        return serializers.BooleanField(**common)
    if key.kind == "number":
        return serializers.FloatField(**common)
    if key.kind == "masks":
        return serializers.ListField(child=serializers.DictField(), **common)
    return serializers.CharField(**common)


# One step; which keys apply depends on the action (its spec, playback/actions/):
# the schema's fields are generated from the specs, parse_flow validates.
StepSerializer = type(
    "StepSerializer",
    (serializers.Serializer,),
    {
        "__doc__": "One step; which fields apply depends on the action (named per field).",
        "step": serializers.IntegerField(
            required=False, min_value=1, help_text="Default: position."
        ),
        "action": serializers.ChoiceField(actions.choices()),
        **{name: _key_field(key, used_by) for name, (key, used_by) in actions.keys().items()},
        "timeout_ms": serializers.IntegerField(required=False, help_text="Element wait, ms."),
        "description": serializers.CharField(required=False),
        "optional": serializers.BooleanField(
            required=False, help_text="Its failure does not fail the run (default false)."
        ),
        "retries": serializers.IntegerField(
            required=False,
            min_value=0,
            max_value=3,
            help_text="Its own extra attempts, instead of the run's retryPerStep.",
        ),
    },
)


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
