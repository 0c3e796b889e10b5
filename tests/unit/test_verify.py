"""Verify a fix (#24 item 5): the flow N times on one device; the batch says how many
passed first time, were flaky or failed, and a clean verify of 10 or more lifts the
flow's quarantines."""

from __future__ import annotations

import pytest
from django.urls import reverse

from playback import quarantines
from playback.batches.models import Batch
from playback.insights.models import Quarantine
from tests.batches import drain
from tests.helpers import tap
from tests.scripted_driver import ScriptedDriver

pytestmark = pytest.mark.django_db


@pytest.fixture
def flow(make_flow):
    return make_flow([tap("a"), tap("b")])


def verified(api, flow, device, times: int, driver=None):
    response = api.post(f"/api/flows/{flow.pk}/verify/",
                        {"device_id": device.device_id, "times": times}, format="json")  # fmt: skip
    assert response.status_code == 202, response.json()
    batch = Batch.objects.get(pk=response.json()["batch_id"])
    assert response["Location"].endswith(f"/api/playback/batches/{batch.pk}/")
    drain(batch, {device.device_id: driver or ScriptedDriver()})
    return api.get(f"/api/playback/batches/{batch.pk}/").json()


@pytest.mark.parametrize(
    ("times", "failures", "tally", "lifted"),
    [(10, {}, {"times": 10, "passed_first_time": 10, "flaky": 0, "failed": 0}, True),
     (9, {}, {"times": 9, "passed_first_time": 9, "flaky": 0, "failed": 0}, False),
     (10, {"b": 1}, {"times": 10, "passed_first_time": 9, "flaky": 1, "failed": 0}, False),
     (10, {"b": 2}, {"times": 10, "passed_first_time": 9, "flaky": 0, "failed": 1}, False)],
)  # fmt: skip
def test_a_verify_counts_its_runs_and_only_a_clean_ten_lifts_the_quarantines(
    api, flow, device, times, failures, tally, lifted
):
    item = quarantines.quarantine(flow_id=flow.pk, reason="SHOP-1")
    batch = verified(api, flow, device, times, ScriptedDriver(find_failures=failures))
    assert batch["mode"] == "repeat" and batch["status"] in ("success", "partial_success")
    assert batch["verify"] == tally
    item.refresh_from_db()
    assert (item.lifted_at is not None) is lifted
    if lifted:
        assert item.lifted_by_batch_id == batch["batch_id"]
        shown = api.get(f"/api/quarantines/{item.pk}/").json()
        assert (shown["status"], shown["lifted_by_batch"]) == ("lifted", batch["batch_id"])


def test_a_running_verify_has_no_result_yet_and_cannot_be_rerun_as_a_batch(api, flow, device):
    response = api.post(f"/api/flows/{flow.pk}/verify/",
                        {"device_id": device.device_id, "times": 3}, format="json")  # fmt: skip
    assert response.json()["verify"] is None
    assert response.json()["counts"]["runs"] == 3


@pytest.mark.parametrize(
    ("body", "field"),
    [({"times": 0}, "times"), ({"times": 51}, "times"), ({"times": "x"}, "times"),
     ({"device_id": "nowhere"}, "device_id"), ({"device_id": None}, "device_id"),
     ({"again": True}, "again")],
)  # fmt: skip
def test_bad_verifies_are_400s_naming_the_field(api, flow, device, body, field):
    data = {"device_id": device.device_id, "times": 5, **body}
    response = api.post(f"/api/flows/{flow.pk}/verify/", data, format="json")
    assert response.status_code == 400 and field in response.json(), response.json()
    assert not Batch.objects.exists()


def test_an_unknown_flow_is_404_and_a_viewer_may_not_verify(api, member, flow, device):
    from rest_framework.authtoken.models import Token
    from rest_framework.test import APIClient

    body = {"device_id": device.device_id, "times": 2}
    assert api.post("/api/flows/999999/verify/", body, format="json").status_code == 404
    viewer = APIClient()
    viewer.credentials(
        HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=member('viewer')).key}"
    )
    assert viewer.post(f"/api/flows/{flow.pk}/verify/", body, format="json").status_code == 403


def test_the_batches_api_leaves_repeat_to_verify(api, flow, device):
    body = {"flows": [flow.pk], "devices": [device.device_id], "mode": "repeat"}
    response = api.post("/api/playback/batches/", body, format="json")
    assert response.status_code == 400 and "mode" in response.json()


def test_the_admin_verifies_a_flow_from_its_page(admin_client, flow, device):
    quarantines.quarantine(flow_id=flow.pk, reason="SHOP-2")
    page = admin_client.get(reverse("admin:flows_flow_change", args=[flow.pk])).content.decode()
    url = reverse("admin:flows_flow_verify", args=[flow.pk])
    assert url in page
    form = admin_client.get(url)
    assert "SHOP-2" in form.content.decode()
    done = admin_client.post(url, {"device": device.pk, "times": 12})
    batch = Batch.objects.get()
    assert done["Location"] == reverse("admin:playback_batch_change", args=[batch.pk])
    assert (batch.mode, len(batch.pairs)) == ("repeat", 12)
    drain(batch, {device.device_id: ScriptedDriver()})
    assert Quarantine.objects.get().lifted_by_batch_id == batch.pk
