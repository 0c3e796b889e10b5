"""A QA lead's three clicks, in a real browser: Debian's Chromium driven by
Playwright against a live server. Screenshots land in test-artifacts/browser/."""

from __future__ import annotations

import pytest

from playback.models import Run
from tests.helpers import tap
from tests.integration.conftest import ARTIFACTS, contrasts

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser, pytest.mark.appium]

# Each custom element's text colour against the background it is drawn on.
CONTRASTS = contrasts(".pb-badge, .pb-button, .pb-count, .pb-muted, .pb-errtext, .pb-what")


# An image's width once it has loaded (0 if it cannot be).
IMAGE_WIDTH = (
    "img => img.complete ? img.naturalWidth"
    " : new Promise(done => { img.onload = () => done(img.naturalWidth);"
    " img.onerror = () => done(0); })"
)


# The results table fits its place (no column hidden behind a sideways scroll).
TABLE_FITS = (
    "() => { const t = document.querySelector('#result_list');"
    " return t.scrollWidth <= t.parentElement.clientWidth + 1; }"
)


def look(page, name: str) -> None:
    """Save what the page shows; it fits 1366 px and every custom colour is AA."""
    page.screenshot(path=ARTIFACTS / f"{name}.png", full_page=True)
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"{name}: {overflow} px wider than the window"
    low = [c for c in page.evaluate(CONTRASTS) if c["ratio"] < 4.5]
    assert low == [], f"{name}: below WCAG AA 4.5:1: {low}"


def on_a_phone(page, name: str) -> None:
    """At 390 px the page does not scroll sideways (its tables wrap or scroll inside)."""
    page.set_viewport_size({"width": 390, "height": 844})
    page.screenshot(path=ARTIFACTS / f"{name}.png", full_page=True)
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    page.set_viewport_size({"width": 1366, "height": 900})
    assert overflow <= 0, f"{name}: {overflow} px wider than a phone"


def sign_in(page, live_server, then: str) -> None:
    """Sign in as the lead (password "lead-password") and land on `then`."""
    page.goto(f"{live_server.url}/admin/login/?next={then}")
    page.fill("#id_username", "lead")
    page.fill("#id_password", "lead-password")
    page.click("input[type=submit]")
    page.wait_for_url(f"**{then}")


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

    sign_in(page, live_server, "/admin/")
    sections = page.locator("#content-main .module caption").all_inner_texts()
    assert sections[0].lower().startswith("run history")
    first = page.locator("#content-main .module").first.locator("th a").all_inner_texts()
    assert first == ["Runs", "Batches", "Batch schedules", "Flows", "Devices", "Flaky steps",
                     "Failure groups", "Quarantines", "Baselines"]  # fmt: skip
    look(page, "00-index")

    page.goto(f"{live_server.url}/admin/playback/run/")
    look(page, "01-runs")

    # Click 1: the outcome filter (failed, partial success or error).
    page.click("#changelist-filter a:text-is('Did not pass (failed, partial, error)')")
    page.wait_for_url("**outcome=not_passed**")
    rows = page.locator("#result_list tbody tr")
    assert rows.count() == 2
    assert page.locator("#result_list .pb-badge").all_inner_texts() == ["Partial success"] * 2
    look(page, "02-failed-runs")

    # Click 2: the newest failed run: what each step did, its screenshots, the way
    # to its first failure.
    page.click(f"#result_list a:text-is('{failed.pk}')")
    page.wait_for_url(f"**/admin/playback/run/{failed.pk}/change/**")
    assert "Failed after 2 attempts" in page.content()
    assert page.locator(".pb-what").all_inner_texts() == [
        "tap accessibility id='ok'",
        "tap accessibility id='find-once'",
        "tap accessibility id='hidden'",
        "tap accessibility id='ok-2'",
    ]
    images = page.locator("a.pb-shot img")
    # Each step's final screen, and beside it the screen of each failed attempt
    # (find-once: 1, hidden: 2), each with its UI source.
    assert images.count() == 4 + 3
    assert page.locator("img[alt$='(failed) screenshot']").count() == 3
    assert page.locator(".pb-attempt a:text-is('source')").count() == 3
    for i in range(images.count()):
        images.nth(i).scroll_into_view_if_needed()
        width = images.nth(i).evaluate(IMAGE_WIDTH)
        assert width > 0
    page.click("#pb-first-failure")
    assert page.url.endswith("#step-3")
    page.evaluate("window.scrollTo(0, 0)")
    look(page, "03-failed-run")

    # The thumbnail opens the viewer: the step's facts and its neighbours.
    page.locator(f"a.pb-shot[href$='/run/{failed.pk}/steps/3/']").click()
    page.wait_for_url(f"**/admin/playback/run/{failed.pk}/steps/3/")
    assert "step 3 of 4" in page.inner_text(".pb-viewer-nav")
    assert "Failed after 2 attempts" in page.inner_text(".pb-viewer-facts")
    assert page.evaluate("document.querySelector('.pb-viewer-shot img').naturalWidth") > 0
    # "Simulated screen" is said above the picture, on the first screen.
    label = page.locator(".pb-simulated").bounding_box()
    assert label is not None and label["y"] + label["height"] <= 900
    look(page, "04-step-viewer")
    page.click("#pb-next")
    page.wait_for_url("**/steps/4/")
    assert "step 4 of 4" in page.inner_text(".pb-viewer-nav")

    # Click 3 (from the filtered list): "Re-run failed" on the selection.
    page.goto(f"{live_server.url}/admin/playback/run/?outcome=not_passed")
    page.check("#action-toggle")
    page.select_option("select[name=action]", "rerun_failed")
    page.click("button[name=index]")
    page.wait_for_selector(".messagelist")
    message = page.locator(".messagelist li").first
    assert message.inner_text().startswith("Queued 2 re-runs:")
    assert message.locator("a").count() == 4  # each new run and the run it re-runs
    look(page, "05-rerun-queued")

    page.goto(f"{live_server.url}/admin/playback/run/?status__exact=queued")
    assert page.locator("#result_list .pb-badge").all_inner_texts() == ["Queued", "Queued"]
    look(page, "06-queued-runs")
    # Every column readable: the list (requested by, re-run of filled in) fits 1366 px,
    # and on a phone (390 px) status and flow show first, on the screen.
    page.goto(f"{live_server.url}/admin/playback/run/")
    assert page.evaluate(TABLE_FITS), "the runs list is wider than its place"
    page.set_viewport_size({"width": 390, "height": 844})
    status = page.locator("#result_list tbody tr").first.locator("td.field-status_badge")
    box = status.bounding_box()
    assert box is not None and box["x"] + box["width"] <= 390
    page.screenshot(path=ARTIFACTS / "06b-runs-phone.png", full_page=True)
    page.set_viewport_size({"width": 1366, "height": 900})
    queued = Run.objects.filter(status="queued").order_by("pk")
    assert [r.rerun_of_id for r in queued] == sorted(
        Run.objects.filter(status="partial_success").values_list("pk", flat=True)
    )
    page.goto(f"{live_server.url}/admin/playback/run/{queued.last().pk}/change/")
    assert page.inner_text("#pb-waiting") == (
        f"Device sim-1 is given to run #{queued.first().pk}, which waits for a worker to start it."
    )
    look(page, "07-queued-run")

    # A flow's page: its runs and a readable "Play on a device".
    page.goto(f"{live_server.url}/admin/flows/flow/{checkout.pk}/change/")
    look(page, "08-flow")
    page.click("#pb-play")
    page.wait_for_url(f"**/admin/flows/flow/{checkout.pk}/play/")
    look(page, "09-play-form")

    # Devices: whether their Appium answers, and a check on request.
    page.goto(f"{live_server.url}/admin/playback/device/{sim_device.pk}/change/")
    page.click("#pb-probe")
    page.wait_for_selector(".messagelist")
    assert "answers" in page.inner_text(".messagelist")
    look(page, "10-device")
    page.goto(f"{live_server.url}/admin/playback/device/")
    look(page, "11-devices")


# What a step's image shows: its size and the colour of its top-left corner (the demo
# web shop's blue header bar, or whatever the simulated device's picture has there).
PICTURE = """img => new Promise(done => {
  const read = () => {
    const c = document.createElement('canvas');
    [c.width, c.height] = [img.naturalWidth, img.naturalHeight];
    const g = c.getContext('2d');
    g.drawImage(img, 0, 0);
    done({width: c.width, height: c.height, corner: [...g.getImageData(8, 8, 1, 1).data],
          pixels: c.toDataURL().length});
  };
  img.complete && img.naturalWidth ? read() : (img.onload = read);
})"""


@pytest.mark.web
def test_a_web_runs_page_shows_the_apps_real_screens_step_by_step(
    play, browser_page, live_server, django_user_model, make_flow, make_device, appium_server,
    settings, tmp_path,
):  # fmt: skip
    settings.PLAYBACK_WEB_PROFILES_DIR = tmp_path / "profiles"
    django_user_model.objects.create_superuser("lead", password="lead-password")
    device = make_device(appium_server.url, platform="web", device_id="web-1", capabilities={})
    steps = [
        {"action": "type", "locator": {"using": "id", "value": "username"}, "text": "alice"},
        {"action": "type", "locator": {"using": "id", "value": "password"}, "text": "pw"},
        tap("sign-in", using="id"),
        {"action": "assert", "locator": {"using": "id", "value": "welcome"}, "text": "alice"},
    ]
    flow = make_flow(steps, platform="web", app_id=f"{live_server.url}/demo-app/")
    run = play(flow, device, {"clear_data": True})
    assert run.status == "success"
    page = browser_page
    sign_in(page, live_server, f"/admin/playback/run/{run.pk}/change/")
    assert page.locator(".pb-simulated").count() == 0  # real screens, not the sim's picture
    shots = [page.locator(f"img[alt='step {n} screenshot']").evaluate(PICTURE) for n in (1, 4)]
    assert shots[0] != shots[1]  # the sign-in form, then the product list
    for shot in shots:
        assert shot["height"] > shot["width"] > 100  # a phone's portrait screen
        red, green, blue = shot["corner"][:3]  # the shop's blue header bar (#2d5be3)
        assert blue > 200 and red < 100 and green < 130, shot["corner"]
    page.locator("#step-1").scroll_into_view_if_needed()
    look(page, "12-web-run")
    page.locator("a.pb-shot[href$='/steps/4/']").click()
    page.wait_for_url(f"**/admin/playback/run/{run.pk}/steps/4/")
    page.locator(".pb-viewer-shot img").screenshot(path=ARTIFACTS / "13-web-step-4.png")
    look(page, "13-web-step-viewer")


def test_a_qa_lead_finds_the_flaky_step_its_failure_group_and_the_last_good_run(
    play, browser_page, live_server, django_user_model, flow, device
):
    from tests.insights_history import play_history

    django_user_model.objects.create_superuser("lead", password="lead-password")
    history = play_history(play, flow, device)
    page = browser_page
    sign_in(page, live_server, "/admin/")
    page.click("#content-main a:text-is('Flaky steps')")
    page.wait_for_url("**/admin/playback/flakystep/")
    assert page.locator("#pb-flaky-steps .pb-what").all_inner_texts() == ["tap id='b'"]
    assert page.locator("#pb-flaky-steps svg rect").count() == len(history)
    page.fill("#id_window", "10")
    page.click("#pb-window-form button")
    page.wait_for_url("**window=10**")
    look(page, "14-flaky-steps")
    on_a_phone(page, "14b-flaky-steps-phone")

    page.goto(f"{live_server.url}/admin/playback/failuregroup/")
    assert page.locator("#pb-failure-groups tbody tr").count() == 2
    look(page, "15-failure-groups")
    page.locator("#pb-failure-groups a.pb-group-runs").first.click()
    page.wait_for_url("**failure_group=**")
    assert page.locator("#result_list tbody tr").count() >= 1
    assert "Element not found: id='" in page.inner_text("#changelist-filter")  # not a hash
    look(page, "16-failure-group-runs")

    page.goto(f"{live_server.url}/admin/playback/run/{history[3].pk}/change/")
    assert page.locator(".pb-marker-new_failure").count() >= 1
    page.click("#pb-compare")
    # The last pass before it (history[2], b flaky then), not the later one.
    page.wait_for_url(f"**/run/{history[3].pk}/compare/{history[2].pk}/")
    assert page.locator("tr.pb-differs-row").count() == 2
    shots = page.locator("#pb-compare-table img")
    assert shots.count() == 2 * 3  # each step's screen, on both sides
    for i in range(shots.count()):
        assert shots.nth(i).evaluate(IMAGE_WIDTH) > 0
    look(page, "17-compare")
    on_a_phone(page, "17c-compare-phone")
    # Against a run played with other settings, those come first.
    page.goto(f"{live_server.url}/admin/playback/run/{history[3].pk}/compare/{history[4].pk}/")
    assert "Retries per step: 1 in run" in page.inner_text("#pb-settings-differ")
    look(page, "17b-compare-settings")
    page.goto(f"{live_server.url}/admin/flows/flow/{flow.pk}/change/")
    assert page.locator("#pb-trends svg.pb-days rect").count() >= 30
    page.locator("#pb-trends").scroll_into_view_if_needed()
    look(page, "18-flow-trends")


def test_a_qa_lead_follows_a_batch_reruns_what_failed_and_schedules_the_suite(
    browser_page, live_server, django_user_model, make_flow, make_device
):
    from playback import services
    from tests.batches import drain
    from tests.scripted_driver import ScriptedDriver

    django_user_model.objects.create_superuser("lead", password="lead-password")
    for i in range(4):
        make_flow([tap("a", using="id"), tap("b", using="id")], name=f"smoke {i}").set_tags(
            ["smoke"]
        )
    for name in ("pixel-1", "pixel-2"):
        make_device("http://127.0.0.1:9", device_id=name)
    batch = services.start_batch(tag="smoke", devices=["pixel-1", "pixel-2"])
    drain(batch, {"pixel-1": ScriptedDriver(), "pixel-2": ScriptedDriver(find_failures={"b": 9})})
    page = browser_page
    sign_in(page, live_server, "/admin/playback/batch/")
    assert page.locator("#result_list tbody tr").count() == 1
    assert page.locator("#result_list progress").get_attribute("value") == "4"
    look(page, "19-batches")
    page.click(f"#result_list a:text-is('{batch.pk}')")
    page.wait_for_url(f"**/admin/playback/batch/{batch.pk}/change/")
    assert page.locator("#pb-batch-runs tbody tr").count() == 4
    look(page, "20-batch")
    page.click("#pb-rerun-failed")
    page.wait_for_url("**/admin/playback/batch/*/change/")
    assert "the failed runs of" in page.inner_text(".messagelist")
    assert page.locator("#pb-batch-runs tbody tr").count() == 2  # pixel-2's flows again

    page.goto(f"{live_server.url}/admin/playback/batchschedule/add/")
    page.fill("#id_name", "Nightly smoke")
    page.fill("#id_tag", "smoke")
    page.select_option("#id_platform", "sim")
    page.fill("#id_cron", "0 2 * * 1-5")
    page.click("input[name=_continue]")
    page.wait_for_url("**/admin/playback/batchschedule/*/change/**")
    preview = page.inner_text(".field-preview")
    assert preview.count("02:00") == 5 and "Sat" not in preview and "Sun" not in preview
    look(page, "21-schedule")


def test_a_lead_adds_a_webhook_reads_a_failed_delivery_and_redelivers_it(
    browser_page, live_server, django_user_model
):
    from playback.webhooks import delivery
    from playback.webhooks.models import WebhookDelivery, WebhookEndpoint
    from tests.unit.test_webhooks import Receiver

    django_user_model.objects.create_superuser("lead", password="lead-password")
    receiver = Receiver([500, 200])
    page = browser_page
    sign_in(page, live_server, "/admin/playback/webhookendpoint/add/")
    page.fill("#id_url", receiver.url)
    page.check("input[name=events][value='run.failed']")
    page.check("input[name=events][value='batch.finished']")
    # What signs a delivery reads whole (no part of it taken for HTML), events as sent.
    assert "X-Playback-Timestamp, a dot and the raw body" in page.inner_text("#content")
    assert "run.finished" in page.inner_text("#id_events")
    look(page, "23-webhook-add")
    page.click("input[name=_save]")
    page.wait_for_url("**/admin/playback/webhookendpoint/")
    endpoint = WebhookEndpoint.objects.get()
    assert endpoint.events == ["run.failed", "batch.finished"] and len(endpoint.secret) > 30
    payload = {"event": "run.failed", "data": {"run_id": 7}}
    item = WebhookDelivery.objects.create(endpoint=endpoint, event="run.failed", payload=payload)
    assert delivery.deliver(item.pk) == "retrying"  # the receiver answered 500
    page.goto(f"{live_server.url}/admin/playback/webhookdelivery/{item.pk}/change/")
    assert "The receiver answered 500." in page.content()
    look(page, "24-webhook-delivery")
    page.click("#pb-redeliver")
    page.wait_for_url("**/admin/playback/webhookdelivery/*/change/")
    assert "queued" in page.locator(".messagelist").inner_text()
    receiver.server.shutdown()


def test_a_lead_imports_a_maestro_flow_sees_what_does_not_map_and_drops_it(
    browser_page, live_server, django_user_model
):
    from flows.models import Flow

    django_user_model.objects.create_superuser("lead", password="lead-password")
    page = browser_page
    sign_in(page, live_server, "/admin/flows/flow/")
    page.click("text=Import a Maestro flow")
    page.wait_for_url("**/admin/flows/flow/import-maestro/")
    flow_file = (
        "appId: com.shop\nname: Checkout from Maestro\n---\n- launchApp\n- tapOn: Sign in\n"
        "- runScript: seed.js\n- scrollUntilVisible:\n    element: Lime frisbee\n"
        "- tapOn:\n    text: Buy\n    below: Lime frisbee\n"
    )
    page.fill("#id_text", flow_file)
    page.select_option("#id_platform", "android")
    page.click("input[type=submit]")
    rows = page.locator("#pb-unsupported tbody tr")
    assert rows.count() == 2
    assert "6" in rows.nth(0).inner_text() and "runScript" in rows.nth(0).inner_text()
    assert "relative selectors" in rows.nth(1).inner_text()
    look(page, "25-maestro-import-refused")
    assert not Flow.objects.exists()
    page.check("#id_drop_unsupported")
    page.click("input[type=submit]")
    page.wait_for_url("**/admin/flows/flow/*/change/")
    assert "Dropped line 6: runScript" in page.locator(".messagelist").inner_text()
    flow = Flow.objects.get(name="Checkout from Maestro")
    assert [s.action for s in flow.steps.all()] == ["stop_app", "launch_app", "tap", "scroll_to"]
    look(page, "26-maestro-imported")
    # The export is a file (application/yaml): fetched with the lead's session.
    href = page.get_attribute("text=Export as Maestro", "href")
    exported = page.request.get(f"{live_server.url}{href}")
    assert exported.ok and "- scrollUntilVisible:" in exported.text()


def test_a_lead_edits_a_flows_steps_field_by_field_moves_one_up_and_adds_one(
    browser_page, live_server, django_user_model, make_flow
):
    django_user_model.objects.create_superuser("lead", password="lead-password")
    flow = make_flow([tap("user"), tap("pass"), tap("go")], name="Sign in")
    page = browser_page
    sign_in(page, live_server, f"/admin/flows/flow/{flow.pk}/change/")
    rows = page.locator("tr.pb-step:not(.empty-form)")
    assert rows.count() == 3
    first = rows.nth(0)
    # A tap shows its element and its own keys (x, y, percent), not a swipe's or a type's.
    assert first.locator("select[name$='locator_using']").is_visible()
    assert first.locator("input[name$='locator_value']").input_value() == "user"
    assert first.locator("input[name$='p_x']").is_visible()
    assert not first.locator("input[name$='p_text']").is_visible()
    assert not first.locator("input[name$='p_start_x']").is_visible()
    look(page, "19-flow-steps")

    # The second step becomes a typing step: its text field shows, the tap's go.
    second = rows.nth(1)
    second.locator("select[name$='-action']").select_option("type")
    assert second.locator("input[name$='p_text']").is_visible()
    assert not second.locator("input[name$='p_x']").is_visible()
    second.locator("input[name$='p_text']").fill("secret")
    # The third moves to the top: the numbers follow the order shown.
    rows.nth(2).locator(".pb-up").click()
    rows.nth(1).locator(".pb-up").click()
    numbers = page.locator("tr.pb-step:not(.empty-form) .pb-number")
    values = [numbers.nth(i).input_value() for i in range(3)]
    assert values == ["1", "2", "3"]
    shown = page.locator("tr.pb-step:not(.empty-form) input[name$='locator_value']")
    assert [shown.nth(i).input_value() for i in range(3)] == ["go", "user", "pass"]
    # A new step takes the next number; a bad one is refused on its field.
    page.click(".pb-steps .add-row a")
    added = page.locator("tr.pb-step:not(.empty-form)").nth(3)
    assert added.locator(".pb-number").input_value() == "4"
    added.locator("select[name$='-action']").select_option("swipe")
    assert added.locator("input[name$='p_start_x']").is_visible()
    assert not added.locator("select[name$='locator_using']").is_visible()
    for name, value in (("start_x", "10"), ("start_y", "900"), ("end_x", "10"), ("end_y", "-5")):
        added.locator(f"input[name$='p_{name}']").fill(value)
    page.click("input[name=_continue]")
    error = page.locator("tr.pb-step .pb-param ul.errorlist")
    assert "Must be from 0 to 100000 (got -5)." in error.inner_text()
    look(page, "19b-flow-step-error")
    # Sent back, the rows stand in the order the lead gave them.
    shown = page.locator("tr.pb-step:not(.empty-form) input[name$='locator_value']")
    assert [shown.nth(i).input_value() for i in range(3)] == ["go", "user", "pass"]
    page.locator("tr.pb-step:not(.empty-form)").nth(3).locator("input[name$='p_end_y']").fill("5")
    page.click("input[name=_continue]")
    page.wait_for_selector(".messagelist .success")
    steps = [(s.number, s.action, s.locator, s.params.get("text")) for s in flow.steps.all()]
    assert [(n, a, (loc or {}).get("value"), t) for n, a, loc, t in steps] == [
        (1, "tap", "go", None),
        (2, "tap", "user", None),
        (3, "type", "pass", "secret"),
        (4, "swipe", None, None),
    ]
