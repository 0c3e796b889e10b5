"""Visual assertions on the web device (the demo web shop in headless Chromium through
Appium's Chromium driver): a flow with assert_screen fails with no baseline, is
approved in one click (the API), passes unchanged, fails with a red diff after a
change on the page, and passes with that region masked."""

from __future__ import annotations

import io

import pytest
from django.core.files.storage import default_storage
from PIL import Image

from playback.visual.models import Baseline

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.appium, pytest.mark.web]

SIGN_IN_SCREEN = {"action": "assert_screen", "name": "sign-in"}
TYPE_BOB = {"action": "type", "locator": {"using": "id", "value": "username"}, "text": "bob"}
# What typing changes: the field, and the page's footer (its last key and focus).
MASKED = {
    **SIGN_IN_SCREEN,
    "masks": [{"using": "id", "value": "username"}, {"using": "css selector", "value": "footer"}],
}


def test_a_screen_is_approved_once_then_guards_the_page(
    play, make_flow, demo_app, web_device, member
):
    from rest_framework.authtoken.models import Token
    from rest_framework.test import APIClient

    def flow(*steps):
        return make_flow(list(steps), name="visual", platform="web", app_id=f"{demo_app}?")

    def played(*steps):
        run = play(flow(*steps), web_device, {"clear_data": True})
        return run, run.step_results.order_by("step_number").last()

    run, step = played(SIGN_IN_SCREEN)
    assert step.status == "fail"
    assert step.error.endswith("no approved baseline for 'sign-in' on web 412x915")
    candidate = step.visual["candidate_id"]

    editor = APIClient()
    token = Token.objects.create(user=member("editor"))
    editor.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    approved = editor.post(f"/api/baselines/{candidate}/approve/")
    assert (approved.status_code, approved.json()["status"]) == (200, "approved")

    run, step = played(SIGN_IN_SCREEN)
    assert (run.status, step.visual["diff_pixels"]) == ("success", 0)

    run, step = played(TYPE_BOB, SIGN_IN_SCREEN)
    assert step.status == "fail"
    assert "differs from its baseline (v1 on web 412x915)" in step.error
    with (
        default_storage.open(step.visual["diff"]) as handle,
        Image.open(io.BytesIO(handle.read())) as diff,
    ):
        red = [
            (x, y)
            for y in range(0, diff.height, 2)
            for x in range(0, diff.width, 2)
            if diff.getpixel((x, y)) == (255, 0, 0)
        ]
    assert red, "the diff paints what changed red"
    resource = editor.get(f"/api/playback/runs/{run.pk}/").json()["steps"][-1]["visual"]
    assert resource["diff"] and resource["baseline"] and resource["actual"]

    run, step = played(TYPE_BOB, MASKED)
    assert run.status == "success", step.error
    assert step.visual["diff_pixels"] == 0
    assert Baseline.objects.filter(status="approved").count() == 1


@pytest.mark.browser
def test_a_lead_approves_a_screen_from_the_run_page_in_one_click(
    play, make_flow, demo_app, web_device, browser_page, live_server, django_user_model
):
    from tests.integration.test_admin_browser import look, sign_in

    django_user_model.objects.create_superuser("lead", password="lead-password")
    flow = make_flow([SIGN_IN_SCREEN], name="visual", platform="web", app_id=f"{demo_app}?")
    run = play(flow, web_device, {"clear_data": True})
    candidate = run.step_results.get().visual["candidate_id"]
    page = browser_page
    sign_in(page, live_server, f"/admin/playback/run/{run.pk}/change/")
    look(page, "32-visual-no-baseline")
    with page.expect_navigation():
        page.click("button.pb-approve")
    assert "version 1 approved" in page.inner_text(".messagelist")
    assert Baseline.objects.get(pk=candidate).status == "approved"

    run = play(make_flow([TYPE_BOB, SIGN_IN_SCREEN], name="visual", platform="web",
                         app_id=f"{demo_app}?"), web_device, {"clear_data": True})  # fmt: skip
    page.goto(f"{live_server.url}/admin/playback/run/{run.pk}/change/")
    loaded = "[...document.querySelectorAll('.pb-visual img')].every((i) => i.naturalWidth)"
    page.wait_for_function(loaded)
    page.fill(".pb-visual-slider input[type=range]", "20")
    look(page, "33-visual-diff")
    page.goto(f"{live_server.url}/admin/flows/flow/{flow.pk}/change/")
    page.click("#pb-baselines")
    page.wait_for_selector("img.pb-baseline")
    look(page, "34-baselines")
    assert page.locator("img.pb-baseline").count() == 2  # v1 approved, v2 the new candidate
