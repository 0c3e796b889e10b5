"""Wave 3's actions and text locators on the web device: the demo web app in headless
Chromium through Appium's Chromium driver. The app's footer tells what the page saw
(the last gesture and on which element, the last key, the focused field); its pages
are history entries (back), and #cart-page opens the cart (a link)."""

from __future__ import annotations

from typing import Any

import pytest

from playback.models import Run

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.appium, pytest.mark.web]


def by_id(value: str) -> dict[str, str]:
    return {"using": "id", "value": value}


def by_text(value: str, **extra: Any) -> dict[str, Any]:
    return {"using": "text", "value": value, **extra}


def shows(element: str, text: str | None = None) -> dict[str, Any]:
    step: dict[str, Any] = {"action": "assert", "locator": by_id(element)}
    return step if text is None else {**step, "text": text}


def outcome(run: Run) -> list[tuple[str, str]]:
    return [(r.status, r.error) for r in run.step_results.order_by("step_number")]


def test_gestures_keys_and_the_keyboard_reach_the_page(play, web_flow, web_device):
    steps = [
        {"action": "long_press", "locator": by_id("username"), "duration": 700},
        shows("gesture", "long press on username"),
        {"action": "double_tap", "locator": by_text("Sign in", index=0)},  # the heading
        shows("gesture", "double tap on sign-in-page"),
        {"action": "tap", "locator": by_text("User name")},  # its aria-label
        {"action": "type", "text": "alicex"},
        {"action": "erase_text", "count": 1},
        {"action": "press_key", "key": "tab"},
        shows("last-key", "Tab"),
        shows("focused", "password"),
        {"action": "hide_keyboard"},
        shows("focused", "none"),
        {"action": "type", "locator": by_id("password"), "text": "pw"},
        {"action": "press_key", "key": "enter"},
        shows("welcome", "Welcome, alice"),
    ]
    run = play(web_flow(steps), web_device, {"clear_data": True})
    assert run.status == "success", outcome(run)


def test_history_links_scrolling_waits_and_the_app_lifecycle(play, web_flow, web_device, demo_app):
    steps = [
        {"action": "type", "locator": by_id("username"), "text": "alice"},
        {"action": "type", "locator": by_id("password"), "text": "pw"},
        {"action": "tap", "locator": by_text("Sign in", index=1)},  # the button
        {"action": "wait_until", "locator": by_id("list-status"), "visible": False},
        {"action": "scroll_to", "locator": by_text("Lime frisbee"), "max_swipes": 15},
        {"action": "tap", "locator": by_text("Lime frisbee")},
        shows("product-name", "Lime frisbee"),
        {"action": "back"},
        {"action": "assert_not_visible", "locator": by_id("product-page")},
        shows("welcome", "Welcome, alice"),
        {"action": "open_link", "url": f"{demo_app}#cart-page"},
        shows("cart-total", "Total: $0.00"),
        {"action": "stop_app"},
        {"action": "launch_app"},
        shows("welcome", "Welcome back, alice"),
        {"action": "clear_app"},
        {"action": "launch_app"},
        shows("username"),
        {"action": "wait", "ms": 100},
        {"action": "assert_not_visible", "locator": by_text("Sign .*", regex=True),
         "timeout_ms": 0, "optional": True},
    ]  # fmt: skip
    run = play(web_flow(steps), web_device, {"clear_data": True})
    results = outcome(run)
    assert [status for status, _ in results] == ["pass"] * 19 + ["fail"], results
    assert "still displayed" in results[-1][1]
    assert run.status == "success"  # the last step is optional
