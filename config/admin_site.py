"""The admin site of Playback: its titles and layout (the apps register on it)."""

from __future__ import annotations

from django.contrib.admin import AdminSite
from django.contrib.admin.apps import AdminConfig


class PlaybackAdminSite(AdminSite):
    site_header = "Playback"
    site_title = "Playback admin"
    index_title = "Run history, flows and devices"
    # More room for the runs list: the app list is one click away on the home page.
    enable_nav_sidebar = False


class PlaybackAdminConfig(AdminConfig):
    default_site = "config.admin_site.PlaybackAdminSite"
