"""The run history for QA leads: what failed, where, and why, on thousands of runs.

Every page costs a fixed number of queries: list columns read the run's own
counters and `select_related` rows, never per-row queries.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.contrib import admin, messages
from django.contrib.admin.views.main import ChangeList
from django.db.models import OuterRef, QuerySet, Subquery
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.timezone import localtime
from django.views.decorators.http import require_POST

from playback import services, thumbnails
from playback.models import Device, Run, StepResult

RERUNNABLE = (Run.Status.FAILED, Run.Status.PARTIAL_SUCCESS, Run.Status.ERROR)
# More room for the runs list: the app list is one click away on the home page.
admin.site.enable_nav_sidebar = False
admin.site.site_header = "Playback"
admin.site.site_title = "Playback admin"
admin.site.index_title = "Run history, flows and devices"
STEP_SYMBOLS = (
    ("pass", "✓", "passed"),
    ("flaky", "~", "flaky"),
    ("fail", "✗", "failed"),
    ("skipped", "»", "skipped"),
    ("blocked", "⊘", "blocked"),
)


def badge(status: str, label: str | None = None) -> str:
    return format_html('<span class="pb-badge pb-{}">{}</span>', status, label or status)


def run_link(run_id: int | None) -> str:
    if run_id is None:
        return "-"
    return format_html(
        '<a href="{}">#{}</a>', reverse("admin:playback_run_change", args=[run_id]), run_id
    )


def step_counts(run: Run) -> str:
    counts = {
        "pass": run.successful_steps - run.flaky_steps,
        "flaky": run.flaky_steps,
        "fail": run.failed_steps,
        "skipped": run.skipped_steps,
        "blocked": run.blocked_steps,
    }
    return format_html(
        '<span class="pb-counts" title="pass / flaky / fail / skipped / blocked">{}</span>',
        format_html_join(
            " ",
            '<span class="pb-count pb-{}" title="{} {}">{}{}</span>',
            ((key, counts[key], word, symbol, counts[key]) for key, symbol, word in STEP_SYMBOLS),
        ),
    )


def when(moment: datetime | None) -> str:
    return "-" if moment is None else localtime(moment).strftime("%Y-%m-%d %H:%M:%S.%f")[:-3]


def seconds(ms: int | None) -> str:
    return "-" if ms is None else f"{ms / 1000:.1f} s"


def runs_table(runs: list[Run]) -> str:
    """A small table of runs (for a flow's or a device's page)."""
    if not runs:
        return "No runs yet."
    rows = format_html_join(
        "",
        "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
        (
            (
                run_link(run.pk),
                badge(run.status),
                step_counts(run),
                run.device.device_id if hasattr(run, "device") else "",
                when(run.queued_at),
                seconds(run.duration_ms),
            )
            for run in runs
        ),
    )
    return format_html(
        '<table class="pb-runs"><thead><tr><th>Run</th><th>Status</th><th>Steps</th>'
        "<th>Device</th><th>Queued</th><th>Duration</th></tr></thead><tbody>{}</tbody></table>",
        rows,
    )


class OutcomeFilter(admin.SimpleListFilter):
    """What a QA lead asks first: did it pass?"""

    title = "outcome"
    parameter_name = "outcome"
    GROUPS = {
        "passed": ("Passed", [Run.Status.SUCCESS]),
        "not_passed": ("Did not pass (failed, partial, error)", list(RERUNNABLE)),
        "active": ("Queued or running", list(Run.ACTIVE_STATUSES)),
        "cancelled": ("Cancelled", [Run.Status.CANCELLED]),
    }

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [(key, label) for key, (label, _) in self.GROUPS.items()]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Run]) -> QuerySet[Run]:
        if self.value() in self.GROUPS:
            return queryset.filter(status__in=self.GROUPS[self.value()][1])
        return queryset


class HasFlakyStepsFilter(admin.SimpleListFilter):
    title = "flaky steps"
    parameter_name = "flaky"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [("yes", "Has flaky steps"), ("no", "No flaky steps")]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Run]) -> QuerySet[Run]:
        if self.value() == "yes":
            return queryset.filter(flaky_steps__gt=0)
        if self.value() == "no":
            return queryset.filter(flaky_steps=0)
        return queryset


class RunChangeList(ChangeList):
    def get_queryset(self, request: HttpRequest, exclude_parameters: Any = None) -> QuerySet[Run]:
        queryset = super().get_queryset(request, exclude_parameters)
        return queryset.select_related(None).prefetch_related("flow", "device", "requested_by")


class StepResultInline(admin.TabularInline):
    model = StepResult
    extra = 0
    max_num = 0
    can_delete = False
    ordering = ["step_number"]
    fields = ["step_number", "action", "status_badge", "attempts", "duration", "errors", "shot"]
    readonly_fields = fields

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description="status")
    def status_badge(self, result: StepResult) -> str:
        return badge(result.status)

    @admin.display(description="duration")
    def duration(self, result: StepResult) -> str:
        return f"{result.duration_ms} ms"

    @admin.display(description="error")
    def errors(self, result: StepResult) -> str:
        attempts = format_html_join(
            "",
            "<li>attempt {}: {}</li>",
            ((i, error) for i, error in enumerate(result.attempt_errors or [], start=1)),
        )
        shot_error = (
            format_html('<div class="pb-muted">screenshot: {}</div>', result.screenshot_error)
            if result.screenshot_error
            else ""
        )
        return format_html(
            '<div class="pb-errtext">{}</div><ul class="pb-attempts">{}</ul>{}',
            result.error or "",
            attempts,
            shot_error,
        )

    @admin.display(description="screenshot")
    def shot(self, result: StepResult) -> str:
        if not result.screenshot:
            return "-"
        kwargs = {"run_id": result.run_id, "step": result.step_number}
        return format_html(
            '<a href="{}" target="_blank" class="pb-shot"><img src="{}" alt="step {} screenshot"'
            ' loading="lazy"></a>',
            reverse("admin:playback_run_screenshot", kwargs=kwargs),
            reverse("admin:playback_run_thumbnail", kwargs=kwargs),
            result.step_number,
        )


@admin.register(Run)
class RunAdmin(admin.ModelAdmin):
    list_display = [
        "id",
        "flow",
        "device",
        "status_badge",
        "steps",
        "duration",
        "queued",
        "requested_by",
        "rerun_of_link",
    ]
    list_display_links = ["id", "flow"]
    # No joins in the page query: SQLite would then scan and sort every run instead
    # of walking the queued_at index. The page's flows, devices and users come in
    # three small IN queries (RunChangeList).
    list_select_related = ()
    list_filter = [
        OutcomeFilter,
        "status",
        HasFlakyStepsFilter,
        ("flow", admin.RelatedOnlyFieldListFilter),
        ("device", admin.RelatedOnlyFieldListFilter),
        "device__platform",
    ]
    search_fields = ["flow__name", "device__device_id", "error", "=id"]
    date_hierarchy = "queued_at"
    ordering = ["-queued_at", "-id"]
    show_full_result_count = False
    list_per_page = 50
    actions = ["rerun_selected", "rerun_failed", "cancel_selected"]
    inlines = [StepResultInline]
    fieldsets = [
        (None, {"fields": ["flow", "device", "status_badge", "steps", "error_text", "links"]}),
        ("Settings used", {"fields": ["settings_table"]}),
        ("Timeline", {"fields": ["timeline", "requested_by", "rerun_of_link"]}),
    ]
    readonly_fields = [
        "flow",
        "device",
        "status_badge",
        "steps",
        "error_text",
        "links",
        "settings_table",
        "timeline",
        "requested_by",
        "rerun_of_link",
    ]

    class Media:
        css = {"all": ["playback/admin.css"]}

    def get_queryset(self, request: HttpRequest) -> QuerySet[Run]:
        return super().get_queryset(request).select_related("flow", "device", "requested_by")

    def get_changelist(self, request: HttpRequest, **kwargs: Any) -> type[ChangeList]:
        return RunChangeList

    # --- permissions: history is read-only ------------------------------------------
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_rerun_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("playback.add_run")

    def has_cancel_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("playback.add_run")

    # --- columns ----------------------------------------------------------------------
    @admin.display(description="status", ordering="status")
    def status_badge(self, run: Run) -> str:
        return badge(run.status, run.get_status_display())

    @admin.display(description="steps ✓ ~ ✗ » ⊘")
    def steps(self, run: Run) -> str:
        return step_counts(run)

    @admin.display(description="duration", ordering="duration_ms")
    def duration(self, run: Run) -> str:
        return seconds(run.duration_ms)

    @admin.display(description="queued / started", ordering="queued_at")
    def queued(self, run: Run) -> str:
        started = (
            f"started after {(run.started_at - run.queued_at).total_seconds():.1f} s"
            if run.started_at
            else "not started"
        )
        return format_html(
            '{}<div class="pb-muted">{}</div>',
            localtime(run.queued_at).strftime("%Y-%m-%d %H:%M:%S"),
            started,
        )

    @admin.display(description="re-run of", ordering="rerun_of")
    def rerun_of_link(self, run: Run) -> str:
        return run_link(run.rerun_of_id)

    @admin.display(description="error")
    def error_text(self, run: Run) -> str:
        return format_html('<pre class="pb-errtext">{}</pre>', run.error) if run.error else "-"

    @admin.display(description="see also")
    def links(self, run: Run) -> str:
        return format_html(
            '<a href="{}">this run in the API</a>',
            reverse("playback:run-detail", kwargs={"pk": run.pk}),
        )

    @admin.display(description="settings")
    def settings_table(self, run: Run) -> str:
        return format_html(
            '<table class="pb-settings">{}</table>',
            format_html_join(
                "", "<tr><th>{}</th><td>{}</td></tr>", sorted((run.settings or {}).items())
            ),
        )

    @admin.display(description="timeline")
    def timeline(self, run: Run) -> str:
        waited = (
            f" (waited {(run.started_at - run.queued_at).total_seconds():.1f} s)"
            if run.started_at
            else ""
        )
        took = (
            f" (ran {(run.finished_at - run.started_at).total_seconds():.1f} s)"
            if run.started_at and run.finished_at
            else ""
        )
        return format_html(
            '<ol class="pb-timeline"><li>queued {}</li><li>started {}{}</li>'
            "<li>finished {}{}</li></ol>",
            when(run.queued_at),
            when(run.started_at),
            waited,
            when(run.finished_at),
            took,
        )

    # --- actions ----------------------------------------------------------------------
    def _rerun(self, request: HttpRequest, runs: list[Run], left_out: list[str]) -> None:
        queued, refused = [], []
        for run in sorted(runs, key=lambda r: r.pk):  # re-queue in their original order
            try:
                queued.append(services.rerun(run=run, requested_by=request.user))
            except services.RunRequestError as exc:
                refused.append(f"#{run.pk} ({'; '.join(map(str, exc.errors.values()))})")
        if queued:
            self.message_user(
                request,
                f"Queued {len(queued)} re-run(s): "
                + ", ".join(f"#{r.pk} of #{r.rerun_of_id}" for r in queued)
                + ".",
                messages.SUCCESS,
            )
        if left_out or refused:
            self.message_user(
                request, "Left out: " + "; ".join(left_out + refused) + ".", messages.WARNING
            )

    @admin.action(description="Re-run selected runs", permissions=["rerun"])
    def rerun_selected(self, request: HttpRequest, queryset: QuerySet[Run]) -> None:
        self._rerun(request, list(queryset.select_related("flow", "device")), [])

    @admin.action(
        description="Re-run failed runs (failed, partial success, error)", permissions=["rerun"]
    )
    def rerun_failed(self, request: HttpRequest, queryset: QuerySet[Run]) -> None:
        runs = list(queryset.select_related("flow", "device"))
        failed = [run for run in runs if run.status in RERUNNABLE]
        left_out = [
            f"#{run.pk} ({run.get_status_display().lower()}, not failed)"
            for run in runs
            if run.status not in RERUNNABLE
        ]
        self._rerun(request, failed, left_out)

    @admin.action(description="Cancel selected queued/running runs", permissions=["cancel"])
    def cancel_selected(self, request: HttpRequest, queryset: QuerySet[Run]) -> None:
        done, left_out = [], []
        for run in queryset.select_related("flow"):
            try:
                services.cancel_run(run=run)
                done.append(f"#{run.pk}")
            except services.RunConflict:
                left_out.append(f"#{run.pk} (already {run.status})")
        if done:
            self.message_user(request, f"Cancelled {len(done)}: {', '.join(done)}.")
        if left_out:
            self.message_user(request, "Left out: " + "; ".join(left_out) + ".", messages.WARNING)

    # --- the run page's own views ----------------------------------------------------
    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path(
                "<int:run_id>/rerun/",
                view(require_POST(self.rerun_view)),
                name="playback_run_rerun",
            ),
            path(
                "<int:run_id>/cancel/",
                view(require_POST(self.cancel_view)),
                name="playback_run_cancel",
            ),
            path(
                "<int:run_id>/steps/<int:step>/thumbnail/",
                view(self.thumbnail_view),
                name="playback_run_thumbnail",
            ),
            path(
                "<int:run_id>/steps/<int:step>/screenshot/",
                view(self.screenshot_view),
                name="playback_run_screenshot",
            ),
            *super().get_urls(),
        ]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = {
            **(extra_context or {}),
            "can_rerun": self.has_rerun_permission(request),
            "can_cancel": self.has_cancel_permission(request),
        }
        return super().change_view(request, object_id, form_url, extra_context)

    def _redirect_to(self, run_id: int) -> HttpResponseRedirect:
        return HttpResponseRedirect(reverse("admin:playback_run_change", args=[run_id]))

    def rerun_view(self, request: HttpRequest, run_id: int) -> HttpResponse:
        run = get_object_or_404(Run.objects.select_related("flow", "device"), pk=run_id)
        if not self.has_rerun_permission(request):
            self.message_user(request, "You may not start runs.", messages.ERROR)
            return self._redirect_to(run.pk)
        try:
            new = services.rerun(run=run, requested_by=request.user)
        except services.RunRequestError as exc:
            self.message_user(
                request,
                "Not re-run: " + "; ".join(map(str, exc.errors.values())),
                messages.ERROR,
            )
            return self._redirect_to(run.pk)
        self.message_user(request, f"Run #{new.pk} queued (a re-run of #{run.pk}).")
        return self._redirect_to(new.pk)

    def cancel_view(self, request: HttpRequest, run_id: int) -> HttpResponse:
        run = get_object_or_404(Run.objects.select_related("flow"), pk=run_id)
        if not self.has_cancel_permission(request):
            self.message_user(request, "You may not cancel runs.", messages.ERROR)
        else:
            try:
                services.cancel_run(run=run)
                self.message_user(request, f"Run #{run.pk} cancelled.")
            except services.RunConflict as exc:
                self.message_user(request, str(exc), messages.WARNING)
        return self._redirect_to(run.pk)

    def _image(self, request: HttpRequest, run_id: int, step: int, make) -> HttpResponse:
        if not self.has_view_permission(request):
            return HttpResponse(status=403)
        result = StepResult.objects.filter(run_id=run_id, step_number=step).first()
        data = make(result) if result is not None else thumbnails.placeholder_png()
        response = HttpResponse(data, content_type="image/png")
        response["Cache-Control"] = "private, max-age=3600"
        return response

    def thumbnail_view(self, request: HttpRequest, run_id: int, step: int) -> HttpResponse:
        return self._image(request, run_id, step, thumbnails.thumbnail_png)

    def screenshot_view(self, request: HttpRequest, run_id: int, step: int) -> HttpResponse:
        return self._image(request, run_id, step, thumbnails.screenshot_png)


def last_run_status() -> Subquery:
    return Subquery(
        Run.objects.filter(device=OuterRef("pk")).order_by("-queued_at", "-pk").values("status")[:1]
    )


@admin.register(Device)
class DeviceAdmin(admin.ModelAdmin):
    list_display = ["device_id", "name", "platform", "appium_url", "enabled", "state", "last_run"]
    list_filter = ["platform", "enabled"]
    search_fields = ["device_id", "name", "appium_url"]
    readonly_fields = ["state", "recent_runs", "created_at"]
    fields = [
        "device_id",
        "name",
        "platform",
        "appium_url",
        "capabilities",
        "enabled",
        "state",
        "recent_runs",
        "created_at",
    ]
    actions = ["enable", "disable"]

    class Media:
        css = {"all": ["playback/admin.css"]}

    def get_queryset(self, request: HttpRequest) -> QuerySet[Device]:
        return super().get_queryset(request).annotate(last_run_status=last_run_status())

    @admin.display(description="now")
    def state(self, device: Device) -> str:
        if device.current_run_id is None:
            return badge("free")
        return format_html("{} {}", badge("running", "busy"), run_link(device.current_run_id))

    @admin.display(description="last run")
    def last_run(self, device: Device) -> str:
        status = getattr(device, "last_run_status", None)
        return badge(status) if status else "-"

    @admin.display(description="last runs")
    def recent_runs(self, device: Device) -> str:
        if device.pk is None:
            return "-"
        runs = list(
            Run.objects.filter(device=device).select_related("device").order_by("-queued_at")[:10]
        )
        return runs_table(runs)

    @admin.action(description="Enable selected devices")
    def enable(self, request: HttpRequest, queryset: QuerySet[Device]) -> None:
        self.message_user(request, f"Enabled {queryset.update(enabled=True)} device(s).")

    @admin.action(description="Disable selected devices")
    def disable(self, request: HttpRequest, queryset: QuerySet[Device]) -> None:
        self.message_user(request, f"Disabled {queryset.update(enabled=False)} device(s).")
