"""The batches API: start a batch, follow it, cancel it, re-run what failed, and its
runs' JUnit together."""

from __future__ import annotations

from django.urls import reverse
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from playback import services
from playback.api.batch_serializers import StartBatchSerializer
from playback.api.views import ERRORS
from playback.batches.models import Batch
from playback.http.ids import ID_PATTERN
from playback.http.permissions import ModelPermissions
from playback.http.throttles import QueuesRuns
from playback.models import Run
from playback.resources.batches import BatchSerializer


class BatchPermission(ModelPermissions):
    """Batches are runs started together: reading one needs `playback.view_run`;
    starting, cancelling or re-running one needs `playback.add_run` (the runner group
    and up), as for a single run."""

    def _queryset(self, view):
        return Run.objects.none()


CONFLICT = OpenApiResponse(description="The batch has already ended (cancel), or has not.")


def batch_response(request: Request, batch: Batch, *, code: int) -> Response:
    location = reverse("playback:batch-detail", kwargs={"pk": batch.pk})
    return Response(
        BatchSerializer(batch, context={"request": request}).data,
        status=code,
        headers={"Location": request.build_absolute_uri(location)},
    )


@extend_schema_view(
    list=extend_schema(
        summary="List batches, newest first",
        description="Batches with their counts and runs, paginated (`page`, `page_size`).",
    ),
    retrieve=extend_schema(
        summary="A batch",
        description=(
            "Its status by the overall rules over its runs (queued, running, success, "
            "failed, partial_success, error, cancelled), counts for a progress bar "
            "(`finished` of `total`), its runs, the devices that failed a run "
            "(split gives them no more flows) and the flows no device could play."
        ),
    ),
)
class BatchViewSet(
    QueuesRuns, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """Many flows on many devices started as one unit."""

    queuing_actions = ("create", "rerun_failed")
    queryset = Batch.objects.order_by("-created_at", "-pk").prefetch_related(
        "runs__flow", "runs__device"
    )
    serializer_class = BatchSerializer
    permission_classes = [BatchPermission]
    lookup_value_regex = ID_PATTERN

    @extend_schema(
        request=StartBatchSerializer,
        responses={202: BatchSerializer, 400: ERRORS},
        summary="Start a batch: flows (or a tag) on devices (or a platform)",
        description=(
            '`{"flows": [ids or names] | "tag": "smoke", "devices": [device ids] | '
            '"platform": "android", "mode": "split" | "all", "settings": {...}}`. '
            "split: each flow once, on the next free device of the set; a device whose run "
            "ends error gets no more of the batch's flows and that flow is queued once more "
            "on another device. all: each flow on every device of its platform. 202 with "
            "the batch and its `Location`."
        ),
    )
    def create(self, request: Request) -> Response:
        body = StartBatchSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        batch = services.start_batch(requested_by=request.user, **body.validated_data)
        return batch_response(request, batch, code=status.HTTP_202_ACCEPTED)

    @extend_schema(
        request=None,
        responses={200: BatchSerializer, 409: CONFLICT},
        summary="Cancel a batch",
        description=(
            "No more of its flows start; its queued runs are cancelled at once, its "
            "running ones before their next step. A batch that has ended is a 409."
        ),
    )
    @action(detail=True, methods=["post"])
    def cancel(self, request: Request, pk: str) -> Response:
        batch = services.cancel_batch(batch=self.get_object(), requested_by=request.user)
        return batch_response(request, batch, code=status.HTTP_200_OK)

    @extend_schema(
        request=None,
        responses={202: BatchSerializer, 409: CONFLICT},
        summary="Play again what failed: a new batch",
        description=(
            "A new batch (its `rerun_of` names this one) of the flows whose last run did "
            "not succeed (split: on the same devices; all: the same flow and device "
            "pairs). 409 while the batch runs, or when nothing failed."
        ),
    )
    @action(detail=True, methods=["post"], url_path="rerun-failed")
    def rerun_failed(self, request: Request, pk: str) -> Response:
        batch = services.rerun_failed(batch=self.get_object(), requested_by=request.user)
        return batch_response(request, batch, code=status.HTTP_202_ACCEPTED)
