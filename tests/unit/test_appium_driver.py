"""The Appium adapter's own rules: capabilities per platform and locator mapping."""

from __future__ import annotations

import pytest
from appium.webdriver.common.appiumby import AppiumBy

from playback.drivers.appium import LOCATOR_BY
from playback.drivers.session import build_capabilities
from playback.locators import LOCATOR_STRATEGIES


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


def test_a_simulated_device_names_its_app_in_its_own_capabilities():
    assert "appium:app" not in build_capabilities(platform="sim", device_id="s", extra={})
    caps = build_capabilities(platform="sim", device_id="s", extra={"appium:app": "/b.xml"})
    assert caps["appium:app"] == "/b.xml"


def test_every_locator_strategy_of_the_spec_maps_to_appium():
    assert set(LOCATOR_BY) == set(LOCATOR_STRATEGIES) - {"text"}
    assert LOCATOR_BY["-ios class chain"] == AppiumBy.IOS_CLASS_CHAIN
    assert LOCATOR_BY["-android uiautomator"] == AppiumBy.ANDROID_UIAUTOMATOR
    assert LOCATOR_BY["-ios predicate string"] == AppiumBy.IOS_PREDICATE
