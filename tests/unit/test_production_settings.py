"""Production settings: refused when unsafe, `check --deploy` clean when set up."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys

import pytest
from django.conf import settings

KEY = secrets.token_urlsafe(60)


def check(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {
        k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "PLAYBACK_APPIUM"))
    }
    return subprocess.run(
        [sys.executable, "manage.py", "check", *args],
        cwd=settings.BASE_DIR,
        env={**environment, "PLAYBACK_ENV": "production", **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_production_settings_pass_check_deploy():
    result = check(
        "--deploy", "--fail-level", "WARNING",
        DJANGO_SECRET_KEY=KEY, DJANGO_ALLOWED_HOSTS="playback.example.com",
        PLAYBACK_APPIUM_ALLOWED_HOSTS="appium.lab.example,10.20.0.0/16",
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"DJANGO_ALLOWED_HOSTS": "x"}, "needs DJANGO_SECRET_KEY"),
        ({"DJANGO_SECRET_KEY": "short", "DJANGO_ALLOWED_HOSTS": "x"}, "needs DJANGO_SECRET_KEY"),
        ({"DJANGO_SECRET_KEY": KEY, "DJANGO_ALLOWED_HOSTS": "x", "DJANGO_DEBUG": "1"},
         "refuses DJANGO_DEBUG=1"),
        ({"DJANGO_SECRET_KEY": KEY}, "needs DJANGO_ALLOWED_HOSTS"),
        ({"DJANGO_SECRET_KEY": KEY, "DJANGO_ALLOWED_HOSTS": "x"},
         "needs PLAYBACK_APPIUM_ALLOWED_HOSTS"),
    ],
)  # fmt: skip
def test_production_refuses_to_start_unsafe(env, message):
    result = check(**env)
    assert result.returncode != 0
    assert message in result.stderr


def production_setting(expression: str, **env: str) -> str:
    """What `expression` of the settings is in production (the environment `env`)."""
    environment = {
        k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "PLAYBACK_"))
    }
    code = f"import django; django.setup(); from django.conf import settings; print({expression})"
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=settings.BASE_DIR, capture_output=True, text=True,
        env={**environment, "PLAYBACK_ENV": "production", "DJANGO_SETTINGS_MODULE":
             "config.settings", "DJANGO_SECRET_KEY": KEY, "DJANGO_ALLOWED_HOSTS": "x",
             "PLAYBACK_APPIUM_ALLOWED_HOSTS": "10.0.0.0/8", **env},
        timeout=120,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_production_allows_no_cross_origin_frontend_unless_named():
    assert production_setting("settings.CORS_ALLOWED_ORIGINS") == "[]"
    named = production_setting(
        "settings.CORS_ALLOWED_ORIGINS", PLAYBACK_CORS_ORIGINS="https://recorder.example.com"
    )
    assert named == "['https://recorder.example.com']"
    # The local dev servers development lets in are not let in by production.
    assert production_setting("settings.CORS_ALLOWED_ORIGIN_REGEXES") == "[]"


def test_production_web_devices_open_public_pages_only():
    assert production_setting("settings.PLAYBACK_WEB_ALLOWED_HOSTS") == "['public']"
