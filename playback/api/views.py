"""The playback API: thin views that validate, call a service and answer."""

from __future__ import annotations

import hashlib
import json

from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from playback import services
from playback.api.device_serializers import DeviceSerializer
from playback.api.filters import RunFilter, RunPagination
from playback.api.serializers import RerunSerializer, StartRunSerializer
from playback.devices import reachability
from playback.http.errors import validation_error
from playback.http.ids import ID_PATTERN
from playback.http.permissions import ViewPermission
from playback.http.throttles import QueuesRuns
from playback.models import Device, Run
from playback.resources.runs import RunSerializer, RunSummarySerializer

MAX_WAIT_S = 300
WAIT_PARAMETER = OpenApiParameter(
    "wait",
    OpenApiTypes.INT,
    description=(
        f"Hold the request up to this many seconds (0-{MAX_WAIT_S}) until the run ends: "
        "200 with the finished run, or 202 with the run as it stands."
    ),
)
ERRORS = OpenApiResponse(description="What to fix, per field: {field: [message]}.")


def run_response(request: Request, run: Run, *, code: int) -> Response:
    run = (
        Run.objects.select_related("flow", "device").prefetch_related("step_results").get(pk=run.pk)
    )
    location = reverse("playback:run-detail", kwargs={"pk": run.pk})
    return Response(
        RunSerializer(run, context={"request": request}).data,
        status=code,
        headers={"Location": request.build_absolute_uri(location)},
    )


def wait_seconds(request: Request) -> int:
    raw = request.query_params.get("wait")
    if raw in (None, ""):
        return 0
    try:
        value = int(raw)
    except ValueError:
        value = -1
    if not 0 <= value <= MAX_WAIT_S:
        raise validation_error(
            {"wait": f"Must be a whole number of seconds from 0 to {MAX_WAIT_S}."}
        )
    return value


MAX_KEY_LENGTH = 200


def idempotency_key(request: Request) -> str | None:
    key = request.headers.get("Idempotency-Key")
    if key is None:
        return None
    if not 1 <= len(key) <= MAX_KEY_LENGTH or not key.isprintable():
        raise validation_error(
            {"Idempotency-Key": f"Must be 1 to {MAX_KEY_LENGTH} printable characters."}
        )
    return key


def fingerprint(data: object) -> str:
    """The same JSON body (whatever its key order or spacing) gives the same hash."""
    canonical = json.dumps(data, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def answer_started(request: Request, run: Run, wait: int, *, code: int | None = None) -> Response:
    """The run as it stands (202 while it plays, 200 once ended, or `code`). With
    `?wait` and the run still playing, the answer is marked to wait: the wait itself
    happens off the thread (event_views.waits), then `refresh` answers it again."""
    active = code or status.HTTP_202_ACCEPTED
    response = run_response(request, run, code=active if run.is_active else status.HTTP_200_OK)
    if wait and run.is_active:

        def refresh() -> Response:
            again = Run.objects.get(pk=run.pk)
            answer = active if again.is_active else status.HTTP_200_OK
            fresh = run_response(request, again, code=answer)
            response.data, response.status_code = fresh.data, fresh.status_code
            return response

        response.wait_for_run, response.refresh = (run.pk, wait), refresh
    return response


class StartRunView(APIView):
    queryset = Run.objects.none()  # its permission: playback.add_run (a POST on runs)
    throttle_scope = "start"

    @extend_schema(
        operation_id="playback_start",
        request=StartRunSerializer,
        parameters=[
            WAIT_PARAMETER,
            OpenApiParameter(
                "Idempotency-Key",
                OpenApiTypes.STR,
                OpenApiParameter.HEADER,
                description=(
                    "Send the same key again with the same body: the same run (200), "
                    "never a second one; with another body: 409."
                ),
            ),
        ],
        responses={
            202: OpenApiResponse(RunSerializer, description="Queued (or still running)."),
            200: OpenApiResponse(
                RunSerializer, description="Finished within ?wait, or a repeated key."
            ),
            400: ERRORS,
            409: OpenApiResponse(
                description="The Idempotency-Key was used for another body, or the device's "
                "Appium does not answer (send queue_if_unreachable: true to queue anyway)."
            ),
        },
        summary="Start playing a flow on a device",
        description=(
            "Queues a run of a flow on a device with optional settings (every key optional: "
            "the Settings schema below says each one's default and limits). 202 with the run "
            "and its `Location`; with `?wait=N` the answer waits for the run's end (200) or "
            "for N seconds (202)."
        ),
        examples=[
            OpenApiExample(
                "The demo flow on the simulated device",
                value={"flow_id": 1, "device_id": "sim-1", "settings": {"retryPerStep": 1}},
                request_only=True,
            )
        ],
    )
    def post(self, request: Request) -> Response:
        wait = wait_seconds(request)
        key = idempotency_key(request)
        serializer = StartRunSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        start = {
            "flow": data["flow"],
            "device": data["device"],
            "settings": data["settings"],
            "if_unreachable": data["if_unreachable"],
        }
        # A service's refusal is answered by playback.http.errors.exception_handler.
        if key is None:
            run = services.start_run(requested_by=request.user, **start)
        else:
            run, created = services.start_run_once(
                key=key, fingerprint=fingerprint(request.data), requested_by=request.user, **start
            )
            if not created:
                return answer_started(request, run, wait, code=status.HTTP_200_OK)
        return answer_started(request, run, wait)


@extend_schema_view(
    list=extend_schema(
        summary="List runs, newest first",
        description=(
            "Runs without their steps, paginated (`page`, `page_size` up to 200), "
            "filtered by the query parameters below; an unknown parameter or value is a 400."
        ),
    ),
    retrieve=extend_schema(
        summary="A run with every step finished so far",
        description=(
            "The run resource: its settings, counters, timings and error, and each finished "
            "step with its attempts, errors, screenshot URL and the step as it was played. "
            "While the run plays, `steps` grows as steps finish."
        ),
    ),
)
class RunViewSet(
    QueuesRuns, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """Runs, newest first; the list has no steps, a run's page has every finished step."""

    queuing_actions = ("rerun",)
    queryset = Run.objects.select_related("flow", "device").order_by("-queued_at", "-pk")
    filterset_class = RunFilter
    pagination_class = RunPagination
    lookup_value_regex = ID_PATTERN

    def get_queryset(self):
        queryset = super().get_queryset()
        if self.action != "list":
            queryset = queryset.prefetch_related("step_results")
        return queryset

    def get_serializer_class(self):
        return RunSummarySerializer if self.action == "list" else RunSerializer

    def filter_queryset(self, queryset):
        # The list's filters mean nothing to one run (and cost a FilterSet per GET).
        return super().filter_queryset(queryset) if self.action == "list" else queryset

    @extend_schema(
        request=RerunSerializer,
        parameters=[WAIT_PARAMETER],
        responses={
            202: RunSerializer,
            200: RunSerializer,
            400: ERRORS,
            409: OpenApiResponse(description="The device's Appium does not answer."),
        },
        summary="Play a run again: the same flow, device and settings",
        description=(
            "Queues a new run of the same flow on the same device with the same settings; "
            '`rerun_of` names the original. An optional body `{"settings": {...}}` '
            'replaces the settings it names (e.g. `{"retryPerStep": 2}`); the others '
            "stay the original's."
        ),
    )
    @action(detail=True, methods=["post"])
    def rerun(self, request: Request, pk: str) -> Response:
        wait = wait_seconds(request)
        body = RerunSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        run = services.rerun(
            run=self.get_object(),
            requested_by=request.user,
            if_unreachable=body.validated_data["if_unreachable"],
            **body.validated_data["overrides"],
        )
        return answer_started(request, run, wait)

    @extend_schema(
        request=None,
        responses={200: RunSerializer, 409: OpenApiResponse(description="Already ended.")},
        summary="Cancel a run",
        description=(
            "A queued run is cancelled at once. A running run answers at once with "
            "`cancel_requested: true`: the step in flight finishes and the next does not "
            "start. A run that has ended is a 409."
        ),
    )
    @action(detail=True, methods=["post"])
    def cancel(self, request: Request, pk: str) -> Response:
        run = services.cancel_run(run=self.get_object(), requested_by=request.user)
        return run_response(request, run, code=status.HTTP_200_OK)


@extend_schema_view(
    list=extend_schema(summary="List devices", description="Every device, by device id."),
    create=extend_schema(
        summary="Add a device",
        description="Its Appium URL must be allowed by PLAYBACK_APPIUM_ALLOWED_HOSTS.",
    ),
    retrieve=extend_schema(summary="A device", description="A device by its device id."),
    update=extend_schema(summary="Replace a device", description="Every field given anew."),
    partial_update=extend_schema(
        summary="Change a device", description="Only the fields given change."
    ),
    destroy=extend_schema(
        summary="Delete a device", description="A device with runs is kept (409)."
    ),
)
class DeviceViewSet(viewsets.ModelViewSet):
    """Devices, addressed by their device id (serial/UDID)."""

    queryset = Device.objects.order_by("device_id")
    serializer_class = DeviceSerializer
    lookup_field = "device_id"
    lookup_value_regex = r"[^/]+"

    def get_permissions(self):
        if self.action == "probe":  # asking is reading: who may see devices may ask
            return [ViewPermission()]
        return super().get_permissions()

    @extend_schema(
        request=None,
        responses={200: DeviceSerializer},
        summary="Ask a device's Appium now",
        description=(
            "Probes the device's Appium (`GET /status`, at most PLAYBACK_PROBE_TIMEOUT_S) and "
            "answers the device with `reachable`, `probe_latency_ms`, `probed_at` and "
            "`probe_error`. The sweeper probes every enabled device every minute."
        ),
    )
    @action(detail=True, methods=["post"])
    def probe(self, request: Request, device_id: str) -> Response:
        device = reachability.probe(self.get_object())
        return Response(DeviceSerializer(device, context={"request": request}).data)
