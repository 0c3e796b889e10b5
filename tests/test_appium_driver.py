"""The Appium adapter's own rules: capabilities per platform and locator mapping."""

from __future__ import annotations

import pytest
from appium.webdriver.common.appiumby import AppiumBy

from flows.definitions import LOCATOR_STRATEGIES
from playback.drivers.appium import LOCATOR_BY, build_capabilities


@pytest.mark.parametrize(
    ("platform", "name", "automation"),
    [("android", "Android", "UiAutomator2"), ("ios", "iOS", "XCUITest"), ("sim", "Fake", "Fake")],
)
def test_capabilities_name_the_platform_and_its_automation(platform, name, automation):
    caps = build_capabilities(platform=platform, device_id="emulator-5554", extra={})
    assert caps["platformName"] == name
    assert caps["appium:automationName"] == automation
    assert caps["appium:udid"] == "emulator-5554"
    assert caps["appium:noReset"] is True


def test_device_capabilities_are_merged_and_win():
    caps = build_capabilities(
        platform="android",
        device_id="R58M",
        extra={"appium:automationName": "Espresso", "appium:avd": "Pixel_7"},
    )
    assert caps["appium:automationName"] == "Espresso"
    assert caps["appium:avd"] == "Pixel_7"


def test_the_simulated_device_gets_the_demo_app_unless_it_names_one():
    assert (
        build_capabilities(platform="sim", device_id="s", extra={}, sim_app="/a.xml")["appium:app"]
        == "/a.xml"
    )
    caps = build_capabilities(
        platform="sim", device_id="s", extra={"appium:app": "/b.xml"}, sim_app="/a.xml"
    )
    assert caps["appium:app"] == "/b.xml"


def test_every_locator_strategy_of_the_spec_maps_to_appium():
    assert set(LOCATOR_BY) == set(LOCATOR_STRATEGIES)
    assert LOCATOR_BY["-ios class chain"] == AppiumBy.IOS_CLASS_CHAIN
    assert LOCATOR_BY["-android uiautomator"] == AppiumBy.ANDROID_UIAUTOMATOR
    assert LOCATOR_BY["-ios predicate string"] == AppiumBy.IOS_PREDICATE
