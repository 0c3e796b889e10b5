from __future__ import annotations

from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import viewsets

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
class FlowViewSet(viewsets.ModelViewSet):
    """Recorded flows with their ordered steps (the JSON import_flow reads)."""

    queryset = Flow.objects.prefetch_related("steps", "tags").order_by("pk")
    serializer_class = FlowSerializer
    lookup_value_regex = ID_PATTERN
