from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from flows.definitions import parse_flow
from flows.models import Flow
from playback.models import Device
from simulator.server import APPS_DIR, AppiumServer

STAGED_APP = APPS_DIR / "staged.xml"
STAGED_APP_ID = "com.playback.staged"


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    """Screenshots go to a temporary folder, never to var/media."""
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def short_pauses(settings):
    """Retries pause 50 ms instead of 1 s; the rules are the same."""
    settings.PLAYBACK_RETRY_PAUSE_S = 0.05
    settings.PLAYBACK_ELEMENT_TIMEOUT_MS = 300
    settings.PLAYBACK_LAUNCH_TIMEOUT_S = 5.0


@pytest.fixture
def user(django_user_model):
    """A plain (non-staff) API user; its password is "pw"."""
    return django_user_model.objects.create_user("qa", password="pw")


@pytest.fixture
def api(user):
    """An API client that sends the user's token."""
    from rest_framework.authtoken.models import Token
    from rest_framework.test import APIClient

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    return client


@pytest.fixture(scope="session")
def appium_server(tmp_path_factory) -> AppiumServer:
    """A real Appium 3 server with the fake driver and the playback-sim plugin."""
    log_path = tmp_path_factory.mktemp("appium") / "appium.log"
    server = AppiumServer(log_path=log_path).start()
    yield server
    server.stop()


@pytest.fixture
def make_flow(db) -> Callable[..., Flow]:
    counter = iter(range(1, 10_000))

    def make(steps: list[dict[str, Any]], *, app_id: str = STAGED_APP_ID, **fields: Any) -> Flow:
        data = {
            "name": fields.pop("name", f"flow {next(counter)}"),
            "platform": fields.pop("platform", "sim"),
            "app_id": app_id,
            "steps": steps,
        }
        return Flow.save_definition(parse_flow(data))

    return make


@pytest.fixture
def make_device(db) -> Callable[..., Device]:
    counter = iter(range(1, 10_000))

    def make(appium_url: str, *, app: Path = STAGED_APP, **fields: Any) -> Device:
        return Device.objects.create(
            device_id=fields.pop("device_id", f"sim-{next(counter)}"),
            platform=fields.pop("platform", "sim"),
            appium_url=appium_url,
            capabilities=fields.pop("capabilities", {"appium:app": str(app)}),
            **fields,
        )

    return make


@pytest.fixture
def sim_device(appium_server, make_device) -> Device:
    return make_device(appium_server.url)


@pytest.fixture
def staged_app_with(tmp_path) -> Callable[..., Path]:
    """The staged app with extra attributes on <app>, e.g. launchMs="300"."""

    def write(**app_attrs: str) -> Path:
        extra = " ".join(f'{key}="{value}"' for key, value in app_attrs.items())
        xml = STAGED_APP.read_text().replace("<app ", f"<app {extra} ", 1)
        path = tmp_path / f"staged-{len(list(tmp_path.glob('staged-*')))}.xml"
        path.write_text(xml)
        return path

    return write
