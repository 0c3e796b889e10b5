"""The web device's own rules (playback/drivers/web.py): capabilities, locators as
CSS, the app's lifecycle on the page. Through the real Chromium: test_web_device.py."""

from __future__ import annotations

from typing import Any

import pytest

from playback.drivers import web, web_session
from playback.locators import Locator


@pytest.mark.parametrize(
    ("using", "value", "expected"),
    [
        ("id", "username", ("css selector", '[id="username"]')),
        ("id", 'a"b\\c', ("css selector", '[id="a\\"b\\\\c"]')),
        ("id", "1st", ("css selector", '[id="1st"]')),  # #1st would be invalid CSS
        ("accessibility id", "Cart", ("css selector", '[aria-label="Cart"]')),
        ("accessibility id", "two\nlines", ("css selector", '[aria-label="two\\a lines"]')),
        ("css selector", "#sign-in", ("css selector", "#sign-in")),
        ("xpath", "//button[text()='Go']", ("xpath", "//button[text()='Go']")),
    ],
)
def test_locators_become_what_the_chromium_driver_accepts(using, value, expected):
    driver = web.WebDriver(remote=None, where="web-1")
    assert driver.locate(Locator(using, value)) == expected


def caps(extra: dict[str, Any] | None = None, **settings: Any) -> dict[str, Any]:
    return web_session.build_web_capabilities(
        device_id="web-1", extra=extra, chromedriver_port=40123
    )


def test_a_web_session_is_headless_chromium_phone_sized_with_nothing_downloaded(settings):
    settings.PLAYBACK_WEB_PROFILES_DIR = "/var/profiles"
    got = caps()
    assert got["platformName"] == "linux" and got["browserName"] == "chrome"
    assert got["appium:automationName"] == "Chromium"
    assert got["appium:executable"] == "/usr/bin/chromedriver"
    assert got["appium:autodownloadEnabled"] is False
    assert got["appium:chromedriverPort"] == 40123
    chrome = got["goog:chromeOptions"]
    assert chrome["binary"] == "/usr/bin/chromium"
    assert "--headless=new" in chrome["args"] and "--no-sandbox" in chrome["args"]
    assert f"--user-data-dir={web_session.profile_of('web-1')}" in chrome["args"]
    assert str(web_session.profile_of("web-1")).startswith("/var/profiles/web-1-")
    assert chrome["mobileEmulation"]["deviceMetrics"]["width"] == 412


def test_a_device_may_choose_another_phone_and_add_arguments():
    other = {"deviceMetrics": {"width": 360, "height": 740, "pixelRatio": 3}}
    got = caps({"goog:chromeOptions": {"mobileEmulation": other, "args": ["--lang=fr"]}})
    chrome = got["goog:chromeOptions"]
    assert chrome["mobileEmulation"] == other
    assert chrome["args"][-1] == "--lang=fr" and "--headless=new" in chrome["args"]
    assert caps({"pageLoadStrategy": "eager"})["pageLoadStrategy"] == "eager"
    # The defaults are not changed by a device that chose its own.
    assert caps()["goog:chromeOptions"]["mobileEmulation"]["deviceMetrics"]["width"] == 412


@pytest.mark.parametrize("device_id", ["../../etc", "/abs/path", "a b/c", "..", "é"])
def test_a_devices_profile_stays_in_the_profiles_folder_whatever_its_id(device_id, settings):
    settings.PLAYBACK_WEB_PROFILES_DIR = "/var/profiles"
    profile = web_session.profile_of(device_id)
    assert profile.parent.as_posix() == "/var/profiles"
    assert profile.name not in (".", "..") and "/" not in profile.name
    assert web_session.profile_of(device_id) != web_session.profile_of(device_id + "x")


def test_a_missing_chromium_or_chromedriver_is_named(settings, tmp_path):
    assert web_session.missing_browser(caps()) is None
    settings.PLAYBACK_WEB_CHROMIUM = str(tmp_path / "chromium")
    assert web_session.missing_browser(caps()) == str(tmp_path / "chromium")
    settings.PLAYBACK_WEB_CHROMIUM = "/usr/bin/chromium"
    settings.PLAYBACK_WEB_CHROMEDRIVER = "/nowhere/chromedriver"
    assert web_session.missing_browser(caps()) == "/nowhere/chromedriver"


class Page:
    """A Remote stand-in: where the page is and what was asked of it."""

    def __init__(self, href: str, ready: str = "complete", redirects: dict | None = None):
        self.href, self.ready = href, ready
        self.redirects = redirects or {}  # where a URL ends up once loaded
        self.calls: list[tuple[str, Any]] = []

    def execute_script(self, script: str) -> Any:
        return self.href if script == web.PAGE_URL else [self.ready, self.href]

    def execute_async_script(self, script: str) -> Any:
        self.calls.append(("clear storage", self.href))
        return True

    def get(self, url: str) -> None:
        self.calls.append(("get", url))
        self.href = self.redirects.get(url, url)

    def get_screenshot_as_png(self) -> bytes:
        self.calls.append(("screenshot", self.href))
        return b"\x89PNG"

    @property
    def page_source(self) -> str:
        self.calls.append(("source", self.href))
        return "<html/>"

    def delete_all_cookies(self) -> None:
        self.calls.append(("delete cookies", self.href))


APP = "http://127.0.0.1:8000/demo-app/?overlay=0"


@pytest.mark.parametrize(
    ("href", "ready", "state"),
    [
        ("http://127.0.0.1:8000/demo-app/", "complete", 4),
        ("http://127.0.0.1:8000/demo-app/#/cart", "complete", 4),  # moved within the app
        ("http://127.0.0.1:8000/demo-app/", "loading", 2),
        ("about:blank", "complete", 1),
        ("data:,", "complete", 1),  # a new session's first page
        ("https://8.8.8.8/", "complete", 1),  # the app was left
    ],
)
def test_the_app_is_in_the_foreground_when_its_page_is_loaded(href, ready, state):
    driver = web.WebDriver(remote=Page(href, ready), where="web-1")
    assert driver.query_app_state(APP) == state


@pytest.mark.parametrize(
    ("start", "expected"),
    [
        ("about:blank", [("get", APP), ("delete cookies", APP), ("clear storage", APP)]),
        (
            "http://127.0.0.1:8000/demo-app/",
            [
                ("delete cookies", "http://127.0.0.1:8000/demo-app/"),
                ("clear storage", "http://127.0.0.1:8000/demo-app/"),
            ],
        ),
    ],
)
def test_clearing_the_data_happens_on_the_apps_origin_and_leaves_the_app(start, expected):
    page = Page(start)
    web.WebDriver(remote=page, where="web-1").clear_app(APP)
    assert page.calls == [*expected, ("get", "about:blank")]


def test_terminate_leaves_the_app_and_activate_opens_its_start_url():
    page = Page(APP)
    driver = web.WebDriver(remote=page, where="web-1")
    driver.terminate_app(APP)
    driver.activate_app(APP)
    assert page.calls == [("get", "about:blank"), ("get", APP)]


INTERNAL = "http://10.0.0.5/admin/"  # private: no web device may open it in development


def test_a_start_url_that_redirects_where_the_device_may_not_go_is_left_at_once():
    page = Page("about:blank", redirects={APP: INTERNAL})
    driver = web.WebDriver(remote=page, where="web-1")
    with pytest.raises(web.ForbiddenPage) as caught:
        driver.activate_app(APP)
    assert "http://10.0.0.5" in str(caught.value) and "PLAYBACK_WEB_ALLOWED_HOSTS" in str(
        caught.value
    )
    assert page.calls == [("get", APP), ("get", "about:blank")]


def test_a_start_url_the_device_may_not_open_is_never_opened():
    page = Page("about:blank")
    with pytest.raises(web.ForbiddenPage):
        web.WebDriver(remote=page, where="web-1").activate_app(INTERNAL)
    assert page.calls == []


@pytest.mark.parametrize("take", ["screenshot", "page_source"])
def test_nothing_of_a_forbidden_page_is_captured(take):
    page = Page(INTERNAL)  # a tap followed a link there
    with pytest.raises(web.ForbiddenPage):
        getattr(web.WebDriver(remote=page, where="web-1"), take)()
    assert page.calls == [("get", "about:blank")]


@pytest.mark.parametrize(
    "href", ["file:///etc/passwd", "view-source:http://10.0.0.5/", "chrome://settings/"]
)
def test_pages_of_other_schemes_are_never_shown(href):
    with pytest.raises(web.ForbiddenPage):
        web.WebDriver(remote=Page(href), where="web-1").screenshot()


@pytest.mark.parametrize("href", [APP, "about:blank", "chrome-error://chromewebdata/", "data:,"])
def test_the_app_and_the_browsers_own_pages_are_captured(href):
    page = Page(href)
    assert web.WebDriver(remote=page, where="web-1").screenshot() == b"\x89PNG"
    assert page.calls == [("screenshot", href)]


class Field:
    def __init__(self):
        self.typed: list[str] = []

    def send_keys(self, text: str) -> None:
        self.typed.append(text)


@pytest.mark.parametrize("length", [0, 1, 500, 501, 10_000])
def test_long_text_is_typed_in_chunks_each_one_command(length):
    text = "".join(chr(0x61 + n % 26) for n in range(length))
    field = Field()
    web.WebDriver(remote=Page("about:blank"), where="web-1").type_text(text, field)
    assert "".join(field.typed) == text
    assert all(len(chunk) <= web.TYPE_CHUNK for chunk in field.typed)
    assert len(field.typed) == max(1, -(-length // web.TYPE_CHUNK))


def test_a_link_the_device_may_not_open_is_never_opened_and_one_that_redirects_is_left():
    page = Page("about:blank", redirects={APP: INTERNAL})
    driver = web.WebDriver(remote=page, where="web-1")
    with pytest.raises(web.ForbiddenPage):
        driver.open_link(INTERNAL, APP)
    assert page.calls == []
    with pytest.raises(web.ForbiddenPage):
        driver.open_link(APP, APP)
    assert page.calls == [("get", APP), ("get", "about:blank")]
