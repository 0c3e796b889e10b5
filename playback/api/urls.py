from django.urls import re_path
from rest_framework.routers import SimpleRouter

from config.api import ID_PATTERN
from playback.api import views

app_name = "playback"

router = SimpleRouter()
router.register("playback/runs", views.RunViewSet, basename="run")
router.register("devices", views.DeviceViewSet, basename="device")

urlpatterns = [
    # The documented path has no trailing slash; both spellings work.
    re_path(r"^playback/start/?$", views.StartRunView.as_view(), name="start"),
    re_path(r"^playback/media/?$", views.MediaView.as_view(), name="media"),
    re_path(
        rf"^playback/runs/(?P<run_id>{ID_PATTERN})/steps/(?P<step>[0-9]{{1,6}})/screenshot$",
        views.StepScreenshotView.as_view(),
        name="step-screenshot",
    ),
    *router.urls,
]
