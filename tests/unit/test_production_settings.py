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
