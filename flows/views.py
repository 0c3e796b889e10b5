from __future__ import annotations

from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import viewsets
from rest_framework.decorators import action

from flows.maestro_views import EXPORT_SCHEMA, IMPORT_PARSERS, IMPORT_SCHEMA, MaestroRoutes
from flows.models import Flow
from flows.serializers import FlowSerializer
from playback.http.ids import ID_PATTERN


@extend_schema_view(
    list=extend_schema(summary="List flows", description="Every flow with its steps, by id."),
    create=extend_schema(
        summary="Record a flow",
        description="A flow in the JSON shape import_flow reads; its name must be new (400).",
    ),
    retrieve=extend_schema(summary="A flow", description="A flow with its ordered steps."),
    update=extend_schema(
        summary="Replace a flow", description="Its fields and steps, all given anew."
    ),
    partial_update=extend_schema(
        summary="Change a flow", description="The fields given replace the flow's own."
    ),
    destroy=extend_schema(summary="Delete a flow", description="A flow with runs is kept (409)."),
)
class FlowViewSet(MaestroRoutes, viewsets.ModelViewSet):
    """Recorded flows with their ordered steps (the JSON import_flow reads), and
    Maestro flows in and out."""

    queryset = Flow.objects.prefetch_related("steps", "tags").order_by("pk")
    serializer_class = FlowSerializer
    lookup_value_regex = ID_PATTERN

    @IMPORT_SCHEMA
    @action(
        detail=False,
        methods=["post"],
        url_path="import/maestro",
        url_name="import-maestro",
        parser_classes=IMPORT_PARSERS,
    )
    def import_maestro(self, request):
        return super().import_maestro(request)

    @EXPORT_SCHEMA
    @action(detail=True, methods=["get"], url_path="export/maestro", url_name="export-maestro")
    def export_maestro(self, request, pk=None):
        return super().export_maestro(request, pk)
