"""Allure 2 results of a run and a batch (#24 item 6): a result per step with the
fields Allure reads, attempts as sub-steps, screens attached, categories and
environment beside them."""

from __future__ import annotations

import io
import json
import zipfile

import pytest

from playback import quarantines
from playback.insights import categories
from playback.insights.identity import step_key
from playback.reports import allure
from tests.helpers import tap
from tests.scripted_driver import ScriptedDriver

pytestmark = pytest.mark.django_db


@pytest.fixture
def run(play, make_flow, device):
    flow = make_flow([tap("ok"), tap("late"), tap("gone"), tap("flaky"), tap("after")],
                     name="Checkout")  # fmt: skip
    flow.set_tags(("smoke",))
    flaky = step_key(flow.steps.get(number=4).definition().as_json())
    quarantines.quarantine(flow_id=flow.pk, step_key=flaky, reason="SHOP-4")
    categories.save(categories.parse([{"name": "Missing", "messageRegex": ".*not found.*"}]))
    driver = ScriptedDriver(find_failures={"late": 1, "gone": 99, "flaky": 99})
    settings = {"retry_per_step": 1, "failure_behaviour": "continue"}
    return play(flow, device, settings, driver=driver)


def results(data: bytes) -> tuple[list[dict], dict[str, bytes]]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        files = {name: archive.read(name) for name in archive.namelist()}
    found = [json.loads(v) for k, v in files.items() if k.endswith("-result.json")]
    return sorted(found, key=lambda r: r["name"]), files


def test_each_step_is_a_result_allure_reads(run):
    found, files = results(allure.run_zip(run))
    assert [r["name"] for r in found] == [
        "step 01: tap accessibility id='ok'", "step 02: tap accessibility id='late'",
        "step 03: tap accessibility id='gone'", "step 04: tap accessibility id='flaky'",
        "step 05: tap accessibility id='after'",
    ]  # fmt: skip
    assert [r["status"] for r in found] == ["passed", "passed", "broken", "broken", "passed"]
    keys = list(run.step_results.order_by("step_number").values_list("step_key", flat=True))
    assert [r["historyId"] for r in found] == keys
    flaky = found[1]
    assert flaky["statusDetails"]["flaky"] is True
    assert [s["name"] for s in flaky["steps"]] == ["attempt 1", "attempt 2"]
    assert [s["status"] for s in flaky["steps"]] == ["broken", "passed"]
    failed = found[2]
    assert "not found" in failed["statusDetails"]["message"].lower()
    assert failed["statusDetails"]["trace"].startswith("attempt 1:")
    assert "known" not in failed["statusDetails"]
    assert found[3]["statusDetails"]["known"] is True  # quarantined
    labels = {(label["name"], label["value"]) for label in failed["labels"]}
    assert {("suite", "Checkout"), ("subSuite", run.device.device_id),
            ("host", run.device.device_id), ("tag", "smoke")} <= labels  # fmt: skip
    assert failed["fullName"] == f"Checkout [{run.device.device_id}]: {failed['name']}"
    assert failed["start"] <= failed["stop"]
    assert json.loads(files["categories.json"]) == [
        {"name": "Missing", "messageRegex": ".*not found.*"}
    ]
    environment = files["environment.properties"].decode()
    assert f"device={run.device.device_id}" in environment and "platform=sim" in environment


def test_screens_are_attached_to_their_step_and_attempt(play, make_flow, device):
    from django.core.files.base import ContentFile

    from playback.models import StepResult

    run = play(make_flow([tap("ok")]), device, driver=ScriptedDriver())
    result = StepResult.objects.get(run=run)
    result.screenshot.save("s.png", ContentFile(b"\x89PNG fake"), save=False)
    result.save()
    found, files = results(allure.run_zip(run))
    attachment = found[0]["attachments"][0]
    assert attachment["type"] == "image/png" and files[attachment["source"]] == b"\x89PNG fake"


def test_the_api_serves_a_runs_and_a_batchs_results_as_a_zip(api, run):
    response = api.get(f"/api/playback/runs/{run.pk}/allure.zip")
    assert response.status_code == 200 and response["Content-Type"] == "application/zip"
    assert len(results(response.content)[0]) == 5
    assert api.get("/api/playback/runs/999999/allure.zip").status_code == 404
