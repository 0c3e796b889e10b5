"""Quarantine: a quarantined step plays and keeps its true status, the run goes on and
its verdict ignores it; the API that makes, lists and lifts them (#24 item 4)."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from playback import quarantines
from playback.insights.identity import step_key
from playback.insights.models import Quarantine
from playback.reports import junit
from playback.webhooks import delivery
from tests.helpers import tap
from tests.scripted_driver import ScriptedDriver

pytestmark = pytest.mark.django_db


@pytest.fixture
def checkout(make_flow):
    return make_flow([tap("a"), tap("flaky"), tap("c")])


def key_of(flow, number: int) -> str:
    return step_key(flow.steps.get(number=number).definition().as_json())


def played(play, flow, device, behaviour: str = "stop", missing: tuple[str, ...] = ("flaky",)):
    driver = ScriptedDriver(find_failures={value: 99 for value in missing})
    return play(flow, device, {"failure_behaviour": behaviour}, driver=driver)


@pytest.mark.parametrize(
    ("quarantined", "behaviour", "status", "verdict", "third"),
    [(None, "stop", "partial_success", "fail", "blocked"),
     ("step", "stop", "partial_success", "pass", "pass"),
     ("step", "skip", "partial_success", "pass", "pass"),
     ("flow", "stop", "partial_success", "pass", "pass"),
     ("other", "stop", "partial_success", "fail", "blocked"),
     ("expired", "stop", "partial_success", "fail", "blocked"),
     ("lifted", "stop", "partial_success", "fail", "blocked")],
)  # fmt: skip
def test_a_quarantined_step_keeps_its_status_the_run_goes_on_and_its_verdict_passes(
    play, checkout, device, quarantined, behaviour, status, verdict, third
):
    if quarantined:
        key = {"step": key_of(checkout, 2), "other": key_of(checkout, 1)}.get(quarantined, "")
        item = quarantines.quarantine(flow_id=checkout.pk, step_key=key, reason="SHOP-1")
        if quarantined == "expired":
            Quarantine.objects.filter(pk=item.pk).update(expires_at=timezone.now())
        if quarantined == "lifted":
            quarantines.lift(item)
    run = played(play, checkout, device, behaviour)
    steps = list(run.step_results.order_by("step_number"))
    assert (run.status, run.verdict) == (status, verdict)
    assert [s.status for s in steps] == ["pass", "fail", third]
    assert steps[1].quarantined is (quarantined in ("step", "flow"))


def test_a_run_failing_outside_its_quarantine_fails_its_verdict(play, checkout, device):
    quarantines.quarantine(flow_id=checkout.pk, step_key=key_of(checkout, 2), reason="SHOP-1")
    run = played(play, checkout, device, "continue", missing=("flaky", "c"))
    assert (run.status, run.verdict) == ("partial_success", "fail")


def test_junit_skips_a_quarantined_failure_with_its_reason_and_keeps_its_text(
    play, checkout, device
):
    quarantines.quarantine(flow_id=checkout.pk, step_key=key_of(checkout, 2), reason="SHOP-412")
    run = played(play, checkout, device)
    suite = ET.fromstring(junit.run_xml(run))
    case = suite.findall("testcase")[1]
    assert case.find("skipped").get("message") == "quarantined: SHOP-412"
    assert "not found" in case.find("system-out").text.lower()
    assert case.find("failure") is None and suite.get("failures") == "0"
    props = {p.get("name"): p.get("value") for p in suite.find("properties")}
    assert props["verdict"] == "pass"


@pytest.mark.parametrize(
    ("status", "verdict", "events"),
    [("partial_success", "pass", ["run.finished"]),
     ("partial_success", "fail", ["run.finished", "run.failed"]),
     ("failed", "pass", ["run.finished"]),
     ("error", "fail", ["run.finished", "run.failed"])],
)  # fmt: skip
def test_run_failed_webhooks_follow_the_verdict(status, verdict, events):
    assert delivery.run_events(status, verdict) == events


def test_an_editor_quarantines_over_the_api_lists_and_lifts(api, play, checkout, device):
    key = key_of(checkout, 2)
    later = (timezone.now() + timedelta(days=14)).isoformat()
    made = api.post("/api/quarantines/", {"flow_id": checkout.pk, "step_key": key,
                    "reason": "SHOP-412 spinner", "expires_at": later}, format="json")  # fmt: skip
    assert made.status_code == 201, made.json()
    item = made.json()
    assert (item["step_key"], item["status"], item["created_by"]) == (key, "active", "qa")
    assert item["step"] == "tap accessibility id='flaky'"
    whole = api.post("/api/quarantines/", {"flow_id": checkout.pk, "reason": "all of it"},
                     format="json").json()  # fmt: skip
    assert whole["step_key"] is None and whole["step"] == "the whole flow"
    listed = api.get(f"/api/quarantines/?flow={checkout.pk}&status=active").json()
    assert [q["id"] for q in listed] == [whole["id"], item["id"]]
    run = api.get(f"/api/playback/runs/{played(play, checkout, device).pk}/").json()
    assert run["verdict"] == "pass" and run["steps"][1]["quarantined"] is True
    for q in (item, whole):
        assert api.delete(f"/api/quarantines/{q['id']}/").status_code == 204
    assert api.get(f"/api/quarantines/{item['id']}/").json()["status"] == "lifted"
    assert played(play, checkout, device).verdict == "fail"


@pytest.mark.parametrize(
    ("body", "field"),
    [({"flow_id": 999999, "reason": "x"}, "flow_id"),
     ({"step_key": "0123456789abcdef", "reason": "x"}, "step_key"),
     ({"step_key": "not-hex", "reason": "x"}, "step_key"),
     ({"reason": ""}, "reason"), ({}, "reason"),
     ({"reason": "x", "expires_at": "2001-01-01T00:00:00Z"}, "expires_at"),
     ({"reason": "x", "expires_at": "soon"}, "expires_at"),
     ({"reason": "x", "until": "2030-01-01"}, "until")],
)  # fmt: skip
def test_bad_quarantines_are_400s_naming_the_field(api, checkout, body, field):
    response = api.post("/api/quarantines/", {"flow_id": checkout.pk, **body}, format="json")
    assert response.status_code == 400 and field in response.json(), response.json()
    assert not Quarantine.objects.exists()


def test_viewers_and_runners_read_quarantines_but_may_not_make_or_lift_them(member, checkout):
    from rest_framework.authtoken.models import Token
    from rest_framework.test import APIClient

    item = quarantines.quarantine(flow_id=checkout.pk, reason="SHOP-1")
    for role in ("viewer", "runner"):
        client = APIClient()
        token = Token.objects.create(user=member(role)).key
        client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
        assert client.get("/api/quarantines/").status_code == 200
        body = {"flow_id": checkout.pk, "reason": "x"}
        assert client.post("/api/quarantines/", body, format="json").status_code == 403
        assert client.delete(f"/api/quarantines/{item.pk}/").status_code == 403
    assert Quarantine.objects.get().lifted_at is None


def test_candidates_are_flaky_over_ten_runs_and_not_quarantined_yet():
    steps = [
        {"flow_id": 1, "step_key": "a" * 16, "flake_rate": 0.3, "executed": 12},
        {"flow_id": 1, "step_key": "b" * 16, "flake_rate": 0.19, "executed": 40},
        {"flow_id": 1, "step_key": "c" * 16, "flake_rate": 0.5, "executed": 9},
    ]
    assert [s["step_key"] for s in quarantines.candidates(steps)] == ["a" * 16]


def test_the_admin_quarantines_a_step_from_its_button_and_lifts_it(
    admin_client, play, checkout, device
):
    run = played(play, checkout, device)
    page = admin_client.get(reverse("admin:playback_run_change", args=[run.pk])).content.decode()
    add = reverse("admin:playback_quarantine_add")
    link = f"{add}?flow={checkout.pk}&amp;step_key={key_of(checkout, 2)}"
    assert link in page
    form = admin_client.get(link.replace("&amp;", "&")).context["adminform"].form
    assert form.initial["step_key"] == key_of(checkout, 2)
    refused = admin_client.post(add, {"flow": checkout.pk, "step_key": "0" * 16, "reason": "x"})
    assert refused.status_code == 200 and "has no step" in refused.content.decode()
    made = admin_client.post(add, {"flow": checkout.pk, "step_key": key_of(checkout, 2),
                                   "reason": "SHOP-9"})  # fmt: skip
    assert made.status_code == 302
    item = Quarantine.objects.get()
    assert (item.step_summary, item.created_by.username) == (
        "tap accessibility id='flaky'",
        "admin",
    )
    changelist = reverse("admin:playback_quarantine_changelist")
    admin_client.post(changelist, {"action": "lift_selected", "_selected_action": [item.pk]})
    assert quarantines.status_of(Quarantine.objects.get()) == "lifted"
