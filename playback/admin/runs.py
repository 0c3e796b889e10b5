"""Runs in the admin: what failed, where, and why, on thousands of runs.

Every page costs a fixed number of queries: list columns read the run's own
counters and prefetched rows, never per-row queries. HTML is in templates
(templates/admin/playback/), shared pieces in `playback.admin.display`.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.views.main import ChangeList
from django.core.cache import cache
from django.db.models import Q, QuerySet
from django.http import HttpRequest
from django.urls import path
from django.utils.timezone import localtime
from django.views.decorators.http import require_POST

from flows.models import Flow
from playback import evidence, services, words
from playback.admin import display, video
from playback.admin.filters import (
    BatchFilter,
    FailureGroupFilter,
    HasFlakyStepsFilter,
    MarkerFilter,
    OutcomeFilter,
)
from playback.admin.history import HistoryAdmin
from playback.admin.insights import ComparePages, last_passing_run
from playback.admin.run_actions import RunActions
from playback.admin.steps import StepPages, StepResultInline
from playback.insights import windows
from playback.models import Device, Run
from playback.runs import search


class RunChangeList(ChangeList):
    def get_filters(self, request: HttpRequest):
        # Django's date hierarchy computes the end of year 9999 (or of month 9999-12)
        # and overflows: that is a wrong filter ("?e=1"), not an error.
        try:
            return super().get_filters(request)
        except (ValueError, OverflowError) as exc:
            raise IncorrectLookupParameters(exc) from exc

    def get_queryset(self, request: HttpRequest, exclude_parameters: Any = None) -> QuerySet[Run]:
        queryset = super().get_queryset(request, exclude_parameters)
        return queryset.select_related(None).prefetch_related("flow", "device", "requested_by")


def waited_s(run: Run) -> float | None:
    return (run.started_at - run.queued_at).total_seconds() if run.started_at else None


@admin.register(Run)
class RunAdmin(RunActions, StepPages, ComparePages, HistoryAdmin):
    # Status and flow first: on a phone they are what shows without scrolling.
    list_display = [
        "status_badge",
        "flow",
        "id",
        "device",
        "steps",
        "duration",
        "queued",
        "requested",
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
        MarkerFilter,
        FailureGroupFilter,
        BatchFilter,
        # Every flow and device (small tables), not "those with runs": that is a
        # DISTINCT over every run on each load (35 ms each at 100,000 runs on PostgreSQL).
        "flow",
        "device",
        "device__platform",
    ]
    # The search box finds a run by its id, its flow's name, its device's id and any
    # error it holds, its steps' included (get_search_results, playback/runs/search.py).
    search_fields = ["=id"]
    search_help_text = "A run's id, a flow's name, a device's id, or words of any error."
    date_hierarchy = "queued_at"
    ordering = ["-queued_at", "-id"]
    show_full_result_count = False
    list_per_page = 50
    actions = ["rerun_selected", "rerun_failed", "rerun_with_settings", "cancel_selected"]
    inlines = [StepResultInline]
    fieldsets = [
        (
            None,
            {
                "fields": [
                    "flow",
                    "device",
                    "state",
                    "step_summary",
                    "error_text",
                    "video_player",
                    "screenshots",
                    "links",
                ]
            },
        ),
        ("Settings used", {"fields": ["settings_table"]}),
        ("Timeline", {"fields": ["timeline", "requested", "rerun_of_link", "reruns"]}),
    ]
    readonly_fields = [
        "flow",
        "device",
        "state",
        "reruns",
        "requested",
        "step_summary",
        "error_text",
        "video_player",
        "screenshots",
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

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[Run], search_term: str
    ) -> tuple[QuerySet[Run], bool]:
        words = search_term.strip()
        if not words:
            return queryset, False
        # Flows and devices are small tables: their matching ids first, and only the
        # conditions that can match (an OR with nothing in it keeps PostgreSQL from
        # answering the words from its text index).
        found = search.holding(words)
        flows = list(Flow.objects.filter(name__icontains=words).values_list("pk", flat=True))
        if flows:
            found |= Q(flow_id__in=flows)
        devices = Device.objects.filter(device_id__icontains=words).values_list("pk", flat=True)
        if devices := list(devices):
            found |= Q(device_id__in=devices)
        if words.isdigit() and len(words) <= 18:
            found |= Q(pk=int(words))
        return queryset.filter(found), False

    def get_changelist(self, request: HttpRequest, **kwargs: Any) -> type[ChangeList]:
        return RunChangeList

    def get_paginator(self, request: HttpRequest, queryset: Any, per_page: int, *args, **kw):
        if key := windows.only_failure_group(request.GET, {"p", "o"}):  # count from its index
            return windows.KnownCountPaginator(
                queryset, per_page, count=windows.failure_group_count(key)
            )
        return super().get_paginator(request, queryset, per_page, *args, **kw)

    # --- columns ----------------------------------------------------------------------
    @admin.display(description="status", ordering="status")
    def status_badge(self, run: Run) -> str:
        return display.badge(run.status) + display.markers(run)

    @admin.display(description=display.COUNTS_HEADER)
    def steps(self, run: Run) -> str:
        return display.step_counts(run)

    @admin.display(description=display.COUNTS_HEADER)
    def step_summary(self, run: Run) -> str:
        first_failure = (
            run.step_results.filter(status=words.StepStatus.FAIL)
            .order_by("step_number")
            .values_list("step_number", flat=True)
            .first()
        )
        counts = display.step_counts(run)
        return display.part("steps_summary", counts=counts, first_failure=first_failure)

    @admin.display(description="status")
    def state(self, run: Run) -> str:
        done = sum(run.step_tally().values())
        return display.part(
            "run_state",
            run=run,
            badge=display.badge(run.status) + display.markers(run),
            done=done,
            waiting=services.why_waiting(run),
        )

    @admin.display(description="re-run as")
    def reruns(self, run: Run) -> str:
        ids = list(run.reruns.order_by("pk").values_list("pk", flat=True))
        return display.part("run_links", ids=ids)

    @admin.display(description="requested by")
    def requested(self, run: Run) -> str:
        return display.requested_by(run)

    @admin.display(description="duration", ordering="duration_ms")
    def duration(self, run: Run) -> str:
        return display.seconds(run.duration_ms)

    @admin.display(description="queued / started", ordering="queued_at")
    def queued(self, run: Run) -> str:
        queued = localtime(run.queued_at).strftime("%Y-%m-%d %H:%M:%S")
        return display.part("queued", queued=queued, waited=waited_s(run))

    @admin.display(description="re-run of", ordering="rerun_of")
    def rerun_of_link(self, run: Run) -> str:
        return display.run_link(run.rerun_of_id)

    @admin.display(description="error")
    def error_text(self, run: Run) -> str:
        return display.part("error_text", error=run.error)

    @admin.display(description="screenshots")
    def screenshots(self, run: Run) -> str:
        return display.part("media", run=run)

    @admin.display(description="video")
    def video_player(self, run: Run) -> str:
        return display.part(
            "video",
            run=run,
            player=video.player(run),
            policy=run.settings.record_video,
            simulated=run.device.platform == words.Platform.SIM,
        )

    @admin.display(description="see also")
    def links(self, run: Run) -> str:
        passing = None
        if run.status in words.NOT_PASSED_RUN_STATUSES or run.flaky_steps:
            passing = last_passing_run(run)
        return display.part("api_link", run_id=run.pk, compare=passing)

    @admin.display(description="settings")
    def settings_table(self, run: Run) -> str:
        return display.part("settings_table", rows=display.settings_rows(run.settings))

    @admin.display(description="timeline")
    def timeline(self, run: Run) -> str:
        ran = (
            (run.finished_at - run.started_at).total_seconds()
            if run.started_at and run.finished_at
            else None
        )
        return display.part("timeline", run=run, waited=waited_s(run), ran=ran)

    # --- the run page's own views ----------------------------------------------------
    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path(
                "<id:run_id>/rerun/",
                view(require_POST(self.rerun_view)),
                name="playback_run_rerun",
            ),
            path(
                "<id:run_id>/rerun/settings/",
                view(self.rerun_settings_view),
                name="playback_run_rerun_settings",
            ),
            path(
                "<id:run_id>/cancel/",
                view(require_POST(self.cancel_view)),
                name="playback_run_cancel",
            ),
            path(
                "<id:run_id>/steps/<id:step>/",
                view(self.step_view),
                name="playback_run_step",
            ),
            path(
                "<id:run_id>/steps/<id:step>/thumbnail/",
                view(self.thumbnail_view),
                name="playback_run_thumbnail",
            ),
            path(
                "<id:run_id>/steps/<id:step>/screenshot/",
                view(self.screenshot_view),
                name="playback_run_screenshot",
            ),
            path(
                "<id:run_id>/steps/<id:step>/attempts/<id:attempt>/<str:kind>/",
                view(self.attempt_view),
                name="playback_run_attempt",
            ),
            path(
                "<id:run_id>/compare/<id:other_id>/",
                view(self.compare_view),
                name="playback_run_compare",
            ),
            *super().get_urls(),
        ]

    def changelist_view(self, request, extra_context=None):
        # Summing 100,000 runs costs ~25 ms: the list shows a total up to a minute old.
        storage = cache.get_or_set("playback:media-totals", evidence.media_totals, 60)
        extra_context = {**(extra_context or {}), "storage": storage}
        return super().changelist_view(request, extra_context)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = {
            **(extra_context or {}),
            "can_rerun": self.has_rerun_permission(request),
            "can_cancel": self.has_cancel_permission(request),
        }
        return super().change_view(request, object_id, form_url, extra_context)
