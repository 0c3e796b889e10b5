"""The engine's behaviours through a real Appium 3 server and the simulated device.

Flows are staged on simulator/apps/staged.xml, whose elements carry failFindFirst,
failClickFirst, appearAfterMs and visible="false".
"""

from __future__ import annotations

import contextlib
import json
from typing import Any

import pytest
from appium.webdriver.common.appiumby import AppiumBy

from playback.drivers import registry
from playback.models import Device, Run
from simulator.server import APPS_DIR, free_port
from tests.helpers import RealSession, tap

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.appium]
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def statuses(run: Run) -> list[str]:
    return [r.status for r in run.step_results.order_by("step_number")]


class Observer(RealSession):
    """The real session, which can act on the app before the run (type a value, click
    a counter) and reads the app's state after it."""

    def __init__(self, before=None):
        super().__init__(before=before, after=self.read)
        self.state: dict[str, Any] = {}
        self.name_value: str | None = None
        self.counter_clicks: str | None = None

    def read(self, remote) -> None:
        self.state = remote.execute_script("sim: state")
        remote.activate_app(remote.execute_script("sim: state")["appId"])
        self.name_value = remote.find_element(AppiumBy.ID, "name").text
        self.counter_clicks = remote.find_element(AppiumBy.ID, "counter").get_attribute("clicks")


def type_and_click(remote):
    remote.find_element(AppiumBy.ID, "name").send_keys("kept")
    remote.find_element(AppiumBy.ID, "counter").click()


# --- the five statuses, for real ---------------------------------------------------
def test_steps_that_work_pass_with_a_png_screenshot_each(play, make_flow, sim_device):
    flow = make_flow([tap("ok"), tap("ok-2")])
    run = play(flow, sim_device)
    assert run.status == "success"
    assert statuses(run) == ["pass", "pass"]
    for result in run.step_results.all():
        assert result.attempts == 1
        assert result.screenshot.name == f"runs/{run.pk}/step-{result.step_number:04d}.png"
        with result.screenshot.open("rb") as handle:
            assert handle.read(8) == PNG_MAGIC


def test_a_lookup_that_fails_once_is_flaky_with_one_retry(play, make_flow, sim_device):
    flow = make_flow([tap("find-once", timeout_ms=0), tap("ok")])
    run = play(flow, sim_device, {"retry_per_step": 1})
    assert statuses(run) == ["flaky", "pass"]
    result = run.step_results.get(step_number=1)
    assert result.attempts == 2
    assert result.error.startswith("Passed on attempt 2; attempt 1 failed: Element not found")
    assert run.status == "success"
    assert run.flaky_steps == 1


def test_a_click_that_fails_once_is_flaky_with_one_retry(play, make_flow, sim_device):
    run = play(make_flow([tap("click-once")]), sim_device, {"retry_per_step": 1})
    result = run.step_results.get()
    assert (result.status, result.attempts) == ("flaky", 2)
    assert "staged to fail (failClickFirst)" in result.attempt_errors[0]


def test_a_click_that_fails_without_retries_fails_and_blocks_the_rest(play, make_flow, sim_device):
    flow = make_flow([tap("ok"), tap("click-once"), tap("ok-2")])
    run = play(flow, sim_device, {"retry_per_step": 0, "failure_behaviour": "stop"})
    assert statuses(run) == ["pass", "fail", "blocked"]
    assert run.status == "partial_success"
    assert run.step_results.get(step_number=3).error == "Not run: step 2 failed"
    assert not run.step_results.get(step_number=3).screenshot


def test_an_invisible_element_fails_every_attempt_and_skip_skips_the_rest(
    play, make_flow, sim_device
):
    flow = make_flow([tap("hidden"), tap("ok")])
    run = play(flow, sim_device, {"retry_per_step": 2, "failure_behaviour": "skip"})
    assert statuses(run) == ["fail", "skipped"]
    assert run.status == "failed"
    failed = run.step_results.get(step_number=1)
    assert failed.attempts == 3
    assert failed.error.startswith("Failed after 3 attempts: click failed:")
    assert failed.screenshot  # a failed step still gets its screenshot


def test_continue_plays_on_after_a_failure(play, make_flow, sim_device):
    flow = make_flow([tap("find-twice", timeout_ms=0), tap("ok"), tap("ok-2")])
    run = play(flow, sim_device, {"retry_per_step": 1, "failure_behaviour": "continue"})
    assert statuses(run) == ["fail", "pass", "pass"]
    assert run.status == "partial_success"


def test_retries_up_to_three_make_a_twice_failing_lookup_flaky(play, make_flow, sim_device):
    run = play(make_flow([tap("find-twice", timeout_ms=0)]), sim_device, {"retry_per_step": 7})
    result = run.step_results.get()
    assert (result.status, result.attempts) == ("flaky", 3)
    assert run.settings.retry_per_step == 3


def test_an_element_wait_absorbs_an_element_that_appears_late(play, make_flow, sim_device):
    run = play(make_flow([tap("late", timeout_ms=3000)]), sim_device)
    assert statuses(run) == ["pass"]
    assert run.step_results.get().duration_ms >= 300


def test_an_element_that_appears_after_the_wait_fails(play, make_flow, sim_device):
    run = play(make_flow([tap("late", timeout_ms=50)]), sim_device)
    result = run.step_results.get()
    assert result.status == "fail"
    assert "Element not found: accessibility id='late' (waited 50 ms)" in result.error


def test_coordinates_tap_and_typing_into_the_focused_element(play, make_flow, sim_device):
    observer = Observer()
    flow = make_flow(
        [
            {"action": "tap", "x": 500, "y": 650},  # the name field
            {"action": "type", "text": "typed by focus"},
            {"action": "tap", "x": 20, "y": 720},  # the counter
            {"action": "swipe", "start_x": 500, "start_y": 2000, "end_x": 500, "end_y": 900},
        ]
    )
    run = play(flow, sim_device, open_session=observer)
    assert statuses(run) == ["pass"] * 4
    assert observer.name_value == "typed by focus"
    assert observer.counter_clicks == "1"
    assert observer.state["taps"] == 2
    assert observer.state["swipes"] == 1


@pytest.mark.parametrize(
    ("using", "value"),
    [
        ("accessibility id", "ok"),
        ("id", "ok"),
        ("xpath", "//MockButton[@id='ok']"),
        ("class name", "MockButton"),
    ],
)
def test_locator_strategies_the_fake_driver_knows(play, make_flow, sim_device, using, value):
    flow = make_flow([{"action": "tap", "locator": {"using": using, "value": value}}])
    assert statuses(play(flow, sim_device)) == ["pass"]


def test_a_strategy_the_device_does_not_support_fails_with_its_reason(play, make_flow, sim_device):
    # A new sim flow cannot say it (flows.definitions refuses it); one stored before
    # that rule still plays, and the device's own refusal is the step's error.
    flow = make_flow([tap("ok")])
    locator = {"using": "-android uiautomator", "value": 'new UiSelector().text("OK")'}
    flow.steps.update(locator=locator)
    run = play(flow, sim_device)
    result = run.step_results.get()
    assert result.status == "fail"
    assert "-android uiautomator" in result.error


def test_a_failing_screenshot_keeps_the_step_status(
    play, make_flow, make_device, appium_server, staged_app_with
):
    device = make_device(appium_server.url, app=staged_app_with(failScreenshots="true"))
    run = play(make_flow([tap("ok"), tap("ok-2")]), device)
    assert run.status == "success"
    for result in run.step_results.all():
        assert result.status == "pass"
        assert not result.screenshot
        assert "Screen capture failed (staged failScreenshots)" in result.screenshot_error


def test_screenshots_off_stores_none(play, make_flow, sim_device):
    run = play(make_flow([tap("ok")]), sim_device, {"capture_screenshots": False})
    assert statuses(run) == ["pass"]
    assert not run.step_results.get().screenshot


# --- app preparation, for real -------------------------------------------------------
def test_restart_app_terminates_and_relaunches_but_keeps_the_data(play, make_flow, sim_device):
    observer = Observer(before=type_and_click)
    run = play(make_flow([tap("ok")]), sim_device, {"restart_app": True}, open_session=observer)
    assert run.status == "success"
    assert (observer.state["terminations"], observer.state["launches"]) == (1, 2)
    assert observer.state["clears"] == 0
    assert (observer.name_value, observer.counter_clicks) == ("kept", "1")


def test_clear_data_resets_typed_values_and_counters(play, make_flow, sim_device):
    observer = Observer(before=type_and_click)
    settings = {"restart_app": True, "clear_data": True}
    run = play(make_flow([tap("ok")]), sim_device, settings, open_session=observer)
    assert run.status == "success"
    assert observer.state["clears"] == 1
    assert observer.state["launches"] == 2
    assert (observer.name_value, observer.counter_clicks) == ("", "")


def test_no_restart_leaves_the_running_app_alone(play, make_flow, sim_device):
    observer = Observer(before=type_and_click)
    run = play(make_flow([tap("ok")]), sim_device, {"restart_app": False}, open_session=observer)
    assert run.status == "success"
    assert (observer.state["terminations"], observer.state["launches"]) == (0, 1)


def test_a_restart_resets_staged_fault_counters(play, make_flow, sim_device):
    # find-once fails its first lookup after each launch: a restart between the two
    # lookups makes the second lookup fail again.
    def look_once(remote):
        with contextlib.suppress(Exception):
            remote.find_element(AppiumBy.ID, "find-once")

    observer = Observer(before=look_once)
    run = play(make_flow([tap("find-once", timeout_ms=0)]), sim_device, open_session=observer)
    assert statuses(run) == ["fail"]
    run = play(
        make_flow([tap("find-once", timeout_ms=0)]),
        sim_device,
        {"restart_app": False},
        open_session=Observer(before=look_once),
    )
    assert statuses(run) == ["pass"]


def test_it_waits_for_a_slow_launch_to_reach_the_foreground(
    play, make_flow, make_device, appium_server, staged_app_with
):
    device = make_device(appium_server.url, app=staged_app_with(launchMs="400"))
    run = play(make_flow([tap("ok")]), device)
    assert run.status == "success"
    assert run.duration_ms >= 400


def test_a_launch_slower_than_the_launch_timeout_ends_the_run_as_error(
    play, make_flow, make_device, appium_server, staged_app_with, settings
):
    settings.PLAYBACK_LAUNCH_TIMEOUT_S = 0.3
    device = make_device(appium_server.url, app=staged_app_with(launchMs="5000"))
    run = play(make_flow([tap("ok")]), device)
    assert run.status == "error"
    assert "did not reach the foreground within 0.3 s (state 2:" in run.error
    assert statuses(run) == ["blocked"]


def test_an_app_that_is_not_installed_ends_the_run_as_error(play, make_flow, sim_device):
    flow = make_flow([tap("ok"), tap("ok-2")], app_id="com.not.installed")
    run = play(flow, sim_device)
    assert run.status == "error"
    assert "App preparation failed" in run.error
    assert "'com.not.installed' is not installed" in run.error
    assert statuses(run) == ["blocked", "blocked"]


# --- the session itself -------------------------------------------------------------
def test_an_unreachable_appium_server_ends_the_run_as_error(play, make_flow, make_device):
    url = f"http://127.0.0.1:{free_port()}"
    device = make_device(url, device_id="phone-7")
    run = play(make_flow([tap("ok"), tap("ok-2")]), device)
    assert run.status == "error"
    assert f"Appium server {url} for device phone-7 is unreachable" in run.error
    assert statuses(run) == ["blocked", "blocked"]
    assert run.finished_at is not None


def test_a_refused_session_ends_the_run_as_error(play, make_flow, make_device, appium_server):
    device = make_device(appium_server.url, app=APPS_DIR / "missing.xml")
    run = play(make_flow([tap("ok")]), device)
    assert run.status == "error"
    assert f"Appium at {appium_server.url}" in run.error
    assert device.device_id in run.error
    assert statuses(run) == ["blocked"]


def test_cancelling_mid_run_lets_the_step_in_flight_finish_and_stops(play, make_flow, sim_device):
    """The cancel arrives while step 3's click (300 ms on the device) is in flight."""
    clicks = 0

    @contextlib.contextmanager
    def cancel_during_step_three(device, app_id):
        with registry.open_session(device, app_id) as driver:
            real_click = driver.click

            def click(element):
                nonlocal clicks
                clicks += 1
                if clicks == 3:
                    Run.objects.filter(device=device).update(cancel_requested=True)
                real_click(element)

            driver.click = click
            yield driver

    flow = make_flow([tap("ok"), tap("ok-2"), tap("slow"), tap("ok"), tap("ok-2")])
    run = play(flow, sim_device, open_session=cancel_during_step_three)
    assert run.status == "cancelled"
    assert statuses(run) == ["pass", "pass", "pass", "skipped", "skipped"]
    assert run.step_results.get(step_number=4).error == "Run cancelled"
    assert run.error == "Cancelled before step 4"


def test_the_demo_flow_plays_on_the_demo_app(play, demo, appium_server):
    flow, device = demo
    Device.objects.filter(pk=device.pk).update(
        appium_url=appium_server.url, capabilities={"appium:app": str(APPS_DIR / "demo.xml")}
    )
    run = play(flow, Device.objects.get(pk=device.pk))
    assert run.status == "success", json.dumps(
        list(run.step_results.values("step_number", "status", "error"))
    )
    assert run.successful_steps == run.total_steps == 7
    assert {r.action for r in run.step_results.all()} == {"tap", "type", "swipe"}


def test_a_simulated_device_that_names_no_app_plays_the_demo_app(play, demo, appium_server):
    flow, device = demo
    Device.objects.filter(pk=device.pk).update(appium_url=appium_server.url, capabilities={})
    run = play(flow, Device.objects.get(pk=device.pk))
    assert run.status == "success"
