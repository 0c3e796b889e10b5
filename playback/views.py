from __future__ import annotations

from django.http import FileResponse, Http404
from rest_framework.decorators import api_view
from rest_framework.request import Request

from playback.models import StepResult


@api_view(["GET"])
def step_screenshot(request: Request, run_id: int, step: int) -> FileResponse:
    """A step's screenshot, for authenticated users only (not a public media folder)."""
    result = StepResult.objects.filter(run_id=run_id, step_number=step).first()
    if result is None or not result.screenshot:
        raise Http404(f"Run {run_id} has no screenshot for step {step}.")
    try:
        handle = result.screenshot.open("rb")
    except FileNotFoundError:
        raise Http404(f"The screenshot file of run {run_id} step {step} is missing.") from None
    return FileResponse(handle, content_type="image/png")
