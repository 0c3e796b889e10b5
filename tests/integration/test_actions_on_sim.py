"""Wave 3's actions and text locators through a real Appium server and the simulated
device: each action makes the same calls it makes on Android (the plugin answers
what the fake driver lacks), and the plugin's state shows what the device did."""

from __future__ import annotations

from typing import Any

import pytest

from playback.models import Run
from tests.helpers import RealSession

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.appium]


def by_id(value: str) -> dict[str, str]:
    return {"using": "id", "value": value}


def by_text(value: str, **extra: Any) -> dict[str, Any]:
    return {"using": "text", "value": value, **extra}


class StateAfter(RealSession):
    """The real session; after the run, the device's state and the note field's text."""

    def __init__(self):
        super().__init__(after=self.read)
        self.state: dict[str, Any] = {}

    def read(self, remote) -> None:
        self.state = remote.execute_script("sim: state")


def played(play, make_flow, device, steps, settings=None) -> tuple[Run, dict[str, Any]]:
    session = StateAfter()
    run = play(make_flow(steps), device, settings or {}, open_session=session)
    return run, session.state


def statuses(run: Run) -> list[str]:
    return [r.status for r in run.step_results.order_by("step_number")]


def errors(run: Run) -> list[str]:
    return [r.error for r in run.step_results.order_by("step_number")]


def test_gestures_keys_and_links_reach_the_device(play, make_flow, sim_device):
    run, state = played(
        play,
        make_flow,
        sim_device,
        [
            {"action": "long_press", "locator": by_id("counter"), "duration": 600},
            {"action": "double_tap", "x": 10, "y": 10},
            {"action": "tap", "locator": by_id("note")},
            {"action": "type", "text": "hello"},
            {"action": "erase_text", "count": 2},
            {"action": "assert", "locator": by_id("note"), "text": "hel"},
            {"action": "hide_keyboard"},
            {"action": "press_key", "key": "enter"},
            {"action": "back"},
            {"action": "open_link", "url": "staged://cart?item=1"},
        ],
    )
    assert statuses(run) == ["pass"] * 10, errors(run)
    assert state["longPresses"] == 1
    assert state["doubleTaps"] == 1
    assert state["keyboardShown"] is False
    assert state["keys"] == [66]  # Android's KEYCODE_ENTER
    assert state["backs"] == 1
    assert state["links"] == ["staged://cart?item=1"]


def test_text_locators_find_by_text_content_desc_regex_and_index(play, make_flow, sim_device):
    run, _ = played(
        play,
        make_flow,
        sim_device,
        [
            {"action": "tap", "locator": by_text("Always works")},
            {"action": "tap", "locator": by_text("Close dialog")},  # its content-desc
            {"action": "tap", "locator": by_text('Say "hi" (it\'s 5$)')},
            {"action": "tap", "locator": by_text("Say .hi. \\(it's \\d\\$\\)", regex=True)},
            {"action": "assert", "locator": by_text("Buy", index=1)},
            {"action": "tap", "locator": by_text("Alw", regex=True), "timeout_ms": 100},
            {"action": "tap", "locator": by_text("Buy", index=2), "timeout_ms": 100},
        ],
        {"failure_behaviour": "continue"},
    )
    assert statuses(run)[:5] == ["pass"] * 5, errors(run)
    # A regex matches in full; there is no third "Buy".
    assert statuses(run)[5:] == ["fail", "fail"]
    assert "Element not found: text=/Alw/" in errors(run)[5]
    assert "Element not found: text='Buy'[2]" in errors(run)[6]


def test_scroll_to_swipes_until_the_element_shows(play, make_flow, sim_device):
    run, state = played(
        play,
        make_flow,
        sim_device,
        [
            {"action": "scroll_to", "locator": by_id("far-row")},
            {"action": "scroll_to", "locator": by_id("hidden"), "max_swipes": 2},
        ],
        {"restart_app": True, "failure_behaviour": "continue"},
    )
    assert statuses(run) == ["pass", "fail"]
    assert state["swipes"] == 4  # two to show far-row, two more in vain
    assert "id='hidden' not displayed after 2 swipes down" in errors(run)[1]


def test_waiting_for_a_spinner_to_go_and_asserting_it_is_gone(play, make_flow, sim_device):
    run, _ = played(
        play,
        make_flow,
        sim_device,
        [
            {"action": "assert_not_visible", "locator": by_id("spinner"), "timeout_ms": 0},
            {"action": "wait_until", "locator": by_id("spinner"), "visible": False},
            {"action": "assert_not_visible", "locator": by_id("spinner")},
            {"action": "assert_not_visible", "locator": by_id("nowhere")},
            {"action": "wait_until", "locator": by_id("ok")},
            {"action": "wait", "ms": 50},
        ],
        {"restart_app": True, "failure_behaviour": "continue"},
    )
    assert statuses(run) == ["fail", "pass", "pass", "pass", "pass", "pass"], errors(run)
    assert "id='spinner' still displayed" in errors(run)[0]


def test_the_app_is_stopped_cleared_and_launched_mid_flow(play, make_flow, sim_device):
    run, state = played(
        play,
        make_flow,
        sim_device,
        [
            {"action": "type", "locator": by_id("name"), "text": "kept"},
            {"action": "stop_app"},
            {"action": "tap", "locator": by_id("ok"), "timeout_ms": 0, "optional": True},
            {"action": "launch_app"},
            {"action": "assert", "locator": by_id("name"), "text": "kept"},
            {"action": "clear_app"},
            {"action": "launch_app"},
            {"action": "assert", "locator": by_id("name"), "text": "kept", "timeout_ms": 0,
             "optional": True},
            {"action": "press_key", "key": "home"},
            {"action": "launch_app"},
        ],
    )  # fmt: skip
    assert statuses(run) == ["pass", "pass", "fail", "pass", "pass", "pass", "pass", "fail",
                             "pass", "pass"], errors(run)  # fmt: skip
    # Optional steps failed; the run went on and passed.
    assert run.status == "success"
    # The run's own restart (restartApp), then the flow's stop, clear and launches.
    assert (state["terminations"], state["clears"], state["launches"]) == (2, 1, 4)
    assert state["keys"] == [3] and state["background"] is False
