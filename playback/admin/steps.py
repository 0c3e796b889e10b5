"""A run's steps in the admin: the rows of its page, and each step's own pages (the
screenshot viewer, the thumbnail, the full image), for staff who may see runs."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.core.files.storage import default_storage
from django.db.models import OuterRef, QuerySet, Subquery
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.safestring import SafeString

from playback import evidence
from playback.admin import display, video
from playback.insights import triage
from playback.models import FailureGroup, Run, StepResult
from playback.resources.runs import StepResultSerializer


class StepResultInline(admin.TabularInline):
    model = StepResult
    extra = 0
    max_num = 0
    can_delete = False
    ordering = ["step_number"]
    fields = [
        "step_number",
        "what",
        "status_badge",
        "attempts",
        "duration",
        "errors",
        "shot",
        "in_video",
    ]
    readonly_fields = fields

    def get_queryset(self, request: HttpRequest) -> QuerySet[StepResult]:
        # The run: pruned or not; its device: a simulated screen or a real one; a
        # failure's triage label (its group's), in the same query.
        label = FailureGroup.objects.filter(key=OuterRef("failure_key")).values("label")[:1]
        self.can_approve = request.user.has_perm("playback.change_baseline")
        return (
            super()
            .get_queryset(request)
            .select_related("run__device")
            .annotate(group_label=Subquery(label))
        )

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description="status")
    def status_badge(self, result: StepResult) -> str:
        return display.badge(result.status)

    @admin.display(description="what it did")
    def what(self, result: StepResult) -> str:
        return display.part("step_what", result=result)

    @admin.display(description="duration")
    def duration(self, result: StepResult) -> str:
        return f"{result.duration_ms} ms"

    @admin.display(description="error")
    def errors(self, result: StepResult) -> str:
        label = getattr(result, "group_label", None) if result.failure_key else None
        return self.visual(result) + display.part(
            "step_error",
            result=result,
            group={
                "key": result.failure_key,
                "label": label,
                "label_name": triage.LABEL_NAMES.get(label, label),
            }
            if label
            else None,
        )

    def visual(self, result: StepResult) -> str:
        """An assert_screen's baseline | actual | diff, and its approval."""
        if not result.visual:
            return SafeString("")
        entry = StepResultSerializer(context={}).visual_entry(result, result.visual, "")
        back = reverse("admin:playback_run_change", args=[result.run_id])
        return display.part(
            "step_visual",
            visual=entry,
            can_approve=getattr(self, "can_approve", False),
            back=f"{back}#step-{result.step_number}",
        )

    @admin.display(description="screenshot")
    def shot(self, result: StepResult) -> str:
        return display.part("step_shot", result=result)

    @admin.display(description="video")
    def in_video(self, result: StepResult) -> str:
        return display.part("step_video", moment=video.moment(result.run, result.step_number))


class StepPages:
    """The run admin's pages for one step (its URLs are in RunAdmin.get_urls)."""

    def step_view(self, request: HttpRequest, run_id: int, step: int) -> HttpResponse:
        """A step's full screenshot with what the step did and how it ended, and the
        way to the steps before and after it."""
        self.check_view(request)
        run = get_object_or_404(Run.objects.select_related("flow", "device"), pk=run_id)
        numbers = list(
            run.step_results.order_by("step_number").values_list("step_number", flat=True)
        )
        result = get_object_or_404(StepResult, run=run, step_number=step)
        position = numbers.index(step)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": f"Run #{run.pk}, step {step}",
            "run": run,
            "result": result,
            "badge": display.badge(result.status),
            "position": position + 1,
            "total": len(numbers),
            "previous": numbers[position - 1] if position > 0 else None,
            "next": numbers[position + 1] if position + 1 < len(numbers) else None,
            "clip": video.clip(run, step, result.duration_ms),
        }
        return TemplateResponse(request, "admin/playback/run/step.html", context)

    def _image(self, request: HttpRequest, run_id: int, step: int, make) -> HttpResponse:
        self.check_view(request)
        result = (
            StepResult.objects.select_related("run").filter(run_id=run_id, step_number=step).first()
        )
        if result is None:
            data = evidence.placeholder_png()
        elif result.run.media_pruned_at is not None:
            data = evidence.placeholder_png("screenshot pruned")
        else:
            data = make(result)
        response = HttpResponse(data, content_type="image/png")
        response["Cache-Control"] = "private, max-age=3600"
        return response

    def thumbnail_view(self, request: HttpRequest, run_id: int, step: int) -> HttpResponse:
        return self._image(request, run_id, step, evidence.thumbnail_png)

    def screenshot_view(self, request: HttpRequest, run_id: int, step: int) -> HttpResponse:
        return self._image(request, run_id, step, evidence.screenshot_png)

    def attempt_view(
        self, request: HttpRequest, run_id: int, step: int, attempt: int, kind: str
    ) -> HttpResponse:
        """A failed attempt's screenshot (or its thumbnail), or its UI source as plain
        text."""
        self.check_view(request)
        result = get_object_or_404(
            StepResult.objects.select_related("run"), run_id=run_id, step_number=step
        )
        thumbnail = kind == "thumbnail"
        name = evidence.attempt_file(result, attempt, "screenshot" if thumbnail else kind)
        if not name or result.run.media_pruned_at is not None:
            raise Http404(f"Run {run_id} step {step} has no {kind} of attempt {attempt}.")
        if thumbnail:
            response = HttpResponse(evidence.thumbnail_of(name), content_type="image/png")
            response["Cache-Control"] = "private, max-age=3600"
            return response
        try:
            with default_storage.open(name, "rb") as handle:
                data = handle.read()
        except FileNotFoundError:
            raise Http404(f"The {kind} of attempt {attempt} is missing.") from None
        if kind == "screenshot":
            return HttpResponse(data, content_type="image/png")
        return evidence.as_plain_text(HttpResponse(data))
