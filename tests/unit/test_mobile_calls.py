"""The Appium calls each action makes on Android (UiAutomator2) and iOS (XCUITest),
through the engine's real drivers on a remote that records what it is asked."""

from __future__ import annotations

from typing import Any

import pytest
from selenium.common.exceptions import NoSuchElementException

from flows.definitions import parse_step
from flows.models import Flow
from flows.models import Step as FlowStep
from playback import engine
from playback.drivers.appium import AppiumDriver, CommandFailed
from playback.drivers.ios import IosDriver
from playback.services.playing import engine_step

APP = "com.example.shop"


class Element:
    def __init__(self, name: str, remote: Recorder):
        self.name, self.remote = name, remote
        self.rect = {"x": 100, "y": 200, "width": 50, "height": 20}

    def is_displayed(self) -> bool:
        return self.name not in self.remote.hidden

    def click(self) -> None:
        self.remote.calls.append(("click", self.name))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Element) and other.name == self.name

    __hash__ = None  # type: ignore[assignment]


class Recorder:
    """A remote that finds every element it is asked for (but `missing` ones)."""

    def __init__(self, *, missing: tuple[str, ...] = (), hidden: tuple[str, ...] = ()):
        self.calls: list[tuple[Any, ...]] = []
        self.missing, self.hidden = set(missing), set(hidden)
        self.keyboard = True

    def find_element(self, by: str, value: str) -> Element:
        self.calls.append(("find_element", by, value))
        if value in self.missing:
            raise NoSuchElementException(value)
        return Element(value, self)

    def find_elements(self, by: str, value: str) -> list[Element]:
        self.calls.append(("find_elements", by, value))
        return [] if value in self.missing else [Element(f"{value}#0", self)]

    def execute_script(self, script: str, *args: Any) -> Any:
        self.calls.append(("execute_script", script, *args))
        return None

    def execute(self, command: str, params: dict[str, Any]) -> dict[str, Any]:
        kinds = [
            (action["type"], action.get("duration"))
            for source in params["actions"]
            for action in source["actions"]
        ]
        pointer = [source["parameters"] for source in params["actions"] if "parameters" in source]
        self.calls.append(("actions", kinds, pointer))
        return {"value": None}

    def get_window_size(self) -> dict[str, int]:
        self.calls.append(("get_window_size",))
        return {"width": 1000, "height": 2000}

    def __getattr__(self, name: str) -> Any:
        def record(*args: Any) -> Any:
            self.calls.append((name, *args))
            answers = {"is_keyboard_shown": self.keyboard, "query_app_state": 4}
            return answers.get(name)

        return record


def played(driver_class, data: dict[str, Any], **remote: Any) -> list[tuple[Any, ...]]:
    recorder = Recorder(**remote)
    driver = driver_class(recorder, where="device d")
    step = engine_step_of(data)
    context = engine.Context(timeout_ms=0, app_id=APP, sleep=lambda s: None)
    step_spec(step).play(driver, step, context)
    return recorder.calls


def engine_step_of(data: dict[str, Any]) -> engine.Step:
    """The step as a flow stores it (unsaved) and the engine plays it."""
    return engine_step(FlowStep.from_definition(Flow(), parse_step(data, 1)))


def step_spec(step: engine.Step):
    from playback import actions

    return actions.spec_for(step.action)


HOLD = [("pointerMove", 0), ("pointerDown", 0), ("pause", 1000), ("pointerUp", 0)]


@pytest.mark.parametrize(
    ("data", "android", "ios"),
    [
        (
            {"action": "long_press", "x": 5, "y": 6},
            [("actions", HOLD, [{"pointerType": "touch"}])],
            [("actions", HOLD, [{"pointerType": "touch"}])],
        ),
        ({"action": "back"}, [("back",)], [("back",)]),
        (
            {"action": "hide_keyboard"},
            [("is_keyboard_shown",), ("hide_keyboard",)],
            [("is_keyboard_shown",), ("hide_keyboard",)],
        ),
        (
            {"action": "press_key", "key": "home"},
            [("press_keycode", 3)],
            [("execute_script", "mobile: pressButton", {"name": "home"})],
        ),
        (
            {"action": "press_key", "key": "volume_up"},
            [("press_keycode", 24)],
            [("execute_script", "mobile: pressButton", {"name": "volumeUp"})],
        ),
        (
            {"action": "open_link", "url": "shop://cart"},
            [("execute_script", "mobile: deepLink", {"url": "shop://cart", "package": APP})],
            [("execute_script", "mobile: deepLink", {"url": "shop://cart", "bundleId": APP})],
        ),
        ({"action": "launch_app"}, [("activate_app", APP)], [("activate_app", APP)]),
        ({"action": "stop_app"}, [("terminate_app", APP)], [("terminate_app", APP)]),
        (
            {"action": "clear_app"},
            [("execute_script", "mobile: clearApp", {"appId": APP})],
            [("execute_script", "mobile: clearApp", {"appId": APP})],
        ),
    ],
    ids=lambda value: value.get("action") + value.get("key", "") if isinstance(value, dict) else "",
)
def test_each_action_makes_its_platforms_calls(data, android, ios):
    for driver_class, expected in ((AppiumDriver, android), (IosDriver, ios)):
        calls = played(driver_class, data)
        if data["action"] == "launch_app":  # then it waits for the foreground
            calls = calls[:1]
        assert calls == expected, driver_class.__name__


def test_erase_text_is_count_backspaces_in_one_key_action():
    (call,) = played(AppiumDriver, {"action": "erase_text", "count": 3})
    assert call[0] == "actions"
    assert [kind for kind, _ in call[1] if kind == "keyDown"] == ["keyDown"] * 3


def test_a_double_tap_is_two_presses_in_one_pointer_action():
    (call,) = played(AppiumDriver, {"action": "double_tap", "x": 5, "y": 6})
    assert [kind for kind, _ in call[1]].count("pointerDown") == 2


def test_a_long_press_on_an_element_lands_on_its_centre():
    calls = played(AppiumDriver, {"action": "long_press", "locator": {"using": "id", "value": "a"}})
    assert calls[0] == ("find_element", "id", "a")
    assert calls[-1][0] == "actions"


def test_keys_with_no_ios_button_are_typed_and_others_are_refused():
    calls = played(IosDriver, {"action": "press_key", "key": "enter"})
    assert calls[0][0] == "actions"
    with pytest.raises(CommandFailed, match="cannot be pressed on a ios device"):
        played(IosDriver, {"action": "press_key", "key": "power"})


@pytest.mark.parametrize(
    ("locator", "android", "ios"),
    [
        (
            {"using": "text", "value": 'Say "hi"'},
            [
                'new UiSelector().text("Say \\"hi\\"")',
                'new UiSelector().description("Say \\"hi\\"")',
            ],
            ['label == "Say \\"hi\\"" OR name == "Say \\"hi\\""'],
        ),
        (
            {"using": "text", "value": "Total: \\d+", "regex": True},
            [
                'new UiSelector().textMatches("Total: \\\\d+")',
                'new UiSelector().descriptionMatches("Total: \\\\d+")',
            ],
            ['label MATCHES "Total: \\\\d+" OR name MATCHES "Total: \\\\d+"'],
        ),
    ],
)
def test_a_text_locator_is_passed_as_an_escaped_literal(locator, android, ios):
    data = {"action": "tap", "locator": locator}
    calls = played(AppiumDriver, data)
    assert [call[2] for call in calls if call[0] == "find_elements"] == android
    calls = played(IosDriver, data)
    assert [call[2] for call in calls if call[0] == "find_elements"] == ios


def test_an_index_picks_the_nth_match_and_past_the_last_is_not_found():
    data = {"action": "tap", "locator": {"using": "id", "value": "row", "index": 1}}
    with pytest.raises(CommandFailed, match=r"Element not found: id='row'\[1\]"):
        played(AppiumDriver, data)


def test_scroll_to_swipes_from_the_centre_to_ten_percent_from_the_edge():
    data = {"action": "scroll_to", "locator": {"using": "id", "value": "far"}, "max_swipes": 1}
    with pytest.raises(LookupError, match="not displayed after 1 swipes down"):
        played(AppiumDriver, data, missing=("far",))
