from django.urls import path

from playback import views

app_name = "playback"

urlpatterns = [
    path(
        "playback/runs/<int:run_id>/steps/<int:step>/screenshot",
        views.step_screenshot,
        name="step-screenshot",
    ),
]
