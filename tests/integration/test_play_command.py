"""`manage.py play` through the real Appium server and the simulated device."""

from __future__ import annotations

import json
import socket

import pytest

from playback.models import Device, Run
from simulator.server import APPS_DIR
from tests.helpers import run_command


# --- play: through the real Appium server -----------------------------------------------------
@pytest.mark.appium
@pytest.mark.django_db(transaction=True)
def test_play_prints_the_run_and_exits_0_on_success(appium_server, demo):
    flow, device = demo
    Device.objects.filter(pk=device.pk).update(
        appium_url=appium_server.url, capabilities={"appium:app": str(APPS_DIR / "demo.xml")}
    )
    code, out, err = run_command(
        "play", str(flow.pk), "--device", "sim-x", "--retry", "1", "--local"
    )
    assert code == 0
    run = json.loads(out)["runs"][0]
    assert run["status"] == "success"
    assert run["settings"]["retryPerStep"] == 1
    assert [s["status"] for s in run["steps"]] == ["pass"] * 7
    assert run["steps"][0]["screenshot"] == f"/api/playback/runs/{run['run_id']}/steps/1/screenshot"
    lines = err.splitlines()
    assert lines[0] == f"[sim-x run {run['run_id']}] step 1 tap accessibility id='username': pass"
    assert len([line for line in lines if "] step " in line]) == 7
    assert lines[-1] == f"Batch {json.loads(out)['batch_id']}: success"


@pytest.mark.appium
@pytest.mark.django_db(transaction=True)
def test_play_exits_1_when_a_step_fails(appium_server, make_flow, make_device):
    flow = make_flow(
        [
            {"action": "tap", "x": 1, "y": 1},
            {"action": "tap", "locator": {"using": "id", "value": "hidden"}},
        ]
    )
    make_device(appium_server.url, device_id="sim-f")
    code, out, err = run_command(
        "play", str(flow.pk), "--device", "sim-f", "--failure-behaviour", "continue",
        "--no-screenshots", "--no-restart", "--local",
    )  # fmt: skip
    run = json.loads(out)["runs"][0]
    assert code == 1
    assert run["status"] == "partial_success"
    assert run["settings"] == {
        "restartApp": False,
        "clearData": False,
        "retryPerStep": 0,
        "failureBehaviour": "continue",
        "captureScreenshots": False,
        "runTimeoutSeconds": 1800,
        "recordVideo": "off",  # the server's default in tests
        "updateBaselines": False,
    }
    assert "step 2 tap id='hidden': fail" in err


@pytest.mark.appium
@pytest.mark.django_db(transaction=True)
def test_a_quarantined_failing_step_keeps_ci_green_and_junit_says_why(
    appium_server, make_flow, make_device, tmp_path
):
    from playback import quarantines
    from playback.insights.identity import step_key

    flow = make_flow(
        [{"action": "tap", "x": 1, "y": 1},
         {"action": "tap", "locator": {"using": "id", "value": "hidden"}},
         {"action": "tap", "x": 2, "y": 2}],
    )  # fmt: skip
    make_device(appium_server.url, device_id="sim-q")
    args = ("play", str(flow.pk), "--device", "sim-q", "--no-screenshots", "--local",
            "--junit", str(tmp_path))  # fmt: skip
    code, out, _ = run_command(*args)
    assert code == 1 and json.loads(out)["verdict"] == "fail"
    hidden = step_key(flow.steps.get(number=2).definition().as_json())
    quarantines.quarantine(flow_id=flow.pk, step_key=hidden, reason="SHOP-7: hidden button")
    code, out, err = run_command(*args)
    batch = json.loads(out)
    run = batch["runs"][0]
    assert code == 0, err
    assert (batch["status"], batch["verdict"]) == ("failed", "pass")  # its one run did not succeed
    assert (run["status"], run["verdict"]) == ("partial_success", "pass")
    assert [s["status"] for s in run["steps"]] == ["pass", "fail", "pass"]  # it went on
    assert run["steps"][1]["quarantined"] is True
    assert "Verdict: pass (only quarantined steps failed)." in err
    report = (tmp_path / f"TEST-{flow.name.replace(' ', '_')}-{run['run_id']}.xml").read_text()
    assert 'message="quarantined: SHOP-7: hidden button"' in report


@pytest.mark.appium
@pytest.mark.django_db(transaction=True)
def test_play_takes_a_flow_by_name_says_who_started_it_and_fails_on_flaky(
    appium_server, make_flow, make_device
):
    flow = make_flow(
        [{"action": "tap", "locator": {"using": "accessibility id", "value": "find-once"},
          "timeout_ms": 0}],
        name="Flaky login",
    )  # fmt: skip
    make_device(appium_server.url, device_id="sim-n")
    code, out, err = run_command(
        "play", "Flaky login", "--device", "sim-n", "--retry", "1", "--local"
    )
    assert code == 0 and json.loads(out)["runs"][0]["flaky_steps"] == 1
    assert "step 1 tap accessibility id='find-once': flaky after 2 attempts" in err
    run = Run.objects.get(pk=json.loads(out)["runs"][0]["run_id"])
    assert run.requested_from.endswith(f"@{socket.gethostname()} (play)")
    code, _, err = run_command(
        "play", str(flow.pk), "--device", "sim-n", "--retry", "1", "--fail-on-flaky", "--local"
    )
    assert code == 1
    assert "1 run(s) with flaky step(s) (--fail-on-flaky)." in err
