"""The run's files: a step's screenshot, a failed attempt's screenshot and UI source,
the run's video, and how much they take on storage."""

from __future__ import annotations

from django.core.files import File
from django.core.files.storage import default_storage
from django.http import FileResponse, Http404, HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    inline_serializer,
)
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from playback import evidence
from playback.http import ranges
from playback.http.errors import Gone
from playback.http.signed_media import MEDIA_AUTHENTICATION
from playback.models import Run, StepResult


def _step_result(run_id: int, step: int) -> StepResult | None:
    return StepResult.objects.select_related("run").filter(run_id=run_id, step_number=step).first()


def _open(result: StepResult, name: str, what: str, retention: str) -> File:
    """A stored file of the step's run: 410 once retention removed it, 404 when gone."""
    pruned = result.run.media_pruned_at
    if pruned is not None:
        raise Gone(f"The {what} was removed by retention on {pruned:%Y-%m-%d} ({retention}).")
    try:
        return default_storage.open(name, "rb")
    except FileNotFoundError:
        raise Http404(
            f"The {what} file of run {result.run_id} step {result.step_number} is missing."
        ) from None


class StepScreenshotView(APIView):
    """A step's screenshot, for users who may see runs (not a public media folder)."""

    queryset = Run.objects.none()  # its permission: playback.view_run
    authentication_classes = MEDIA_AUTHENTICATION  # a signed link (<img src>) too

    @extend_schema(
        responses={
            (200, "image/png"): OpenApiResponse(OpenApiTypes.BINARY, description="PNG"),
            404: OpenApiResponse(description="No such run, step or screenshot."),
            410: OpenApiResponse(description="Removed by retention."),
        },
        summary="A step's screenshot",
    )
    def get(self, request: Request, run_id: int, step: int) -> FileResponse:
        result = _step_result(run_id, step)
        if result is None or not result.screenshot:
            raise Http404(f"Run {run_id} has no screenshot for step {step}.")
        handle = _open(result, result.screenshot.name, "screenshot", "PLAYBACK_KEEP_MEDIA_DAYS")
        return FileResponse(handle, content_type="image/png")


class AttemptFileView(APIView):
    """What the screen showed, or the UI source, right after a failed attempt."""

    queryset = Run.objects.none()  # its permission: playback.view_run
    authentication_classes = MEDIA_AUTHENTICATION  # a signed link (<img src>) too
    kind = "screenshot"  # or "source"

    def answer(self, run_id: int, step: int, attempt: int) -> FileResponse:
        result = _step_result(run_id, step)
        name = evidence.attempt_file(result, attempt, self.kind)
        if not name:
            raise Http404(f"Run {run_id} step {step} has no {self.kind} of attempt {attempt}.")
        handle = _open(result, name, self.kind, "PLAYBACK_KEEP_FAILED_MEDIA_DAYS")
        if self.kind == "screenshot":
            return FileResponse(handle, content_type="image/png")
        return evidence.as_plain_text(FileResponse(handle))


ATTEMPT_MISSING = {
    404: OpenApiResponse(description="No such run, step, attempt or file."),
    410: OpenApiResponse(description="Removed by retention."),
}


class AttemptScreenshotView(AttemptFileView):
    kind = "screenshot"

    @extend_schema(
        responses={
            (200, "image/png"): OpenApiResponse(OpenApiTypes.BINARY, description="PNG"),
            **ATTEMPT_MISSING,
        },
        summary="A failed attempt's screenshot",
        description="The screen right after attempt N of the step failed (`attempt_log`).",
    )
    def get(self, request: Request, run_id: int, step: int, attempt: int) -> FileResponse:
        return self.answer(run_id, step, attempt)


class AttemptSourceView(AttemptFileView):
    kind = "source"

    @extend_schema(
        responses={
            (200, "text/plain"): OpenApiResponse(
                OpenApiTypes.STR, description="The native hierarchy XML or the page's HTML"
            ),
            **ATTEMPT_MISSING,
        },
        summary="A failed attempt's UI source",
        description=(
            "The UI source right after attempt N failed, served as plain text (a page's "
            "HTML is never run from this origin)."
        ),
    )
    def get(self, request: Request, run_id: int, step: int, attempt: int) -> FileResponse:
        return self.answer(run_id, step, attempt)


class RunVideoView(APIView):
    """A run's video (its `video` in the run resource), with HTTP range requests."""

    queryset = Run.objects.none()  # its permission: playback.view_run
    authentication_classes = MEDIA_AUTHENTICATION  # a signed link (<video src>) too

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "Range",
                OpenApiTypes.STR,
                OpenApiParameter.HEADER,
                description="One byte range (bytes=0-1023, bytes=1024-, bytes=-500): 206.",
            )
        ],
        responses={
            (200, "video/webm"): OpenApiResponse(OpenApiTypes.BINARY, description="The video"),
            (206, "video/webm"): OpenApiResponse(OpenApiTypes.BINARY, description="A range"),
            404: OpenApiResponse(description="No such run, or it has no video."),
            410: OpenApiResponse(description="Removed by retention."),
            416: OpenApiResponse(description="The range is past the end (Content-Range: */size)."),
        },
        summary="A run's video",
        description=(
            "WebM (web and simulated devices) or MP4 (Android, iOS), as the run resource's "
            "`video.content_type` says. A `<video>` element seeks with range requests."
        ),
    )
    def get(self, request: Request, run_id: int) -> HttpResponse:
        run = Run.objects.filter(pk=run_id).only("video", "media_pruned_at").first()
        if run is None or not run.video:
            raise Http404(f"Run {run_id} has no video.")
        if run.media_pruned_at is not None:
            raise Gone(
                f"The video was removed by retention on {run.media_pruned_at:%Y-%m-%d} "
                "(PLAYBACK_KEEP_MEDIA_DAYS)."
            )
        name = run.video["name"]
        try:
            handle = default_storage.open(name, "rb")
            size = default_storage.size(name)
        except FileNotFoundError:
            raise Http404(f"The video file of run {run_id} is missing.") from None
        return ranges.ranged_response(
            handle,
            size=size,
            content_type=run.video["content_type"],
            range_header=request.headers.get("Range", ""),
        )


class MediaView(APIView):
    """How much the runs' screenshots and videos take on storage, and the retention."""

    queryset = Run.objects.none()  # its permission: playback.view_run

    @extend_schema(
        responses={
            200: inline_serializer(
                "MediaTotals",
                {
                    "bytes": serializers.IntegerField(),
                    "runs_with_media": serializers.IntegerField(),
                    "pruned_runs": serializers.IntegerField(),
                    "keep_media_days": serializers.IntegerField(),
                    "keep_failed_media_days": serializers.IntegerField(),
                },
            )
        },
        summary="Bytes of screenshots and videos on storage, over every run",
    )
    def get(self, request: Request) -> Response:
        return Response(evidence.media_totals())
