from django.urls import re_path
from rest_framework.routers import SimpleRouter

from config.api import ID_PATTERN
from playback.api import batch_views, insights_views, media_views, views

app_name = "playback"

router = SimpleRouter()
router.register("playback/runs", views.RunViewSet, basename="run")
router.register("playback/batches", batch_views.BatchViewSet, basename="batch")
router.register("devices", views.DeviceViewSet, basename="device")

urlpatterns = [
    # The documented path has no trailing slash; both spellings work.
    re_path(r"^playback/start/?$", views.StartRunView.as_view(), name="start"),
    re_path(r"^playback/media/?$", media_views.MediaView.as_view(), name="media"),
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
    # Files: no trailing slash.
    re_path(
        rf"^playback/runs/(?P<pk>{ID_PATTERN})/junit\.xml$",
        views.RunViewSet.as_view({"get": "junit_xml"}),
        name="run-junit",
    ),
    re_path(
        rf"^playback/batches/(?P<pk>{ID_PATTERN})/junit\.zip$",
        batch_views.BatchViewSet.as_view({"get": "junit_zip"}),
        name="batch-junit",
    ),
    re_path(
        rf"^playback/runs/(?P<pk>{ID_PATTERN})/report\.html$",
        views.RunViewSet.as_view({"get": "report_html"}),
        name="run-report",
    ),
    re_path(
        rf"^playback/batches/(?P<pk>{ID_PATTERN})/report\.html$",
        batch_views.BatchViewSet.as_view({"get": "report_html"}),
        name="batch-report",
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
    *router.urls,
]
