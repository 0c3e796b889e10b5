"""The batches API: start (202 + Location), follow, cancel, re-run failed, the runs
filter, who may do what, and bad requests answered 400 with what to fix."""

from __future__ import annotations

import pytest

from playback.batches.models import Batch
from playback.models import Run
from tests.batches import drain
from tests.helpers import tap
from tests.scripted_driver import ScriptedDriver

pytestmark = pytest.mark.django_db


@pytest.fixture
def lab(make_flow, make_device):
    flows = [make_flow([tap(t, using="id") for t in "ab"], name=f"flow {i}") for i in range(3)]
    devices = [make_device("http://127.0.0.1:9", device_id=f"lab-{i}") for i in range(2)]
    return flows, devices


def test_a_batch_is_started_with_202_and_its_location_and_followed_to_its_end(api, lab):
    flows, _ = lab
    answer = api.post("/api/playback/batches",
                      {"flows": [flows[0].pk, "flow 1", "flow 2"], "devices": ["lab-0", "lab-1"],
                       "settings": {"retryPerStep": 0}}, format="json")  # fmt: skip
    assert answer.status_code == 202, answer.json()
    body = answer.json()
    assert answer["Location"].endswith(f"/api/playback/batches/{body['batch_id']}/")
    assert (body["status"], body["mode"], body["devices"]) == (
        "queued",
        "split",
        ["lab-0", "lab-1"],
    )
    assert [f["name"] for f in body["flows"]] == ["flow 0", "flow 1", "flow 2"]
    assert body["settings"]["retryPerStep"] == 0
    assert (body["counts"]["runs"], body["counts"]["finished"], body["counts"]["total"]) == (
        2,
        0,
        3,
    )
    batch = Batch.objects.get()
    drain(batch, {"lab-0": ScriptedDriver(), "lab-1": ScriptedDriver(find_failures={"b": 9})})
    done = api.get(f"/api/playback/batches/{batch.pk}/").json()
    assert done["status"] in ("partial_success", "failed")
    assert done["counts"]["finished"] == done["counts"]["total"] == 3
    assert done["finished_at"] and done["junit_url"].endswith(f"/batches/{batch.pk}/junit.zip")
    listed = api.get(f"/api/playback/runs/?batch={batch.pk}").json()["results"]
    assert sorted(r["run_id"] for r in listed) == sorted(r["run_id"] for r in done["runs"])
    assert {r["batch"] for r in listed} == {batch.pk}
    assert api.get("/api/playback/batches/").json()["count"] == 1


def test_a_batch_by_tag_on_a_platform_in_all_mode(api, lab, make_flow):
    flows, _ = lab
    tagged = api.patch(f"/api/flows/{flows[0].pk}/", {"tags": ["smoke"]}, format="json")
    assert tagged.status_code == 200
    body = api.post("/api/playback/batches", {"tag": "smoke", "platform": "sim", "mode": "all"},
                    format="json").json()  # fmt: skip
    assert (body["tag"], body["mode"], body["counts"]["runs"]) == ("smoke", "all", 2)


def test_cancel_and_rerun_failed_over_http(api, lab):
    flows, _ = lab
    request = {"flows": [f.pk for f in flows], "devices": ["lab-0"]}
    body = api.post("/api/playback/batches", request, format="json").json()
    batch_id = body["batch_id"]
    early = api.post(f"/api/playback/batches/{batch_id}/rerun-failed/")
    assert early.status_code == 409 and "still" in early.json()["detail"]
    cancelled = api.post(f"/api/playback/batches/{batch_id}/cancel/")
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    assert api.post(f"/api/playback/batches/{batch_id}/cancel/").status_code == 409
    again = api.post(f"/api/playback/batches/{batch_id}/rerun-failed")
    assert again.status_code == 202 and again.json()["rerun_of"] == batch_id
    assert [f["flow_id"] for f in again.json()["flows"]] == [flows[0].pk]  # its cancelled run


@pytest.mark.parametrize(
    ("body", "key", "message"),
    [
        ([1, 2], "non_field_errors", "Send a JSON object"),
        ({"flows": "flow 0", "devices": ["lab-0"]}, "flows", "Must be a list of flow ids"),
        ({"flows": [True], "devices": ["lab-0"]}, "flows", "Must be a list of flow ids"),
        ({"flows": [1.5], "devices": ["lab-0"]}, "flows", "Must be a list of flow ids"),
        ({"flows": ["flow 0"], "devices": [5]}, "devices", "Must be a list of device ids"),
        ({"flows": ["flow 0"], "devices": ["lab-0"], "extra": 1}, "extra", "Unknown field"),
        ({"flows": ["flow 0"], "devices": ["lab-0"], "settings": {"retryPerStep": "x"}},
         "settings", "retryPerStep"),
        ({"flows": ["nope"], "devices": ["lab-0"]}, "flows", "No flow with id or name 'nope'"),
        ({"flows": [2**63], "devices": ["lab-0"]}, "flows", "Not a flow id (1 to"),
        ({"flows": [0], "devices": ["lab-0"]}, "flows", "Not a flow id (1 to"),
        ({"flows": ["a\x00b"], "devices": ["lab-0"]}, "flows", "Not a flow id"),
        ({"flows": ["flow 0"], "devices": ["x\x00"]}, "devices", "Not a device id"),
        ({"flows": ["flow 0"], "devices": ["lab-0"] * 101}, "devices", "1 to 100 device ids"),
        ({"tag": 5, "devices": ["lab-0"]}, "tag", "Must be a string"),
        ({"flows": ["flow 0"], "platform": "ios"}, "platform", "No enabled ios device."),
        ({"flows": ["flow 0"], "devices": ["lab-0"], "mode": "half"}, "mode", "Must be one of"),
    ],
)  # fmt: skip
def test_a_bad_batch_request_is_a_400_naming_the_field_and_writes_nothing(
    api, lab, body, key, message
):
    answer = api.post("/api/playback/batches", body, format="json")
    assert answer.status_code == 400, answer.content
    assert message in str(answer.json()[key])
    assert not Batch.objects.exists() and not Run.objects.exists()


def test_viewers_may_follow_batches_but_only_runners_start_them(client, member, lab):
    from rest_framework.authtoken.models import Token
    from rest_framework.test import APIClient

    viewer = APIClient()
    key = Token.objects.create(user=member("viewer", "v")).key
    viewer.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert viewer.get("/api/playback/batches/").status_code == 200
    refused = viewer.post("/api/playback/batches", {"flows": ["flow 0"], "devices": ["lab-0"]},
                          format="json")  # fmt: skip
    assert refused.status_code == 403 and not Batch.objects.exists()
    assert client.get("/api/playback/batches/").status_code in (401, 403)
