from __future__ import annotations

from rest_framework import viewsets

from config.api import ID_PATTERN
from flows.models import Flow
from flows.serializers import FlowSerializer


class FlowViewSet(viewsets.ModelViewSet):
    """Recorded flows with their ordered steps (the JSON import_flow reads)."""

    queryset = Flow.objects.prefetch_related("steps").order_by("pk")
    serializer_class = FlowSerializer
    lookup_value_regex = ID_PATTERN
