"""Every report file of a run or a batch: one view, one route pattern
(`…/runs/{id}/<file>`, `…/batches/{id}/<file>`), one entry per format in
playback/reports/formats.py."""

from __future__ import annotations

from typing import Any

from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework.request import Request
from rest_framework.views import APIView

from playback.api.batch_views import BatchPermission
from playback.batches.models import Batch
from playback.models import Run
from playback.reports.formats import ReportFormat, output


class ReportView(APIView):
    """A report of one run or batch (reading one needs `playback.view_run`)."""

    report: ReportFormat
    kind: str  # "runs" | "batches"
    queryset = Run.objects.none()
    permission_classes = [BatchPermission]

    def get(self, request: Request, pk: str) -> HttpResponse:
        reports = (
            Run.objects.select_related("flow", "device") if self.kind == "runs" else Batch.objects
        )
        of = get_object_or_404(reports, pk=pk)
        file = output(self.report, self.kind)
        response = HttpResponse(file.render(of), content_type=file.content_type)
        if file.attachment is not None:
            response["Content-Disposition"] = f'attachment; filename="{file.attachment(of)}"'
        elif file.inline_name is not None:
            response["Content-Disposition"] = f'inline; filename="{file.inline_name(of)}"'
        return response


def report_view(report: ReportFormat, kind: str) -> Any:
    """The view of one format's file for runs or batches, documented as its own path."""
    file = output(report, kind)
    binary = not file.content_type.startswith("text/") and not file.content_type.endswith("xml")

    @extend_schema(
        operation_id=f"playback_{kind}_{file.file}_retrieve",
        responses={(200, file.content_type): OpenApiTypes.BINARY if binary else OpenApiTypes.STR},
        summary=file.summary,
        description=file.description,
    )
    def get(self: ReportView, request: Request, pk: str) -> HttpResponse:
        return ReportView.get(self, request, pk)

    name = f"{report.name.title()}{kind.title()}ReportView"
    return type(name, (ReportView,), {"report": report, "kind": kind, "get": get}).as_view()
