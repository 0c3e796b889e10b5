"""Flows in the admin: steps inline (validated like the API), their runs, and a way
to play a flow on a device."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, F, IntegerField, JSONField, OuterRef, Q, QuerySet, Subquery
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.loader import render_to_string
from django.template.response import TemplateResponse
from django.urls import path, reverse

from flows.maestro_admin import MaestroAdmin
from flows.models import Flow, Step
from flows.step_form import StepForm
from flows.tags import parse_tags
from playback import quarantines, services, verify, words
from playback.admin import display
from playback.admin.forms import RunSettingsForm
from playback.insights import charts, trends
from playback.insights.lists import flow_failure_groups
from playback.insights.models import FlowWindow
from playback.models import Device, Run

SPARK_RUNS = 20  # results in a flow's sparkline in the flows list
STEPS_ASIDE = 1_000_000  # above any step number (MAX_STEPS), while steps are renumbered


class FlowForm(forms.ModelForm):
    """The flow's fields; its tags typed as words ("smoke, checkout")."""

    tags_text = forms.CharField(
        label="Tags",
        required=False,
        help_text="Separated by commas or spaces; lower case letters, digits, '-', '_', '.'. "
        "Batches and schedules pick flows by tag.",
    )

    class Meta:
        model = Flow
        fields = ["name", "platform", "app_id"]

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.initial["tags_text"] = ", ".join(self.instance.tag_names())

    def clean_tags_text(self) -> tuple[str, ...]:
        tags, problem = parse_tags(self.cleaned_data.get("tags_text", ""))
        if problem:
            raise ValidationError(problem)
        return tags


class StepInline(admin.TabularInline):
    """The steps, one row each: its fields by its action (flows/step_form.py), moved
    up and down, added and removed in the page (flows/static/flows/step_editor.js)."""

    model = Step
    form = StepForm
    extra = 0
    ordering = ["number"]
    template = "admin/flows/flow/step_editor.html"

    class Media:
        js = ["flows/step_editor.js"]
        css = {"all": ["flows/step_editor.css"]}


def count_of(queryset: QuerySet) -> Subquery:
    return Subquery(
        queryset.order_by().values("flow").annotate(n=Count("pk")).values("n"),
        output_field=IntegerField(),
    )


def playable_devices(flow: Flow) -> QuerySet[Device]:
    """The enabled devices of the flow's platform: what Play and Verify offer."""
    return Device.objects.filter(platform=flow.platform, enabled=True).order_by("device_id")


class PlayForm(RunSettingsForm):
    """A device of the flow's platform, and the run's settings."""

    device = forms.ModelChoiceField(queryset=Device.objects.none())
    queue_if_unreachable = forms.BooleanField(
        required=False,
        label="Queue even if the device does not answer",
        help_text="Otherwise a device whose Appium does not answer is refused at once.",
    )
    field_order = ["device"]

    def __init__(self, *args: Any, flow: Flow, **kwargs: Any):
        super().__init__(*args, **kwargs)
        devices = playable_devices(flow)
        self.fields["device"].queryset = devices
        fitting = list(devices.values_list("pk", flat=True)[:2])
        if len(fitting) == 1:  # the one device that fits is the choice already made
            self.fields["device"].initial = fitting[0]
            self.fields["device"].empty_label = None
        self.order_fields(self.field_order)


class VerifyForm(forms.Form):
    """Play the flow N times on a device of its platform (playback/verify.py)."""

    device = forms.ModelChoiceField(queryset=Device.objects.none(), empty_label=None)
    times = forms.IntegerField(min_value=1, max_value=verify.MAX_TIMES, initial=20)

    def __init__(self, *args: Any, flow: Flow, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["device"].queryset = playable_devices(flow)


@admin.register(Flow)
class FlowAdmin(MaestroAdmin, admin.ModelAdmin):
    list_display = [
        "name",
        "platform",
        "tag_list",
        "app_id",
        "step_count",
        "last_run",
        "pass_rate",
        "recent_results",
    ]
    list_filter = ["platform", ("tags", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["name", "app_id"]
    form = FlowForm
    inlines = [StepInline]
    readonly_fields = ["recent_runs", "failures", "trends", "created_at", "updated_at"]
    fields = [
        "name",
        "platform",
        "app_id",
        "tags_text",
        "recent_runs",
        "failures",
        "trends",
        "created_at",
        "updated_at",
    ]
    actions = ["play_on_device"]

    class Media:
        css = {"all": ["playback/admin.css"]}

    def get_queryset(self, request: HttpRequest) -> QuerySet[Flow]:
        runs = Run.objects.filter(flow=OuterRef("pk"))
        return (
            super()
            .get_queryset(request)
            .prefetch_related("tags")
            .annotate(
                n_steps=count_of(Step.objects.filter(flow=OuterRef("pk"))),
                last_status=Subquery(runs.order_by("-queued_at", "-pk").values("status")[:1]),
                window_runs=Subquery(
                    FlowWindow.objects.filter(flow=OuterRef("pk"), scope="").values("runs")[:1],
                    output_field=JSONField(),
                ),
            )
        )

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        if formset.model is Step:
            # Steps moved up or down swap numbers, which are unique in a flow: the
            # moved (and the removed) rows step aside first, then take their places.
            aside = [
                f.instance.pk
                for f in formset.initial_forms
                if f.instance.pk and ("number" in f.changed_data or formset._should_delete_form(f))
            ]
            Step.objects.filter(pk__in=aside).update(number=F("number") + STEPS_ASIDE)
        super().save_formset(request, form, formset, change)

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        form.instance.set_tags(form.cleaned_data["tags_text"])

    @admin.display(description="tags")
    def tag_list(self, flow: Flow) -> str:
        return ", ".join(flow.tag_names()) or "-"

    @admin.display(description="recent results")
    def recent_results(self, flow: Flow) -> str:
        runs = (flow.window_runs or [])[-SPARK_RUNS:]
        if not runs:
            return "-"
        return charts.sparkline(
            [(run_id, status) for run_id, status in runs],
            label=f"{flow.name}: the last {len(runs)} results",
        )

    @admin.display(description="failures")
    def failures(self, flow: Flow) -> str:
        """The failure groups of its last runs, with what people decided they are."""
        groups = flow_failure_groups(flow.pk) if flow.pk else []
        return render_to_string("admin/flows/flow/failures.html", {"groups": groups})

    @admin.display(description="trends")
    def trends(self, flow: Flow) -> str:
        return trends.flow_trends(flow) if flow.pk else "-"

    @admin.display(description="steps", ordering="n_steps")
    def step_count(self, flow: Flow) -> int:
        return flow.n_steps or 0

    @admin.display(description="last run")
    def last_run(self, flow: Flow) -> str:
        return display.badge(flow.last_status) if flow.last_status else "-"

    @admin.display(description="pass rate")
    def pass_rate(self, flow: Flow) -> str:
        """Over its last finished runs (up to the insights' largest window): its rollup,
        not a count of every run it ever had."""
        runs = flow.window_runs or []
        if not runs:
            return "-"
        passed = sum(1 for _, status in runs if status == words.RunStatus.SUCCESS)
        return f"{100 * passed / len(runs):.0f}% of {len(runs)}"

    @admin.display(description="last runs")
    def recent_runs(self, flow: Flow) -> str:
        if flow.pk is None:
            return "-"
        runs = list(
            Run.objects.filter(flow=flow)
            .select_related("device")
            .order_by("-queued_at", "-pk")[:10]
        )
        recent = Run.objects.filter(flow=flow, status__in=words.FINISHED_RUN_STATUSES).order_by(
            "-queued_at"
        )[:50]
        stats = Run.objects.filter(pk__in=recent.values("pk")).aggregate(
            finished=Count("pk"), success=Count("pk", filter=Q(status=words.RunStatus.SUCCESS))
        )
        rate = (
            f"Pass rate of the last {stats['finished']} finished runs: "
            f"{100 * stats['success'] / stats['finished']:.0f}%."
            if stats["finished"]
            else "No finished runs yet."
        )
        return render_to_string(
            "admin/flows/flow/recent_runs.html",
            {"flow": flow, "rate": rate, "runs": display.runs_table(runs, show="device")},
        )

    # --- playing a flow from the admin --------------------------------------------------
    def get_urls(self):
        return [
            path(
                "<id:flow_id>/play/",
                self.admin_site.admin_view(self.play_view),
                name="flows_flow_play",
            ),
            path(
                "<id:flow_id>/verify/",
                self.admin_site.admin_view(self.verify_view),
                name="flows_flow_verify",
            ),
            *super().get_urls(),
        ]

    @admin.action(description="Play the selected flow on a device")
    def play_on_device(self, request: HttpRequest, queryset: QuerySet[Flow]) -> HttpResponse | None:
        flows = list(queryset[:2])
        if len(flows) != 1:
            self.message_user(request, "Select exactly one flow to play.", messages.WARNING)
            return None
        return HttpResponseRedirect(reverse("admin:flows_flow_play", args=[flows[0].pk]))

    def verify_view(self, request: HttpRequest, flow_id: int) -> HttpResponse:
        """Verify a fix: the flow N times on one device; a clean verify of 10 or more
        lifts its quarantines."""
        if not request.user.has_perm(display.RUN_PERMISSION):
            raise PermissionDenied("You may not start runs.")
        flow = get_object_or_404(Flow, pk=flow_id)
        form = VerifyForm(request.POST or None, flow=flow)
        if request.method == "POST" and form.is_valid():
            try:
                batch = verify.start(
                    flow=flow,
                    device_id=form.cleaned_data["device"].device_id,
                    times=form.cleaned_data["times"],
                    requested_by=request.user,
                    requested_from="verify (admin)",
                )
            except services.RunRequestError as exc:
                for message in exc.errors.values():
                    form.add_error(None, str(message))
            else:
                self.message_user(request, f"Verify queued: batch #{batch.pk}.")
                return HttpResponseRedirect(reverse("admin:playback_batch_change", args=[batch.pk]))
        context = {
            **self.admin_site.each_context(request),
            "title": f"Verify {flow.name}",
            "flow": flow,
            "form": form,
            "opts": Flow._meta,
            "quarantines": quarantines.applying().filter(flow=flow),
            "lift_at": verify.LIFT_AT,
        }
        return TemplateResponse(request, "admin/flows/flow/verify.html", context)

    def play_view(self, request: HttpRequest, flow_id: int) -> HttpResponse:
        if not request.user.has_perm(display.RUN_PERMISSION):
            raise PermissionDenied("You may not start runs.")
        flow = get_object_or_404(Flow, pk=flow_id)
        form = PlayForm(request.POST or None, flow=flow)
        if request.method == "POST" and form.is_valid():
            try:
                run = services.start_run(
                    flow=flow,
                    device=form.cleaned_data["device"],
                    settings=form.run_settings(),
                    requested_by=request.user,
                    if_unreachable=(
                        "queue" if form.cleaned_data["queue_if_unreachable"] else "refuse"
                    ),
                )
            except services.DeviceUnreachable as exc:
                form.add_error("device", exc.problem)
            except services.RunRequestError as exc:
                form.add_settings_errors(exc.errors.pop("settings", {}))
                for message in exc.errors.values():
                    form.add_error(None, message)
            else:
                self.message_user(request, f"Run #{run.pk} of {flow.name} queued.")
                return HttpResponseRedirect(reverse("admin:playback_run_change", args=[run.pk]))
        context = {
            **self.admin_site.each_context(request),
            "title": f"Play {flow.name}",
            "flow": flow,
            "form": form,
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/flows/flow/play.html", context)
