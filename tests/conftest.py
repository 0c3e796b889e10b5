"""Fixtures for the whole suite: unit/ (no Appium, no browser, no worker process)
and integration/ (the real parts)."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from flows.definitions import parse_flow
from flows.models import Flow
from playback import services
from playback.models import Device, Run
from playback.words import RunSettings
from simulator.server import APPS_DIR, AppiumServer, free_port
from tests.helpers import DEMO_FLOW, RealSession, session_of, tap
from tests.scripted_driver import ScriptedDriver

STAGED_APP = APPS_DIR / "staged.xml"
STAGED_APP_ID = "com.playback.staged"

# The processes tests start (workers, `play`, servers) keep no warm sessions either:
# a session kept by a test whose rows are rolled back would outlive it on Appium.
os.environ.setdefault("PLAYBACK_SESSION_IDLE_S", "0")


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    """Screenshots go to a temporary folder, never to var/media."""
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture(autouse=True)
def fresh_cache():
    """Nothing a test caches (the admin's storage total) is seen by the next."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def short_pauses(settings):
    """Retries pause 50 ms instead of 1 s; the rules are the same. A device's probe
    (made with it by make_device) stays fresh through a test."""
    settings.PLAYBACK_PROBE_MAX_AGE_S = 3600
    settings.PLAYBACK_RETRY_PAUSE_S = 0.05
    settings.PLAYBACK_ELEMENT_TIMEOUT_MS = 300
    settings.PLAYBACK_LAUNCH_TIMEOUT_S = 5.0


@pytest.fixture(autouse=True)
def no_video_unless_asked(settings):
    """Runs record no video unless a test asks (recordVideo, or this setting): the
    video tests prove the default policy (failed) themselves."""
    settings.PLAYBACK_RECORD_VIDEO = "off"


@pytest.fixture(autouse=True)
def one_session_per_run_unless_asked(settings):
    """Runs open a session each unless a test asks for warm devices (this setting):
    the warm-device tests prove the shipped default (300 s) themselves."""
    settings.PLAYBACK_SESSION_IDLE_S = 0


@pytest.fixture
def member(django_user_model) -> Callable[..., Any]:
    """`member("viewer" | "runner" | "editor", username, staff=False)`: a user of a group."""
    from django.contrib.auth.models import Group

    from playback.access import ensure_groups

    def make(group: str, username: str | None = None, *, staff: bool = False) -> Any:
        ensure_groups()
        user = django_user_model.objects.create_user(
            username or group, password="pw", is_staff=staff
        )
        user.groups.add(Group.objects.get(name=group))
        return user

    return make


@pytest.fixture
def user(member):
    """The API user of most tests, "qa" (password "pw"): an editor, not staff."""
    return member("editor", "qa")


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
        """A device; it answered a probe just now unless `reachable`/`probed_at` say else."""
        from django.utils import timezone

        fields.setdefault("reachable", True)
        fields.setdefault("probed_at", timezone.now())
        return Device.objects.create(
            device_id=fields.pop("device_id", f"sim-{next(counter)}"),
            platform=fields.pop("platform", "sim"),
            appium_url=appium_url,
            capabilities=fields.pop("capabilities", {"appium:app": str(app)}),
            **fields,
        )

    return make


@pytest.fixture
def flow(make_flow) -> Flow:
    """Three taps, on the elements a, b and c (a scripted driver's targets)."""
    return make_flow([tap(target, using="id") for target in "abc"], name="Checkout")


@pytest.fixture
def device(make_device) -> Device:
    """A simulated device whose Appium server does not answer (nothing listens)."""
    return make_device("http://127.0.0.1:9", device_id="emulator-5554")


@pytest.fixture
def demo(db) -> tuple[Flow, Device]:
    """The demo flow, and a simulated device "sim-x" whose Appium server is not running."""
    flow = Flow.save_definition(parse_flow(json.loads(DEMO_FLOW.read_text())))
    device = Device.objects.create(
        device_id="sim-x", platform="sim", appium_url=f"http://127.0.0.1:{free_port()}"
    )
    return flow, device


@pytest.fixture
def play() -> Callable[..., Run]:
    """Queue a run and play it in this process, as `manage.py play` does:
    `play(flow, device, {"retry_per_step": 1}, driver=ScriptedDriver(...))`.
    Without `driver`, through the device's real driver (Appium)."""

    def play(
        flow: Flow,
        device: Device,
        settings: dict[str, Any] | None = None,
        *,
        driver: ScriptedDriver | None = None,
        **execute: Any,
    ) -> Run:
        run = services.start_run(
            flow=flow, device=device, settings=RunSettings(**(settings or {})), foreground=True
        )
        if driver is not None:
            execute["open_session"] = session_of(driver)
        services.play_in_foreground(run=run, **execute)
        return Run.objects.get(pk=run.pk)

    return play


@pytest.fixture
def real_session() -> RealSession:
    """A session opener for `play(..., open_session=real_session)`: the device's real
    driver, with the open client at `real_session.remote` while the run plays."""
    return RealSession()


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
