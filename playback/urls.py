from django.urls import path, re_path
from rest_framework.routers import SimpleRouter

from playback import views

app_name = "playback"

router = SimpleRouter()
router.register("playback/runs", views.RunViewSet, basename="run")
router.register("devices", views.DeviceViewSet, basename="device")

urlpatterns = [
    # The seed's path has no trailing slash; both spellings work.
    re_path(r"^playback/start/?$", views.StartRunView.as_view(), name="start"),
    path(
        "playback/runs/<int:run_id>/steps/<int:step>/screenshot",
        views.step_screenshot,
        name="step-screenshot",
    ),
    *router.urls,
]
