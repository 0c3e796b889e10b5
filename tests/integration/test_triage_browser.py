"""A QA lead acts on the history in a real browser (#24 "Done when"): labels a
failure group, sees a similar new failure arrive labelled, quarantines a flaky step
so the verdict stays pass, verifies the fix 20 times and sees the quarantine lifted.
Screenshots in test-artifacts/browser/."""

from __future__ import annotations

import pytest

from playback.batches.models import Batch
from playback.insights.models import FailureGroup, Quarantine
from tests.batches import drain
from tests.helpers import tap
from tests.integration.test_admin_browser import look, sign_in
from tests.scripted_driver import ScriptedDriver

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]


def test_a_lead_labels_quarantines_verifies_and_sees_the_quarantine_lifted(
    play, browser_page, live_server, django_user_model, make_flow, device
):
    django_user_model.objects.create_superuser("lead", password="lead-password")
    checkout = make_flow([tap("cart"), tap("pay-button"), tap("done")], name="Checkout")
    settings = {"retry_per_step": 1, "failure_behaviour": "continue"}
    play(checkout, device, settings, driver=ScriptedDriver(find_failures={"pay-button": 9}))
    page = browser_page

    # A failure group gets its label, comment and issue on its page.
    sign_in(page, live_server, "/admin/playback/failuregroup/")
    page.locator("#pb-failure-groups a.pb-group").first.click()
    page.select_option("#id_label", "product_bug")
    page.fill("#id_comment", "Pay button hidden under the banner")
    page.fill("#id_issue_url", "https://issues.example/SHOP-412")
    page.click("#pb-triage-form input[type=submit]")
    page.wait_for_selector(".messagelist")
    assert "Product bug" in page.inner_text(".pb-triage")
    look(page, "20-failure-group-labelled")

    # Another flow fails alike: its new group arrives labelled, "similar to" the first.
    other = make_flow([tap("pay-buttons")], name="Express checkout")
    play(other, device, settings, driver=ScriptedDriver(find_failures={"pay-buttons": 9}))
    page.goto(f"{live_server.url}/admin/playback/failuregroup/?label=product_bug")
    rows = page.locator("#pb-failure-groups tbody tr")
    assert rows.count() == 2
    assert "similar to" in rows.first.inner_text()
    look(page, "21-failure-groups-similar")

    # Ten runs, three of them flaky on pay-button: a candidate, quarantined in one click.
    for n in range(10):
        flaky = {"pay-button": 1} if n % 3 == 0 else {}
        play(checkout, device, settings, driver=ScriptedDriver(find_failures=flaky))
    page.goto(f"{live_server.url}/admin/playback/flakystep/")
    assert "pay-button" in page.inner_text("#pb-candidates")
    look(page, "22-quarantine-candidates")
    page.click("#pb-candidates .pb-quarantine-now")
    page.wait_for_selector(".messagelist")
    assert "Quarantined: tap accessibility id='pay-button'" in page.inner_text(".messagelist")
    assert page.locator("#pb-candidates").count() == 0
    run = play(checkout, device, settings, driver=ScriptedDriver(find_failures={"pay-button": 9}))
    assert (run.status, run.verdict) == ("partial_success", "pass")
    page.goto(f"{live_server.url}/admin/playback/run/{run.pk}/change/")
    assert "only quarantined steps failed" in page.inner_text("#pb-verdict")
    look(page, "23-run-verdict-pass")

    # "Verify" (20 times) from the flow's page; twenty clean runs lift the quarantine.
    page.goto(f"{live_server.url}/admin/flows/flow/{checkout.pk}/change/")
    page.click("#pb-verify")
    page.wait_for_url(f"**/admin/flows/flow/{checkout.pk}/verify/")
    assert "lifts its quarantine" in page.inner_text("#pb-verify-lifts")
    page.click("#pb-verify-form input[type=submit]")
    page.wait_for_url("**/admin/playback/batch/*/change/")
    batch = Batch.objects.get(mode="repeat")
    assert len(batch.pairs) == 20
    drain(batch, {device.device_id: ScriptedDriver()})
    page.goto(f"{live_server.url}/admin/playback/quarantine/")
    assert f"lifted by verify batch #{batch.pk}" in page.inner_text("#result_list")
    look(page, "24-quarantine-lifted")
    assert Quarantine.objects.get().lifted_by_batch_id == batch.pk
    assert FailureGroup.objects.filter(label="product_bug").count() == 2
