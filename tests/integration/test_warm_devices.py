"""Warm devices through the real Appium server: a device's session outlives its run
and the next run reuses it (playback/devices/sessions.py), on the web device and the
simulated one. The server logs at `info`, so its log shows each session it opens."""

from __future__ import annotations

import urllib.error
import urllib.request
from datetime import timedelta

import pytest
from django.utils import timezone

from playback.devices import sessions
from playback.drivers.web_session import profile_of, stop_stale_browser
from playback.models import Device
from playback.runs import sweeper
from simulator.server import AppiumServer
from tests.helpers import tap

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.appium]

SESSION_OPENED = "session created successfully"
# Signs in from the sign-in form: it passes only on a reset app (a kept page would be
# the product list, with no form).
SIGN_IN = [
    {"action": "type", "locator": {"using": "id", "value": "username"}, "text": "alice"},
    {"action": "type", "locator": {"using": "accessibility id", "value": "Password"}, "text": "pw"},
    tap("#sign-in", using="css selector"),
    {"action": "assert", "locator": {"using": "id", "value": "welcome"}, "text": "Welcome, alice"},
]


@pytest.fixture(scope="module")
def logged_appium(tmp_path_factory):
    log_path = tmp_path_factory.mktemp("appium-warm") / "appium.log"
    with AppiumServer(log_path=log_path, log_level="info") as server:
        yield server


def opened(server: AppiumServer) -> int:
    """Sessions the server has opened so far, as its log says."""
    return server.log_path.read_text(errors="replace").count(SESSION_OPENED)


def is_open(server: AppiumServer, session_id: str) -> bool:
    """The server still has the session (it answers one of its commands)."""
    try:
        urllib.request.urlopen(f"{server.url}/session/{session_id}/timeouts", timeout=10).close()
    except urllib.error.HTTPError as exc:
        assert exc.code == 404, exc.read()
        return False
    return True


def delete_session(server: AppiumServer, session_id: str) -> None:
    request = urllib.request.Request(f"{server.url}/session/{session_id}", method="DELETE")
    urllib.request.urlopen(request, timeout=10).close()


@pytest.fixture
def warm(settings):
    settings.PLAYBACK_SESSION_IDLE_S = 300  # the shipped default


@pytest.fixture
def warm_web_device(logged_appium, make_device, settings, tmp_path):
    settings.PLAYBACK_WEB_PROFILES_DIR = tmp_path / "web-profiles"
    device = make_device(logged_appium.url, platform="web", device_id="web-warm", capabilities={})
    yield device
    kept = Device.objects.filter(pk=device.pk).values_list("session", flat=True).first()
    if kept:
        delete_session(logged_appium, kept["id"])


def test_four_web_runs_in_a_row_open_one_session_and_each_starts_from_a_reset_app(
    warm, play, web_flow, warm_web_device, logged_appium
):
    flow = web_flow(SIGN_IN)
    before = opened(logged_appium)
    runs = [play(flow, warm_web_device, {"clear_data": True}) for _ in range(4)]
    assert [(run.status, run.error) for run in runs] == [("success", "")] * 4
    assert [run.session_reused for run in runs] == [False, True, True, True]
    assert opened(logged_appium) - before == 1
    assert is_open(logged_appium, Device.objects.get(pk=warm_web_device.pk).session["id"])


def test_a_session_killed_behind_the_services_back_costs_only_a_new_one(
    warm, play, web_flow, warm_web_device, logged_appium
):
    flow = web_flow(SIGN_IN)
    first = play(flow, warm_web_device, {"clear_data": True})
    kept = Device.objects.get(pk=warm_web_device.pk).session
    delete_session(logged_appium, kept["id"])
    before = opened(logged_appium)
    second = play(flow, warm_web_device, {"clear_data": True})
    assert (first.status, second.status, second.error) == ("success", "success", "")
    assert (first.session_reused, second.session_reused) == (False, False)
    assert [r.status for r in second.step_results.all()] == ["pass"] * 4  # no failed step
    assert opened(logged_appium) - before == 1
    assert Device.objects.get(pk=warm_web_device.pk).session["id"] != kept["id"]


def test_a_warm_session_whose_browser_died_costs_only_a_new_one(
    warm, play, web_flow, warm_web_device, logged_appium
):
    flow = web_flow(SIGN_IN)
    assert play(flow, warm_web_device, {"clear_data": True}).status == "success"
    assert stop_stale_browser(profile_of(warm_web_device.device_id))  # Chromium killed
    run = play(flow, warm_web_device, {"clear_data": True})
    assert (run.status, run.error, run.session_reused) == ("success", "", False)


def test_a_device_whose_capabilities_changed_gets_a_new_session_and_the_old_one_closes(
    warm, play, make_flow, make_device, logged_appium
):
    device = make_device(logged_appium.url)
    flow = make_flow([tap("ok")])
    play(flow, device)
    old = Device.objects.get(pk=device.pk).session["id"]
    device.capabilities = {**device.capabilities, "appium:platformVersion": "15"}
    device.save()
    run = play(flow, device)
    assert (run.status, run.session_reused) == ("success", False), run.error
    assert not is_open(logged_appium, old)
    assert is_open(logged_appium, Device.objects.get(pk=device.pk).session["id"])


def test_the_sweeper_closes_an_idle_session_and_disabling_a_device_closes_its_own(
    warm, play, make_flow, make_device, logged_appium
):
    idle, disabled = make_device(logged_appium.url), make_device(logged_appium.url)
    flow = make_flow([tap("ok")])
    for device in (idle, disabled):
        assert play(flow, device).status == "success"
    ids = {d.pk: Device.objects.get(pk=d.pk).session["id"] for d in (idle, disabled)}
    report = sweeper.sweep_runs()
    assert report["sessions_closed"] == []  # used just now
    disabled.enabled = False
    disabled.save()
    assert not is_open(logged_appium, ids[disabled.pk])
    assert Device.objects.get(pk=disabled.pk).session is None
    past = timezone.now() - timedelta(seconds=sessions.idle_s() + 1)
    Device.objects.filter(pk=idle.pk).update(session_used_at=past)
    assert sweeper.sweep_runs()["sessions_closed"] == [idle.pk]
    assert not is_open(logged_appium, ids[idle.pk])
    assert Device.objects.get(pk=idle.pk).session is None


def test_a_run_whose_session_died_hands_on_none_and_the_next_run_opens_a_new_one(
    warm, play, make_flow, make_device
):
    with AppiumServer() as server:
        device = make_device(server.url)
        flow = make_flow([tap("ok"), tap("ok")])
        assert play(flow, device).status == "success"
        kept = Device.objects.get(pk=device.pk).session

        def kill_session(run, outcome) -> None:
            if outcome.step == 1:  # as if the device rebooted: its server drops the session
                delete_session(server, kept["id"])

        broken = play(flow, device, on_step=kill_session)
        assert Device.objects.get(pk=device.pk).session is None
        after = play(flow, device)
    assert (broken.status, broken.session_reused) == ("error", True), broken.error
    assert "session" in broken.error and "ended" in broken.error, broken.error
    assert (after.status, after.session_reused) == ("success", False)


def test_a_run_whose_appium_went_away_hands_on_no_session(warm, play, make_flow, make_device):
    with AppiumServer() as server:
        device = make_device(server.url)
        flow = make_flow([tap("ok"), tap("ok")])
        assert play(flow, device).status == "success"

        def kill_appium(run, outcome) -> None:
            if outcome.step == 1:
                server.stop()

        lost = play(flow, device, on_step=kill_appium)
    assert (lost.status, lost.session_reused) == ("error", True)
    assert "lost contact" in lost.error, lost.error
    assert Device.objects.get(pk=device.pk).session is None
