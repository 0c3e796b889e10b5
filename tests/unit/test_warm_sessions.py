"""Warm devices' rules (playback/devices/sessions.py, drivers/session.py): which
session a run plays on, which it hands on, which the sweeper closes. The Appium
client is replaced by a record of what was asked; the real server's path:
tests/integration/test_warm_devices.py."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from playback.devices import sessions
from playback.drivers import session as driver_session
from playback.drivers.attach import KeptSession, session_key
from playback.engine import DeviceError
from playback.models import Device
from playback.runs import sweeper

pytestmark = pytest.mark.django_db
URL = "http://127.0.0.1:4723"
CAPS = {"platformName": "Fake", "appium:udid": "sim-1"}
KEY = session_key(URL, CAPS)


class FakeRemote:
    def __init__(self, session_id: str):
        self.session_id = session_id


class Appium:
    """What the opener asked of the server: sessions opened, attached, closed."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, alive: set[str]):
        self.opened: list[str] = []
        self.closed: list[str] = []
        self.alive = alive

        def new_session(*args: Any) -> FakeRemote:
            self.opened.append(f"new-{len(self.opened) + 1}")
            return FakeRemote(self.opened[-1])

        monkeypatch.setattr(driver_session, "_new_session", new_session)
        monkeypatch.setattr(driver_session, "attach", lambda url, sid, **kw: FakeRemote(sid))
        monkeypatch.setattr(driver_session, "is_alive", lambda r: r.session_id in self.alive)
        monkeypatch.setattr(
            driver_session, "close", lambda r, **kw: self.closed.append(r.session_id)
        )
        monkeypatch.setattr(sessions, "close_kept", lambda kept: self.closed.append(kept.id))


@pytest.fixture
def warm(settings):
    settings.PLAYBACK_SESSION_IDLE_S = 300


@pytest.fixture
def device(db) -> Device:
    return Device.objects.create(device_id="sim-1", platform="sim", appium_url=URL)


def keep_on(device: Device, session_id: str, key: str = KEY, **fields: Any) -> None:
    Device.objects.filter(pk=device.pk).update(
        session=KeptSession(session_id, URL, key).stored(),
        session_used_at=fields.pop("used_at", timezone.now()),
        **fields,
    )


def play_once(device: Device, *, fail: bool = False, break_it: bool = False) -> bool:
    """Open a session as a run does; returns whether it was reused."""
    opener = driver_session.open_session(
        appium_url=URL,
        capabilities=CAPS,
        device_label=device.device_id,
        connect_timeout_s=1,
        command_timeout_s=1,
        warm=sessions.warm_record(device),
    )
    try:
        with opener as driver:
            driver.broken = break_it
            if fail:
                raise RuntimeError("the run's code failed")
            return driver.reused
    except RuntimeError:
        return driver.reused


def kept_id(device: Device) -> str | None:
    stored = Device.objects.get(pk=device.pk).session
    return stored["id"] if stored else None


@pytest.mark.parametrize(
    ("kept", "key", "alive", "reused", "closed", "handed_on"),
    [
        (None, KEY, set(), False, [], "new-1"),
        ("s-1", KEY, {"s-1"}, True, [], "s-1"),
        ("s-1", KEY, set(), False, ["s-1"], "new-1"),  # dead: Appium restarted, timed out
        ("s-1", "other-capabilities", {"s-1"}, False, ["s-1"], "new-1"),  # foreign
    ],
)
def test_a_run_reuses_the_kept_session_only_when_it_was_opened_alike_and_answers(
    warm, monkeypatch, device, kept, key, alive, reused, closed, handed_on
):
    appium = Appium(monkeypatch, alive)
    if kept:
        keep_on(device, kept, key)
    assert play_once(device) is reused
    assert appium.closed == closed
    assert appium.opened == ([] if reused else ["new-1"])
    assert kept_id(device) == handed_on


@pytest.mark.parametrize(
    ("how", "handed_on"),
    [
        ({}, "s-1"),
        ({"fail": True}, None),  # the run's own code failed: the session's state is unknown
        ({"break_it": True}, None),  # a command found the device lost
    ],
)
def test_a_session_is_handed_on_only_when_nothing_broke_it(
    warm, monkeypatch, device, how, handed_on
):
    appium = Appium(monkeypatch, {"s-1"})
    keep_on(device, "s-1")
    assert play_once(device, **how) is True
    assert kept_id(device) == handed_on
    assert appium.closed == ([] if handed_on else ["s-1"])


def test_a_device_disabled_while_its_run_plays_does_not_keep_the_session(warm, monkeypatch, device):
    appium = Appium(monkeypatch, set())
    opener = driver_session.open_session(
        appium_url=URL,
        capabilities=CAPS,
        device_label="sim-1",
        connect_timeout_s=1,
        command_timeout_s=1,
        warm=sessions.warm_record(device),
    )
    with opener:
        Device.objects.filter(pk=device.pk).update(enabled=False)
    assert (kept_id(device), appium.closed) == (None, ["new-1"])


def test_with_no_idle_time_every_run_opens_and_closes_its_own_session(
    settings, monkeypatch, device
):
    settings.PLAYBACK_SESSION_IDLE_S = 0
    appium = Appium(monkeypatch, {"s-1"})
    assert sessions.warm_record(device) is None
    assert play_once(device) is False
    assert (appium.opened, appium.closed, kept_id(device)) == (["new-1"], ["new-1"], None)


def test_a_session_that_will_not_open_is_the_usual_device_error(warm, monkeypatch, device):
    def refuses(*args: Any) -> None:
        raise DeviceError("Appium server http://127.0.0.1:4723 is unreachable")

    Appium(monkeypatch, set())
    monkeypatch.setattr(driver_session, "_new_session", refuses)
    with pytest.raises(DeviceError, match="unreachable"):
        play_once(device)
    assert kept_id(device) is None


@pytest.mark.parametrize(
    ("idle_s", "timeout_s"), [(300, 390), (60, 150), (0, sessions.NEW_COMMAND_TIMEOUT_S)]
)
def test_a_sessions_new_command_timeout_is_the_idle_time_plus_a_margin(settings, idle_s, timeout_s):
    settings.PLAYBACK_SESSION_IDLE_S = idle_s
    assert sessions.new_command_timeout_s() == timeout_s
    caps = driver_session.build_capabilities(platform="sim", device_id="sim-1", extra={})
    assert caps["appium:newCommandTimeout"] == timeout_s


def test_a_session_key_ignores_order_and_a_web_devices_chromedriver_port():
    caps = {"browserName": "chrome", "appium:chromedriverPort": 40001, "a": [1, 2]}
    moved = {"a": [1, 2], "appium:chromedriverPort": 40999, "browserName": "chrome"}
    assert session_key(URL, caps) == session_key(URL, moved)
    assert session_key(URL, caps) != session_key("http://127.0.0.1:4724", caps)
    assert session_key(URL, caps) != session_key(URL, {**caps, "a": [2, 1]})


@pytest.mark.parametrize(
    ("idle_for_s", "enabled", "held", "closed"),
    [
        (10, True, False, False),  # used lately
        (301, True, False, True),  # idle past PLAYBACK_SESSION_IDLE_S
        (10, False, False, True),  # a disabled device keeps none
        (301, True, True, False),  # a run has the device: it decides
    ],
)
def test_the_sweeper_closes_idle_sessions_and_disabled_devices_ones(
    warm, monkeypatch, device, make_flow, idle_for_s, enabled, held, closed
):
    from playback.models import Run

    appium = Appium(monkeypatch, set())
    used_at = timezone.now() - timedelta(seconds=idle_for_s)
    keep_on(device, "s-1", used_at=used_at, enabled=enabled)
    if held:
        run = Run.objects.create(
            flow=make_flow([{"action": "back"}]),
            device=device,
            status="running",
            started_at=timezone.now(),
            heartbeat_at=timezone.now(),
        )
        Device.objects.filter(pk=device.pk).update(current_run=run)
    report = sweeper.sweep_runs()
    assert report["sessions_closed"] == ([device.pk] if closed else [])
    assert appium.closed == (["s-1"] if closed else [])
    assert (kept_id(device) is None) is closed


def test_disabling_or_deleting_a_device_closes_its_session(
    warm, monkeypatch, device, django_capture_on_commit_callbacks
):
    appium = Appium(monkeypatch, set())
    keep_on(device, "s-1")
    other = Device.objects.create(device_id="sim-2", platform="sim", appium_url=URL)
    keep_on(other, "s-2")
    with django_capture_on_commit_callbacks(execute=True):
        device.name = "renamed"
        device.save()  # still enabled: its session stays
    assert appium.closed == []
    with django_capture_on_commit_callbacks(execute=True):
        device.enabled = False
        device.save()
        other.delete()
    assert appium.closed == ["s-1", "s-2"]
    assert kept_id(device) is None


def test_saving_a_device_never_writes_back_an_old_session(device):
    loaded = Device.objects.get(pk=device.pk)  # a form loaded before the run ended
    keep_on(device, "s-9")
    loaded.name = "Pixel"
    loaded.save()
    assert kept_id(device) == "s-9"
    assert Device.objects.get(pk=device.pk).name == "Pixel"


def test_the_admins_disable_action_closes_the_devices_sessions(
    warm, monkeypatch, device, admin_client, django_capture_on_commit_callbacks
):
    appium = Appium(monkeypatch, set())
    keep_on(device, "s-1")
    with django_capture_on_commit_callbacks(execute=True):
        answer = admin_client.post(
            "/admin/playback/device/", {"action": "disable", "_selected_action": [device.pk]}
        )
    assert answer.status_code == 302
    assert (appium.closed, kept_id(device)) == (["s-1"], None)
    assert Device.objects.get(pk=device.pk).enabled is False


def test_the_device_page_says_whether_it_keeps_a_warm_session(warm, device, admin_client):
    page = admin_client.get(f"/admin/playback/device/{device.pk}/change/").content.decode()
    assert "none: its next run opens a new session" in page
    keep_on(device, "s-1", used_at=timezone.now() - timedelta(seconds=42))
    page = admin_client.get(f"/admin/playback/device/{device.pk}/change/").content.decode()
    assert re.search(r"kept for its next run \(idle 4[23]\.\d s; closed after 300 s idle\)", page)
