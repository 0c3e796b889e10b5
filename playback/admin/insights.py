"""The history's insights in the admin: the flaky steps, the failure groups, and a
failed run compared with the last passing one (playback/insights). Whoever may see
runs may see these."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse

from flows.definitions import PLATFORMS
from playback import quarantines, words
from playback.admin import display
from playback.admin.history import HistoryAdmin
from playback.admin.triage import TriagePages
from playback.insights import charts, rates, triage
from playback.insights.lists import failure_groups, flaky_steps
from playback.insights.models import FailureGroup, FlakyStep
from playback.models import Run, StepResult


class ReadOnlyInsight(HistoryAdmin):
    """A page, not a table to edit: seen by whoever may see runs."""

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return request.user.has_perm("playback.view_run")

    def has_module_permission(self, request: HttpRequest) -> bool:
        return self.has_view_permission(request)

    def page(self, request: HttpRequest, template: str, **context: Any) -> TemplateResponse:
        self.check_view(request)
        return TemplateResponse(
            request,
            template,
            {
                **self.admin_site.each_context(request),
                "opts": self.model._meta,
                **context,
            },
        )


class WindowForm(forms.Form):
    window = forms.IntegerField(
        min_value=rates.MIN_WINDOW,
        max_value=rates.MAX_WINDOW,
        initial=rates.DEFAULT_WINDOW,
        required=False,
        label="Last runs",
    )
    platform = forms.ChoiceField(
        choices=[("", "every platform"), *[(p, words.label(p)) for p in PLATFORMS]],
        required=False,
    )


@admin.register(FlakyStep)
class FlakyStepAdmin(ReadOnlyInsight):
    def changelist_view(self, request: HttpRequest, extra_context: Any = None) -> HttpResponse:
        form = WindowForm(request.GET or None)
        data = form.cleaned_data if form.is_bound and form.is_valid() else {}
        query = {
            "window": data.get("window") or rates.DEFAULT_WINDOW,
            "platform": data.get("platform") or "",
        }
        steps = flaky_steps(query)
        for step in steps:
            step["chart"] = charts.attempt_bars(
                step["attempts"],
                step["statuses"],
                [None] * len(step["attempts"]),
                label=f"{step['summary']}: attempts in each of the last runs",
            )
        return self.page(
            request,
            "admin/playback/flaky_steps.html",
            title="Flaky steps",
            form=form,
            steps=steps,
            query=query,
            candidates=quarantines.candidates(steps),
            may_quarantine=request.user.has_perm("playback.add_quarantine"),
        )


@admin.register(FailureGroup)
class FailureGroupAdmin(TriagePages, ReadOnlyInsight):
    def changelist_view(self, request: HttpRequest, extra_context: Any = None) -> HttpResponse:
        label = request.GET.get("label", "")
        if label not in {choice.value for choice in triage.TriageLabel}:
            label = ""
        form = self.bulk_label(request)
        if form is None:  # labelled: back to the list as it was
            return HttpResponseRedirect(request.get_full_path())
        return self.page(
            request,
            "admin/playback/failure_groups.html",
            title="Failure groups",
            groups=failure_groups(label=label, limit=100),
            label=label,
            labels=list(triage.LABEL_NAMES.items()),
            form=form,
            may_label=self.has_triage_permission(request),
        )


def last_passing_run(run: Run) -> Run | None:
    """The last success of the run's flow on its platform queued before the run (what
    worked then; a later pass says nothing of why this one failed)."""
    return (
        Run.objects.filter(
            flow_id=run.flow_id,
            status=words.RunStatus.SUCCESS,
            device__platform=run.device.platform,
            pk__lt=run.pk,
        )
        .order_by("-pk")
        .first()
    )


def settings_differences(first: Run, second: Run) -> list[tuple[str, str, str]]:
    """(label, first's value, second's) of each setting the two runs played with apart."""
    pairs = zip(
        display.settings_rows(first.settings), display.settings_rows(second.settings), strict=True
    )
    return [(label, one, other) for (label, one), (_, other) in pairs if one != other]


class ComparePages:
    """Two runs of a flow step by step, side by side (RunAdmin's compare view)."""

    def compare_view(self, request: HttpRequest, run_id: int, other_id: int) -> HttpResponse:
        self.check_view(request)
        runs = [
            get_object_or_404(Run.objects.select_related("flow", "device"), pk=pk)
            for pk in (run_id, other_id)
        ]
        results = [
            {
                r.step_key or f"#{r.step_number}": r
                for r in StepResult.objects.filter(run=run).order_by("step_number")
            }
            for run in runs
        ]
        keys = list(results[0]) + [k for k in results[1] if k not in results[0]]
        rows = []
        for key in keys:
            pair = [side.get(key) for side in results]
            facts = [(r.status, r.attempts) if r else None for r in pair]
            rows.append(
                {
                    "pair": pair,
                    "differs": facts[0] != facts[1],
                    "summary": next(r.summary() for r in pair if r),
                }
            )
        return TemplateResponse(
            request,
            "admin/playback/run/compare.html",
            {
                **self.admin_site.each_context(request),
                "opts": Run._meta,
                "title": f"Run #{runs[0].pk} compared with run #{runs[1].pk}",
                "runs": runs,
                "rows": rows,
                "settings_differ": settings_differences(*runs),
                "sides": [
                    {"run": r, "badge": display.badge(r.status) + display.markers(r)} for r in runs
                ],
            },
        )
