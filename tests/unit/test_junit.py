"""JUnit XML exactly per SPEC, valid by the Surefire 3.0 report schema."""

from __future__ import annotations

import io
import zipfile
from xml.etree import ElementTree as ET

import pytest

from playback import services
from playback.models import Run, StepResult
from playback.reports import junit
from tests.helpers import tap
from tests.surefire import problems

pytestmark = pytest.mark.django_db

E1, E2 = "Element not found: id='b' (waited 300 ms)", "Element not found: id='c'"


def recorded(flow, device, status, steps, **fields) -> Run:
    """A run that ended `status` with these (status, attempts, attempt_errors, error)."""
    run = services.start_run(flow=flow, device=device, foreground=True)
    Run.objects.filter(pk=run.pk).update(status=status, duration_ms=4321, **fields)
    for number, (step_status, attempts, errors, error) in enumerate(steps, start=1):
        StepResult.objects.create(
            run=run, step_number=number, action="tap", status=step_status, attempts=attempts,
            attempt_errors=errors, error=error, duration_ms=1500 + number,
            definition={"step": number, "action": "tap",
                        "locator": {"using": "id", "value": "abcde"[number - 1]}},
        )  # fmt: skip
    return Run.objects.select_related("flow", "device").get(pk=run.pk)


@pytest.fixture
def five(make_flow):
    return make_flow([tap(t, using="id") for t in "abcde"], name="Check & <out>")


def test_a_run_gives_exactly_the_specs_elements_and_counts(five, device):
    run = recorded(five, device, "partial_success", [
        ("pass", 1, [], ""),
        ("flaky", 3, [E1, E1], "Passed on attempt 3; attempt 1: " + E1),
        ("fail", 3, [E2, E2, E2 + " at last"], "Failed after 3 attempts: " + E2 + " at last"),
        ("blocked", 0, [], "Not run: step 3 failed"),
        ("skipped", 0, [], "Skipped: step 3 failed"),
    ])  # fmt: skip
    xml = junit.run_xml(run)
    assert problems(xml) == []
    suite = ET.fromstring(xml)
    assert suite.attrib == {
        "version": "3.0", "name": "Check & <out>", "tests": "5", "failures": "1",
        "errors": "0", "skipped": "2", "time": "4.321",
    }  # fmt: skip
    cases = suite.findall("testcase")
    assert [c.get("name") for c in cases] == [
        "step 01: tap id='a'", "step 02: tap id='b'", "step 03: tap id='c'",
        "step 04: tap id='d'", "step 05: tap id='e'",
    ]  # fmt: skip
    # The device in the class: a flow played on two devices has two classes.
    assert {c.get("classname") for c in cases} == {f"Check & <out> [{device.device_id}]"}
    assert cases[0].get("time") == "1.501" and list(cases[0]) == []
    assert [c.tag for c in cases[1]] == ["flakyFailure", "flakyFailure"]  # passed
    assert cases[1][0].get("message") == E1
    assert [c.tag for c in cases[2]] == ["failure", "rerunFailure", "rerunFailure"]
    assert cases[2][0].get("message") == E2 + " at last"
    assert cases[2][0].text == "Failed after 3 attempts: " + E2 + " at last"
    assert [(c[0].tag, c[0].get("message")) for c in cases[3:]] == [
        ("skipped", "Not run: step 3 failed"), ("skipped", "Skipped: step 3 failed"),
    ]  # fmt: skip
    props = {p.get("name"): p.get("value") for p in suite.find("properties")}
    assert (props["run_id"], props["status"]) == (str(run.pk), "partial_success")
    assert props["run_url"] == f"http://127.0.0.1:8000/admin/playback/run/{run.pk}/change/"


def test_a_run_that_ended_error_has_a_run_testcase_with_its_error(five, device):
    run = recorded(five, device, "error", [("blocked", 0, [], "Not run: Appium is down")] * 5,
                   error="Appium server is unreachable at http://x:4723")  # fmt: skip
    xml = junit.run_xml(run)
    assert problems(xml) == []
    suite = ET.fromstring(xml)
    assert (suite.get("tests"), suite.get("errors"), suite.get("skipped")) == ("6", "1", "5")
    last = suite.findall("testcase")[-1]
    assert last.get("name") == "run"
    assert last.find("error").get("message") == "Appium server is unreachable at http://x:4723"


def test_a_testcase_is_named_by_its_action_and_target():
    from types import SimpleNamespace

    def named(number, definition):
        return junit.step_name(SimpleNamespace(step_number=number, action=definition["action"],
                                               definition=definition))  # fmt: skip

    assert (
        named(2, {"action": "type", "text": "alice", "locator": {"using": "id", "value": "user"}})
        == "step 02: type id='user'"
    )
    assert named(3, {"action": "tap", "x": 5, "y": 9}) == "step 03: tap (5, 9)"
    assert named(12, {"action": "swipe", "start_x": 1, "start_y": 2, "end_x": 3, "end_y": 4}) == (
        "step 12: swipe (1, 2) → (3, 4)"
    )
    assert named(4, {"action": "assert", "text": "Hi",
                     "locator": {"using": "accessibility id", "value": "t"}}) == (
        "step 04: assert accessibility id='t'"
    )  # fmt: skip


def test_control_characters_and_markup_in_errors_still_give_xml_that_parses(five, device):
    nasty = "bell\x07 esc\x1b <b>&amp;\"quote' end\ufffe"
    run = recorded(five, device, "failed", [("fail", 2, [nasty, nasty], nasty)] * 5)
    xml = junit.run_xml(run)
    assert problems(xml) == []
    message = ET.fromstring(xml).find("testcase/failure").get("message")
    assert message == "bell\\x07 esc\\x1b <b>&amp;\"quote' end\\ufffe"
    # Never stored (the database refuses them), but a report never breaks on them.
    assert junit.clean("nul\x00 lone \ud800") == "nul\\x00 lone \\ud800"


def test_the_api_gives_a_runs_xml_and_a_batchs_zip_of_them(api, five, make_device):
    for i in range(2):
        make_device("http://127.0.0.1:9", device_id=f"z{i}")
    batch = services.start_batch(flows=[five.pk], devices=["z0", "z1"], mode="all")
    run = batch.runs.order_by("pk").first()
    answer = api.get(f"/api/playback/runs/{run.pk}/junit.xml")
    assert answer.status_code == 200 and answer["Content-Type"] == "application/xml"
    assert problems(answer.content) == []
    zipped = api.get(f"/api/playback/batches/{batch.pk}/junit.zip")
    assert zipped.status_code == 200 and zipped["Content-Type"] == "application/zip"
    names = zipfile.ZipFile(io.BytesIO(zipped.content)).namelist()
    assert sorted(names) == sorted(f"TEST-Check_out-{r.pk}.xml" for r in batch.runs.all())
    assert api.get("/api/playback/runs/999999/junit.xml").status_code == 404


def test_reports_are_written_to_a_directory(tmp_path, five, device):
    run = recorded(five, device, "success", [("pass", 1, [], "")] * 5)
    (path,) = junit.write_reports([run], tmp_path / "reports")
    assert path.name == f"TEST-Check_out-{run.pk}.xml" and problems(path.read_bytes()) == []


def test_an_optional_step_that_failed_is_skipped_with_its_failure_kept(five, device):
    run = recorded(five, device, "success", [("pass", 1, [], ""), ("fail", 1, [E1], E1)])
    StepResult.objects.filter(run=run, step_number=2).update(
        definition={"step": 2, "action": "tap", "optional": True,
                    "locator": {"using": "id", "value": "b"}},
    )  # fmt: skip
    xml = junit.run_xml(run)
    assert problems(xml) == []
    suite = ET.fromstring(xml)
    assert (suite.get("failures"), suite.get("skipped")) == ("0", "1")
    case = suite.findall("testcase")[1]
    assert case.find("skipped").get("message") == f"optional: {E1}"
    assert case.find("system-out").text == E1


def test_without_a_public_url_a_report_has_no_link(five, device, settings):
    settings.PLAYBACK_PUBLIC_URL = ""
    run = recorded(five, device, "success", [("pass", 1, [], "")])
    props = {
        p.get("name"): p.get("value") for p in ET.fromstring(junit.run_xml(run)).find("properties")
    }
    assert props["run_url"] == ""
