"""The HTML report as a person opens it from a CI job, in a real browser at a desk's
width and a phone's: what failed comes first, a failure's screens open full size in
one click, simulated pictures say so, nothing scrolls sideways, every colour is AA.
Screenshots land in test-artifacts/browser/."""

from __future__ import annotations

import pytest

from playback.reports import html
from tests.helpers import tap
from tests.integration.conftest import ARTIFACTS, contrasts

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser, pytest.mark.appium]

# Each text's colour against the background it is drawn on (the report's own classes).
CONTRASTS = contrasts(".badge, .meta, .err, figcaption, a, ul.attempts")


def readable(page, name: str) -> None:
    page.screenshot(path=ARTIFACTS / f"{name}.png", full_page=True)
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"{name}: {overflow} px wider than the window"
    low = [c for c in page.evaluate(CONTRASTS) if c["ratio"] < 4.5]
    assert low == [], f"{name}: below WCAG AA 4.5:1: {low}"


def test_a_failed_runs_report_reads_failure_first_on_a_desk_and_on_a_phone(
    play,
    browser_page,
    make_flow,
    sim_device,
    tmp_path,
    settings,
):
    settings.PLAYBACK_PUBLIC_URL = "http://playback.test"
    flow = make_flow([tap("ok"), tap("hidden", timeout_ms=0), tap("ok-2")], name="Checkout")
    run = play(flow, sim_device, {"retry_per_step": 1, "failure_behaviour": "continue"})
    assert run.status == "partial_success"
    report = tmp_path / "report.html"
    report.write_text(html.run_report(run), encoding="utf-8")
    page = browser_page

    for width, name in ((1366, "12-report"), (390, "12b-report-phone")):
        page.set_viewport_size({"width": width, "height": 844})
        page.goto(report.as_uri())
        # The failure is on the first screen, before the steps table.
        failure = page.locator(".failure").first
        assert "Step 2: tap accessibility id='hidden'" in failure.inner_text()
        assert failure.bounding_box()["y"] < 844
        assert page.locator(".failure").count() == 1
        assert "simulated" in page.locator("figcaption").first.inner_text()
        readable(page, name)

    # One click on the failure's screen: the screenshot itself, full size.
    page.set_viewport_size({"width": 1366, "height": 900})
    page.locator(".failure figure a").first.click()
    shown = page.locator(".full:target img")
    assert shown.evaluate("img => img.naturalWidth") > 240  # not the thumbnail
    page.screenshot(path=ARTIFACTS / "12c-report-full-size.png")
    page.locator(".full:target a").click()
    assert page.locator(".full:target").count() == 0
    # The failed attempt's screen opens the same way; the title leads to the run.
    page.locator(".failure .small a").first.click()
    assert page.locator(".full:target img").evaluate("img => img.naturalWidth") > 240
    assert page.locator("h1 a").get_attribute("href") == (
        f"http://playback.test/admin/playback/run/{run.pk}/change/"
    )
