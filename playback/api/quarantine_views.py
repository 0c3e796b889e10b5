"""Quarantines over the API: POST /api/quarantines/ {flow_id, step_key?, reason,
expires_at?}, GET /api/quarantines/ (?flow=, ?status=active|expired|lifted),
DELETE /api/quarantines/{id}/ (lifts it). Whoever may see runs reads them; editors
and admins make and lift them (playback/quarantines.py). And the verify that proves a
fix and lifts them: POST /api/flows/{id}/verify/ (playback/verify.py)."""

from __future__ import annotations

from datetime import UTC

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from flows.models import Flow
from playback import quarantines, verify
from playback.api.batch_views import batch_response
from playback.api.known_fields import KnownFieldsSerializer
from playback.api.triage_views import ReadOrChange
from playback.api.views import ERRORS
from playback.insights.models import Quarantine
from playback.models import Run
from playback.resources.batches import BatchSerializer
from playback.resources.quarantines import STATUSES, QuarantineSerializer, shown


class NewQuarantineSerializer(KnownFieldsSerializer):
    flow_id = serializers.IntegerField(min_value=1, max_value=2**63 - 1)
    step_key = serializers.RegexField(
        r"^[0-9a-f]{16}$",
        required=False,
        allow_blank=True,
        help_text="Its step (16 hex digits); left out: the whole flow",
    )
    reason = serializers.CharField(max_length=quarantines.MAX_REASON)
    expires_at = serializers.DateTimeField(required=False, allow_null=True, default_timezone=UTC)

    shape = "Send a JSON object with flow_id and reason."


class QuarantinesView(APIView):
    permission_classes = [ReadOrChange]
    change_perm = "playback.add_quarantine"

    @extend_schema(
        summary="Quarantines, newest first",
        description=(
            "Every quarantine with its status: active, expired (its expires_at passed) "
            "or lifted (by a person, or by the verify batch that proved the fix)."
        ),
        parameters=[
            OpenApiParameter("flow", int),
            OpenApiParameter("status", str, enum=list(STATUSES)),
        ],
        responses={200: QuarantineSerializer(many=True)},
    )
    def get(self, request: Request) -> Response:
        unknown = sorted(set(request.query_params) - {"flow", "status"})
        if unknown:
            raise ValidationError(
                {k: ["Unknown parameter; allowed: flow, status."] for k in unknown}
            )
        items = Quarantine.objects.select_related("created_by", "lifted_by").order_by("-pk")
        flow = request.query_params.get("flow")
        if flow is not None:
            if not flow.isdigit() or len(flow) > 19:
                raise ValidationError({"flow": ["A flow id (a whole number)."]})
            items = items.filter(flow_id=int(flow))
        wanted = request.query_params.get("status")
        if wanted is not None and wanted not in STATUSES:
            raise ValidationError({"status": [f"One of {', '.join(STATUSES)}."]})
        found = [shown(item) for item in items[:500]]
        return Response([q for q in found if wanted is None or q["status"] == wanted])

    @extend_schema(
        summary="Quarantine a step (or a whole flow) while it is fixed",
        description=(
            "A quarantined step still plays and keeps its true status (`quarantined: true` "
            "on its result); when it fails the run goes on as with `continue`, and the "
            "run's `verdict` ignores it. No step_key: the whole flow. expires_at (ISO "
            "8601, in the future): it stops applying by itself. Editors and admins only."
        ),
        request=NewQuarantineSerializer,
        responses={201: QuarantineSerializer},
        examples=[
            OpenApiExample(
                "a flaky step, two weeks",
                request_only=True,
                value={
                    "flow_id": 1,
                    "step_key": "0123456789abcdef",
                    "reason": "SHOP-412: spinner",
                    "expires_at": "2030-01-15T00:00:00Z",
                },
            )
        ],
    )
    def post(self, request: Request) -> Response:
        body = NewQuarantineSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        # QuarantineError: a 400 naming each field (playback/http/errors.py)
        item = quarantines.quarantine(**body.validated_data, by=request.user)
        return Response(shown(item), status=status.HTTP_201_CREATED)


class QuarantineView(APIView):
    permission_classes = [ReadOrChange]
    change_perm = "playback.delete_quarantine"

    @extend_schema(
        summary="A quarantine",
        description="What it quarantines, why, who made it, until when, and its status.",
        responses={200: QuarantineSerializer},
    )
    def get(self, request: Request, id: int) -> Response:
        return Response(shown(get_object_or_404(Quarantine, pk=id)))

    @extend_schema(
        summary="Lift a quarantine (its record stays)",
        description="From the next run on, the step's failures fail runs again.",
        responses={204: None},
    )
    def delete(self, request: Request, id: int) -> Response:
        item = get_object_or_404(Quarantine, pk=id)
        if item.lifted_at is None:
            quarantines.lift(item, by=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class VerifySerializer(KnownFieldsSerializer):
    device_id = serializers.CharField(max_length=200, help_text="The device to play it on.")
    times = serializers.IntegerField(min_value=1, max_value=verify.MAX_TIMES)


class VerifyView(APIView):
    """Runners and up start it (it plays runs: `playback.add_run`)."""

    queryset = Run.objects.none()
    throttle_scope = "start"  # it queues runs: counted against the start rate

    @extend_schema(
        summary="Verify a fix: play a flow N times on one device",
        description=(
            f"A batch of mode `repeat` (each step retried once), 202 with its `Location`; "
            f"when it ends its resource has `verify`: times, passed_first_time, flaky, "
            f"failed. A verify of at least {verify.LIFT_AT} runs that all passed first time "
            f"lifts the flow's quarantines (each records the batch)."
        ),
        request=VerifySerializer,
        responses={202: BatchSerializer, 400: ERRORS},
        examples=[
            OpenApiExample(
                "twenty times", request_only=True, value={"device_id": "sim-1", "times": 20}
            )
        ],
    )
    def post(self, request: Request, id: int) -> Response:
        flow = get_object_or_404(Flow, pk=id)
        body = VerifySerializer(data=request.data)
        body.is_valid(raise_exception=True)
        batch = verify.start(
            flow=flow,
            requested_by=request.user,
            requested_from="verify (API)",
            **body.validated_data,
        )  # its RunRequestError is a 400 (playback/http/errors.py)
        return batch_response(request, batch, code=status.HTTP_202_ACCEPTED)
