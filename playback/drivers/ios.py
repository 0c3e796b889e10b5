"""iOS (XCUITest): where its calls differ from Android's (drivers/appium.py).

Text locators are an NSPredicate on `label` or `name`; hardware buttons are
`mobile: pressButton`, other keys WebDriver keys into the focused element; a deep
link names the app by `bundleId`.
"""

from __future__ import annotations

from typing import Any

from appium.webdriver.common.appiumby import AppiumBy
from selenium.common.exceptions import WebDriverException

from playback.drivers import text_locators
from playback.drivers.appium import AppiumDriver, CommandFailed
from playback.drivers.keys import KEYS, no_way
from playback.locators import Locator


class IosDriver(AppiumDriver):
    def text_matches(self, locator: Locator) -> list[Any]:
        predicate = text_locators.ios_predicate(locator.value, regex=locator.regex)
        return self.remote.find_elements(AppiumBy.IOS_PREDICATE, predicate)

    def press_key(self, key: str) -> None:
        known = KEYS[key]
        if known.ios_button:
            self._call(
                f"pressing {key}",
                lambda: self.remote.execute_script(
                    "mobile: pressButton", {"name": known.ios_button}
                ),
            )
        elif known.w3c:
            self.type_keys(known.w3c, f"pressing {key}")
        elif key == "back":
            self.back()
        else:
            raise CommandFailed(no_way(key, "ios"))

    def default_masks(self) -> list[tuple[int, int, int, int]]:
        """The status bar: the top of the screen as tall as XCUITest says it is."""
        try:
            info = self.remote.execute_script("mobile: deviceScreenInfo")
        except WebDriverException:
            return []
        size = (info or {}).get("statusBarSize") or {}
        if not size.get("height"):
            return []
        return [(0, 0, round(size["width"]), round(size["height"]))]

    def open_link(self, url: str, app_id: str) -> None:
        self._call(
            f"opening {url[:200]}",
            lambda: self.remote.execute_script(
                "mobile: deepLink", {"url": url, "bundleId": app_id}
            ),
        )
