"""The flows API's Maestro routes: import a Maestro YAML file as a flow, and export a
flow as one (flows/maestro/ does the reading and writing)."""

from __future__ import annotations

from typing import Any

from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from flows import maestro
from flows.models import Flow
from flows.serializers import FlowSerializer
from playback.http.errors import unique_or_400, validation_error
from playback.http.parsers import SafeJSONParser, TextYamlParser, XYamlParser, YamlParser
from playback.words import Platform

TRUE, FALSE = ("true", "1", "yes"), ("false", "0", "no", "")
IMPORT_PARSERS = [YamlParser, XYamlParser, TextYamlParser, SafeJSONParser]


class UnsupportedSerializer(serializers.Serializer):
    line = serializers.IntegerField()
    command = serializers.CharField()
    reason = serializers.CharField()
    file = serializers.CharField(required=False, help_text="A runFlow's file.")


class ImportedSerializer(FlowSerializer):
    dropped = UnsupportedSerializer(many=True, help_text="What drop_unsupported left out.")


IMPORT_SCHEMA = extend_schema(
    summary="Import a Maestro flow",
    description=(
        "The body is a Maestro YAML file (Content-Type: application/yaml): the config "
        "document (appId or url, name, tags), ---, the commands. Commands that do not map "
        "are refused with their lines and nothing is created, unless drop_unsupported. "
        'Also a JSON body: {"yaml", "platform", "name", "drop_unsupported"}.'
    ),
    parameters=[
        OpenApiParameter(
            "platform",
            str,
            enum=list(Platform),
            description="The device a flow with appId plays on.",
        ),
        OpenApiParameter("name", str, description="The flow's name (else the config's)."),
        OpenApiParameter(
            "drop_unsupported", bool, description="Import what maps; answer the rest in dropped."
        ),
    ],
    request={"application/yaml": OpenApiTypes.STR},
    responses={
        201: ImportedSerializer,
        400: OpenApiResponse(
            description='Not a Maestro flow, or {"unsupported": [{"line", "command", '
            '"reason"}]}: the commands that do not map.'
        ),
    },
)
EXPORT_SCHEMA = extend_schema(
    summary="Export a flow as Maestro YAML",
    description="The steps that map, as Maestro commands; each step left out is a comment.",
    responses={(200, "application/yaml"): OpenApiTypes.STR},
)


def options_of(request: Request) -> dict[str, Any]:
    """The file and the import's options, from a YAML body and the query, or a JSON body."""
    data = request.data
    if isinstance(data, dict):
        raw, given = data.get("yaml"), data
        if not isinstance(raw, str):
            raise validation_error({"yaml": "The Maestro file, as a string."})
    else:
        raw, given = data, request.query_params
    drop = given.get("drop_unsupported", False)
    if isinstance(drop, str):
        if drop.lower() not in TRUE + FALSE:
            raise validation_error({"drop_unsupported": "Must be true or false."})
        drop = drop.lower() in TRUE
    elif not isinstance(drop, bool):
        raise validation_error({"drop_unsupported": "Must be true or false."})
    text_options = {}
    for key in ("platform", "name"):
        found = given.get(key)
        if found is not None and not isinstance(found, str):
            raise validation_error({key: "Must be a string."})
        text_options[key] = found or None
    return {"raw": raw or b"", "drop_unsupported": drop, **text_options}


class MaestroRoutes:
    """A mixin of the flows viewset: its import and export routes."""

    def import_maestro(self, request: Request) -> Response:
        try:
            definition, dropped = maestro.read_definition(**options_of(request))
        except maestro.Refused as exc:
            return Response({"unsupported": exc.unsupported}, status=status.HTTP_400_BAD_REQUEST)
        except (maestro.MaestroError, maestro.DefinitionError) as exc:
            raise validation_error(exc.errors) from None
        if Flow.objects.filter(name=definition.name).exists():
            raise validation_error({"name": f"A flow named {definition.name!r} already exists."})
        with unique_or_400("name", f"A flow named {definition.name!r} already exists."):
            flow = Flow.save_definition(definition, create=True)
        body = {**FlowSerializer(flow).data, "dropped": dropped}
        return Response(body, status=status.HTTP_201_CREATED, headers={"Location": f"{flow.pk}/"})

    def export_maestro(self, request: Request, pk: str | None = None) -> HttpResponse:
        exported = maestro.export(self.get_object())
        return HttpResponse(exported.text, content_type="application/yaml; charset=utf-8")
