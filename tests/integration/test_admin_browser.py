"""A QA lead's three clicks, in a real browser: Debian's Chromium driven by
Playwright against a live server. Screenshots land in test-artifacts/browser/."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.db import connections

from playback.models import Run
from tests.helpers import tap

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser, pytest.mark.appium]

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
ARTIFACTS = Path(django_settings.BASE_DIR) / "test-artifacts" / "browser"


@pytest.fixture
def browser_page(live_server):
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in this thread; the test's own ORM
    # calls stay synchronous.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.set_default_timeout(15_000)
        yield page
        browser.close()
        # ORM calls made while Playwright's loop ran used connections of that
        # context: close them here, or the test database cannot be dropped.
        connections.close_all()
    os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)


def test_a_qa_lead_finds_a_failed_run_sees_its_screenshots_and_reruns_it(
    play, browser_page, live_server, django_user_model, make_flow, sim_device
):
    django_user_model.objects.create_superuser("lead", password="lead-password")
    checkout = make_flow([tap("ok"), tap("find-once", timeout_ms=0), tap("hidden"), tap("ok-2")],
                         name="Checkout")  # fmt: skip
    login = make_flow([tap("ok"), tap("ok-2")], name="Login")
    play(login, sim_device)
    play(checkout, sim_device, {"retry_per_step": 1, "failure_behaviour": "stop"})
    failed = play(checkout, sim_device, {"retry_per_step": 1, "failure_behaviour": "continue"})
    assert failed.status == "partial_success"
    page = browser_page

    page.goto(f"{live_server.url}/admin/login/?next=/admin/playback/run/")
    page.fill("#id_username", "lead")
    page.fill("#id_password", "lead-password")
    page.click("input[type=submit]")
    page.wait_for_url("**/admin/playback/run/")
    page.screenshot(path=ARTIFACTS / "01-runs.png", full_page=True)

    # Click 1: the outcome filter (failed, partial success or error).
    page.click("#changelist-filter a:text-is('Did not pass (failed, partial, error)')")
    page.wait_for_url("**outcome=not_passed**")
    rows = page.locator("#result_list tbody tr")
    assert rows.count() == 2
    assert page.locator("#result_list .pb-badge").all_inner_texts() == ["Partial success"] * 2
    page.screenshot(path=ARTIFACTS / "02-failed-runs.png", full_page=True)

    # Click 2: the newest failed run; every executed step shows its screenshot.
    page.click(f"#result_list a:text-is('{failed.pk}')")
    page.wait_for_url(f"**/admin/playback/run/{failed.pk}/change/**")
    step_rows = page.locator(".inline-related tbody tr.has_original, .inline-related tbody tr")
    assert "Failed after 2 attempts" in page.content()
    images = page.locator("a.pb-shot img")
    assert images.count() == 4
    for i in range(images.count()):
        images.nth(i).scroll_into_view_if_needed()
        width = images.nth(i).evaluate(
            "img => img.complete ? img.naturalWidth"
            " : new Promise(done => { img.onload = () => done(img.naturalWidth);"
            " img.onerror = () => done(0); })"
        )
        assert width > 0
    assert step_rows.count() >= 4
    page.screenshot(path=ARTIFACTS / "03-failed-run.png", full_page=True)

    # The full screenshot opens from the thumbnail.
    with page.expect_popup() as popup:
        images.nth(2).click()
    full = popup.value
    full.wait_for_load_state()
    assert full.evaluate("document.images[0].naturalWidth") > 0
    full.close()

    # Click 3 (from the filtered list): "Re-run failed" on the selection.
    page.go_back()
    page.wait_for_url("**outcome=not_passed**")
    page.check("#action-toggle")
    page.select_option("select[name=action]", "rerun_failed")
    page.click("button[name=index]")
    page.wait_for_selector(".messagelist")
    assert "Queued 2 re-run(s)" in page.inner_text(".messagelist")
    page.screenshot(path=ARTIFACTS / "04-rerun-queued.png", full_page=True)

    page.goto(f"{live_server.url}/admin/playback/run/?status__exact=queued")
    assert page.locator("#result_list .pb-badge").all_inner_texts() == ["Queued", "Queued"]
    page.screenshot(path=ARTIFACTS / "05-queued-runs.png", full_page=True)
    queued = Run.objects.filter(status="queued").order_by("pk")
    assert [r.rerun_of_id for r in queued] == sorted(
        Run.objects.filter(status="partial_success").values_list("pk", flat=True)
    )
