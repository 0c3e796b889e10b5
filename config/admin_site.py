"""The admin site of Playback: its titles and layout (the apps register on it)."""

from __future__ import annotations

from typing import Any

from django.contrib.admin import AdminSite
from django.contrib.admin.apps import AdminConfig
from django.http import HttpRequest

# What a QA lead comes for, first and in this order.
HISTORY = [
    ("playback", "Run"),
    ("playback", "Batch"),
    ("playback", "BatchSchedule"),
    ("flows", "Flow"),
    ("playback", "Device"),
    ("playback", "FlakyStep"),
    ("playback", "FailureGroup"),
    ("playback", "Quarantine"),
    ("playback", "Baseline"),
]
# The machinery (task queue, API tokens): its own section, for superusers only.
MACHINERY = {"django_q", "authtoken"}


class PlaybackAdminSite(AdminSite):
    site_header = "Playback"
    site_title = "Playback admin"
    index_title = "Run history, flows and devices"
    site_url = None  # no "View site": the API's docs are at /api/docs/
    # More room for the runs list: the app list is one click away on the home page.
    enable_nav_sidebar = False

    def get_app_list(self, request: HttpRequest, app_label: str | None = None) -> list[dict]:
        apps = super().get_app_list(request, app_label)
        if app_label is not None:
            return apps
        models = {(app["app_label"], m["object_name"]): m for app in apps for m in app["models"]}
        history = [models[key] for key in HISTORY if key in models]
        rest, machinery = [], []
        for app in apps:
            app["models"] = [
                m for m in app["models"] if (app["app_label"], m["object_name"]) not in HISTORY
            ]
            if not app["models"]:
                continue
            (machinery if app["app_label"] in MACHINERY else rest).append(app)
        first = [{**_section(apps, history), "models": history}] if history else []
        if not request.user.is_superuser:
            machinery = []
        return first + rest + machinery


def _section(apps: list[dict], models: list[dict]) -> dict[str, Any]:
    playback = next((app for app in apps if app["app_label"] == "playback"), apps[0])
    return {**playback, "name": "Run history", "app_label": "playback"}


class PlaybackAdminConfig(AdminConfig):
    default_site = "config.admin_site.PlaybackAdminSite"
