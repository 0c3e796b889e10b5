import re

from django.urls import re_path
from rest_framework.routers import SimpleRouter

from playback.api import (
    batch_views,
    event_views,
    insights_views,
    media_views,
    quarantine_views,
    report_views,
    triage_views,
    views,
    visual_views,
)
from playback.http.ids import ID_PATTERN
from playback.reports.formats import FORMATS, KINDS, output, route_name

app_name = "playback"

router = SimpleRouter()
router.register("playback/runs", views.RunViewSet, basename="run")
router.register("playback/batches", batch_views.BatchViewSet, basename="batch")
router.register("devices", views.DeviceViewSet, basename="device")

urlpatterns = [
    # The documented path has no trailing slash; both spellings work.
    # Waiting (?wait, events) happens on the event loop: event_views.
    re_path(r"^playback/start/?$", event_views.waits(views.StartRunView.as_view()), name="start"),
    re_path(
        rf"^playback/runs/(?P<pk>{ID_PATTERN})/rerun/?$",
        event_views.waits(views.RunViewSet.as_view({"post": "rerun"})),
        name="run-rerun",
    ),
    re_path(
        rf"^playback/runs/(?P<pk>{ID_PATTERN})/events/?$", event_views.run_events, name="run-events"
    ),
    re_path(
        rf"^playback/batches/(?P<pk>{ID_PATTERN})/events/?$",
        event_views.batch_events,
        name="batch-events",
    ),
    re_path(r"^playback/media/?$", media_views.MediaView.as_view(), name="media"),
    *(
        re_path(
            rf"^playback/runs/(?P<run_id>{ID_PATTERN})/steps/(?P<step>[0-9]{{1,6}})"
            + (r"/attempts/(?P<attempt>[0-9]{1,2})" if attempt else "")
            + f"/visual/{kind}$",
            visual_views.step_visual_view(kind, attempt=attempt).as_view(),
            name=f"step{'-attempt' if attempt else ''}-visual-{kind}",
        )
        for kind in visual_views.VISUAL_KINDS
        for attempt in (False, True)
    ),
    re_path(r"^baselines/?$", visual_views.BaselinesView.as_view(), name="baselines"),
    re_path(
        rf"^baselines/(?P<id>{ID_PATTERN})/?$", visual_views.BaselineView.as_view(), name="baseline"
    ),
    re_path(
        rf"^baselines/(?P<id>{ID_PATTERN})/approve/?$",
        visual_views.ApproveBaselineView.as_view(),
        name="baseline-approve",
    ),
    re_path(
        rf"^baselines/(?P<id>{ID_PATTERN})/image$",
        visual_views.BaselineImageView.as_view(),
        name="baseline-image",
    ),
    re_path(
        rf"^playback/runs/(?P<run_id>{ID_PATTERN})/video$",
        media_views.RunVideoView.as_view(),
        name="run-video",
    ),
    re_path(
        rf"^playback/runs/(?P<run_id>{ID_PATTERN})/steps/(?P<step>[0-9]{{1,6}})/screenshot$",
        media_views.StepScreenshotView.as_view(),
        name="step-screenshot",
    ),
    re_path(
        rf"^playback/runs/(?P<run_id>{ID_PATTERN})/steps/(?P<step>[0-9]{{1,6}})"
        r"/attempts/(?P<attempt>[0-9]{1,2})/screenshot$",
        media_views.AttemptScreenshotView.as_view(),
        name="attempt-screenshot",
    ),
    re_path(
        rf"^playback/runs/(?P<run_id>{ID_PATTERN})/steps/(?P<step>[0-9]{{1,6}})"
        r"/attempts/(?P<attempt>[0-9]{1,2})/source$",
        media_views.AttemptSourceView.as_view(),
        name="attempt-source",
    ),
    # Report files (no trailing slash): one pattern for every format of
    # playback/reports/formats.py, for runs and batches alike.
    *(
        re_path(
            rf"^playback/{kind}/(?P<pk>{ID_PATTERN})/{re.escape(output(report, kind).file)}$",
            report_views.report_view(report, kind),
            name=route_name(report, kind),
        )
        for report in FORMATS
        for kind in KINDS
    ),
    re_path(
        rf"^flows/(?P<id>{ID_PATTERN})/stats/?$",
        insights_views.FlowStatsView.as_view(),
        name="flow-stats",
    ),
    re_path(r"^insights/flaky-steps/?$", insights_views.FlakyStepsView.as_view(), name="flaky"),
    re_path(
        r"^insights/failure-groups/?$",
        insights_views.FailureGroupsView.as_view(),
        name="failure-groups",
    ),
    re_path(
        r"^insights/failure-groups/(?P<key>[0-9a-f]{16})/?$",
        triage_views.FailureGroupView.as_view(),
        name="failure-group",
    ),
    re_path(r"^insights/categories/?$", triage_views.CategoriesView.as_view(), name="categories"),
    re_path(r"^quarantines/?$", quarantine_views.QuarantinesView.as_view(), name="quarantines"),
    re_path(
        rf"^flows/(?P<id>{ID_PATTERN})/verify/?$",
        quarantine_views.VerifyView.as_view(),
        name="flow-verify",
    ),
    re_path(
        rf"^quarantines/(?P<id>{ID_PATTERN})/?$",
        quarantine_views.QuarantineView.as_view(),
        name="quarantine",
    ),
    *(url for url in router.urls if url.name != "run-rerun"),  # served above
]
