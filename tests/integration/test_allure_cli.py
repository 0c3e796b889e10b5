"""`play --allure DIR` through the real Appium server, read by the real Allure CLI
(npm allure-commandline, on Java): its report counts what the run did and marks the
flaky step (#24 item 6)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from django.conf import settings

from tests.helpers import run_command

ALLURE = Path(settings.BASE_DIR) / "node_modules" / ".bin" / "allure"

pytestmark = [pytest.mark.appium, pytest.mark.django_db(transaction=True)]


def test_the_allure_cli_reports_what_play_wrote(appium_server, make_flow, make_device, tmp_path):
    flow = make_flow(
        [{"action": "tap", "x": 1, "y": 1},
         {"action": "tap", "locator": {"using": "accessibility id", "value": "find-once"},
          "timeout_ms": 0},
         {"action": "tap", "locator": {"using": "id", "value": "hidden"}},
         {"action": "assert", "locator": {"using": "id", "value": "nowhere"}, "timeout_ms": 0}],
        name="Allure checkout",
    )  # fmt: skip
    make_device(appium_server.url, device_id="sim-al")
    results, report = tmp_path / "allure-results", tmp_path / "allure-report"
    code, _, err = run_command(
        "play", str(flow.pk), "--device", "sim-al", "--retry", "1", "--failure-behaviour",
        "continue", "--local", "--allure", str(results),
    )  # fmt: skip
    assert code == 1, err
    assert "Allure results: " in err
    generated = subprocess.run(
        [str(ALLURE), "generate", str(results), "-o", str(report), "--clean"],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert generated.returncode == 0, generated.stderr + generated.stdout
    summary = json.loads((report / "widgets" / "summary.json").read_text())
    assert summary["statistic"] == {
        "failed": 1, "broken": 1, "skipped": 0, "passed": 2, "unknown": 0, "total": 4
    }  # fmt: skip
    cases = [json.loads(p.read_text()) for p in (report / "data" / "test-cases").glob("*.json")]
    flaky = [case["name"] for case in cases if case.get("flaky")]
    assert flaky == ["step 02: tap accessibility id='find-once'"]
    assert {case["name"] for case in cases if case["status"] == "failed"} == {
        "step 04: assert id='nowhere'"
    }
