"""Visual assertions over the API: the baselines (GET /api/baselines/?flow=&name=&status=,
GET /api/baselines/{id}/, its image, POST /api/baselines/{id}/approve/ by editors and
admins), and an assert_screen step's images under its run (baseline, actual, diff;
a failed attempt's too), signed like the run's other media."""

from __future__ import annotations

from typing import Any

from django.core.files.storage import default_storage
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from playback.api.triage_views import ReadOrChange
from playback.http.errors import Conflict, Gone
from playback.http.signed_media import MEDIA_AUTHENTICATION
from playback.models import Run, StepResult
from playback.visual import baselines
from playback.visual.models import Baseline
from playback.words import BaselineStatus

PNG = {(200, "image/png"): OpenApiResponse(OpenApiTypes.BINARY, description="PNG")}
FILTERS = ("flow", "name", "status")


class BaselineSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    flow_id = serializers.IntegerField()
    name = serializers.CharField()
    profile = serializers.CharField(help_text="Platform and screen size in px: 'web 412x915'.")
    version = serializers.IntegerField()
    status = serializers.ChoiceField([s.value for s in BaselineStatus])
    image = serializers.URLField()
    width = serializers.IntegerField()
    height = serializers.IntegerField()
    run_id = serializers.IntegerField(allow_null=True, help_text="The run that took it.")
    step = serializers.IntegerField(allow_null=True)
    created_at = serializers.DateTimeField()
    approved_by = serializers.CharField(allow_null=True)
    approved_at = serializers.DateTimeField(allow_null=True)


def shown(request: Request, item: Baseline) -> dict[str, Any]:
    return {
        "id": item.pk,
        "flow_id": item.flow_id,
        "name": item.name,
        "profile": item.profile,
        "version": item.version,
        "status": item.status,
        "image": request.build_absolute_uri(
            reverse("playback:baseline-image", kwargs={"id": item.pk})
        ),
        "width": item.width,
        "height": item.height,
        "run_id": item.run_id,
        "step": item.step_number,
        "created_at": item.created_at,
        "approved_by": item.approved_by.get_username() if item.approved_by else None,
        "approved_at": item.approved_at,
    }


class BaselineAPIView(APIView):
    """Whoever may see runs reads baselines; editors and admins approve them."""

    permission_classes = [ReadOrChange]
    change_perm = "playback.change_baseline"


class BaselinesView(BaselineAPIView):
    @extend_schema(
        summary="Baselines of visual assertions",
        description=(
            "Every version of every assert_screen baseline, newest first: approved (what "
            "a step is compared with), candidate (a screen a run took, to approve) or "
            "retired (replaced). Filter by flow (its id), name and status."
        ),
        parameters=[
            OpenApiParameter("flow", int),
            OpenApiParameter("name", str),
            OpenApiParameter("status", str, enum=[s.value for s in BaselineStatus]),
        ],
        responses={200: BaselineSerializer(many=True)},
    )
    def get(self, request: Request) -> Response:
        given = request.query_params
        unknown = sorted(set(given) - set(FILTERS))
        if unknown:
            raise ValidationError(
                {k: [f"Unknown parameter; allowed: {', '.join(FILTERS)}."] for k in unknown}
            )
        items = Baseline.objects.select_related("approved_by").order_by("-pk")
        if "flow" in given:
            if not given["flow"].isdigit() or len(given["flow"]) > 18:
                raise ValidationError({"flow": ["A flow id (a whole number)."]})
            items = items.filter(flow_id=int(given["flow"]))
        if "name" in given:
            items = items.filter(name=given["name"])
        if "status" in given:
            if given["status"] not in set(BaselineStatus):
                allowed = ", ".join(s.value for s in BaselineStatus)
                raise ValidationError({"status": [f"One of {allowed}."]})
            items = items.filter(status=given["status"])
        return Response([shown(request, item) for item in items[:500]])


class BaselineView(BaselineAPIView):
    @extend_schema(
        summary="A baseline",
        description="One version of a baseline: its image, profile, status, and who approved it.",
        responses={200: BaselineSerializer},
    )
    def get(self, request: Request, id: int) -> Response:
        return Response(shown(request, get_object_or_404(Baseline, pk=id)))


class ApproveBaselineView(BaselineAPIView):
    @extend_schema(
        summary="Approve a screen as its baseline",
        description=(
            "A candidate (a screen a run took: no baseline yet, or it differed) becomes "
            "the approved version of its (flow, name, profile); the one approved before is "
            "retired. 409 for an approved or retired one. Editors and admins only."
        ),
        request=None,
        responses={200: BaselineSerializer},
    )
    def post(self, request: Request, id: int) -> Response:
        item = get_object_or_404(Baseline, pk=id)
        try:
            item = baselines.approve(item, request.user)
        except baselines.NotApprovable as exc:
            raise Conflict(str(exc)) from None
        return Response(shown(request, item))


class BaselineImageView(BaselineAPIView):
    @extend_schema(
        summary="A baseline's image",
        description="The screen as it was approved or taken.",
        responses=PNG,
    )
    def get(self, request: Request, id: int) -> FileResponse:
        item = get_object_or_404(Baseline, pk=id)
        return _png(item.image.name, f"baseline {id}")


def _png(name: str, what: str) -> FileResponse:
    try:
        return FileResponse(default_storage.open(name, "rb"), content_type="image/png")
    except FileNotFoundError:
        raise Http404(f"The image of {what} is missing.") from None


def step_visual_view(kind: str, *, attempt: bool) -> type[APIView]:
    """The view of one image (`kind`: baseline, actual, diff) of a step's comparison,
    or of a failed attempt's."""
    whose = "a failed attempt's" if attempt else "an assert_screen step's"
    words = {
        "baseline": "the approved baseline it was compared with",
        "actual": "the screen it took",
        "diff": "the diff: the screen dimmed, differing pixels red, masks hatched",
    }[kind]

    class StepVisualView(APIView):
        queryset = Run.objects.none()  # its permission: playback.view_run
        authentication_classes = MEDIA_AUTHENTICATION

        @extend_schema(
            summary=f"{kind.capitalize()} image of {whose} comparison",
            description=f"PNG: {words} ({whose} comparison).",
            responses={**PNG, 410: OpenApiResponse(description="Removed by retention.")},
        )
        def get(self, request: Request, run_id: int, step: int, attempt: int = 0) -> FileResponse:
            result = get_object_or_404(
                StepResult.objects.select_related("run"), run_id=run_id, step_number=step
            )
            visual = result.visual
            if attempt:
                entry = next((e for e in result.attempt_log if e.get("attempt") == attempt), {})
                visual = entry.get("visual")
            if not visual:
                raise Http404(f"Run {run_id} step {step} compared no screen.")
            if kind == "baseline":
                baseline = Baseline.objects.filter(pk=visual.get("baseline_id")).first()
                if baseline is None:
                    raise Http404("It had no baseline.")
                return _png(baseline.image.name, f"baseline {baseline.pk}")
            if not visual.get(kind):
                raise Http404(f"It has no {kind} image.")
            if result.run.media_pruned_at is not None:
                raise Gone(f"Removed by retention on {result.run.media_pruned_at:%Y-%m-%d}.")
            return _png(visual[kind], f"run {run_id} step {step}")

    StepVisualView.__name__ = f"Step{'Attempt' if attempt else ''}{kind.capitalize()}View"
    return StepVisualView


VISUAL_KINDS = ("baseline", "actual", "diff")
