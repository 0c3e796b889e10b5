"""The CLI: import_flow, export_flow, add_device, play — good and bad input."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core.management import call_command
from django.core.management.base import CommandError

from flows.models import Flow, Step
from playback import actions
from playback.models import Device, Run, StepResult
from tests.helpers import DEMO_FLOW, run_command

pytestmark = pytest.mark.django_db

ALL_ACTIONS = ", ".join(actions.SPECS)


def write(tmp_path: Path, data, name="flow.json") -> str:
    path = tmp_path / name
    path.write_text(data if isinstance(data, str) else json.dumps(data))
    return str(path)


def nothing_written() -> bool:
    return not (Flow.objects.exists() or Step.objects.exists() or Run.objects.exists())


# --- import_flow / export_flow ---------------------------------------------------------
def test_import_creates_a_flow_and_export_gives_back_the_same_json(tmp_path):
    code, out, _ = run_command("import_flow", str(DEMO_FLOW))
    assert code == 0
    flow = Flow.objects.get()
    assert out.strip() == f"Created flow {flow.pk} {flow.name!r} (7 steps, sim)."
    code, out, _ = run_command("export_flow", str(flow.pk))
    exported = json.loads(out)
    original = json.loads(DEMO_FLOW.read_text())
    for step in original["steps"]:
        step.setdefault("duration", 500) if step["action"] == "swipe" else None
    assert exported == original


def test_import_updates_the_flow_of_the_same_name(tmp_path):
    data = json.loads(DEMO_FLOW.read_text())
    run_command("import_flow", write(tmp_path, data))
    data["steps"] = data["steps"][:2]
    data["app_id"] = "com.other"
    code, out, _ = run_command("import_flow", write(tmp_path, data))
    assert code == 0 and out.startswith("Updated flow")
    flow = Flow.objects.get()
    assert (flow.app_id, flow.steps.count()) == ("com.other", 2)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json", "not valid JSON: Expecting property name enclosed in double quotes"),
        ('{"name": "x", "platform": "sim", "app_id": "a", "steps": [{"action": "jump"}]}',
         "steps[0].action: Must be one of " + ALL_ACTIONS + " (got 'jump')"),
        ('{"name": "x", "platform": "sim", "app_id": "a", "steps": [{"action": "tap"}]}',
         "steps[0]: A tap needs a locator or x and y screen coordinates."),
        ('{"name": "x", "platform": "sim", "app_id": "a", "steps": [{"action": "tap", '
         '"locator": {"using": "-ios class chain", "value": "x"}}]}',
         "steps[0].locator.using: A sim flow cannot find elements by '-ios class chain'"),
        ('{"name": "x", "platform": "sim", "app_id": "a", "steps": [{"action": "type"}]}',
         "steps[0].text: Required: the text to type"),
        ('{"name": "x", "platform": "tv", "app_id": "a", "steps": []}', "platform: Must be one of"),
        ("[]", "flow: Must be an object"),
    ],
)  # fmt: skip
def test_import_rejects_bad_files_with_a_clear_message_and_writes_nothing(
    tmp_path, content, message
):
    with pytest.raises(CommandError) as caught:
        call_command("import_flow", write(tmp_path, content))
    assert message in str(caught.value)
    assert caught.value.returncode == 2
    assert "\n" not in str(caught.value)
    assert nothing_written()


def test_import_of_a_missing_file_says_so(tmp_path):
    with pytest.raises(CommandError, match="cannot read it: No such file"):
        call_command("import_flow", str(tmp_path / "nope.json"))


def test_import_of_a_binary_file_says_it_is_not_text(tmp_path):
    path = tmp_path / "bin.json"
    path.write_bytes(b"\xff\xfe\x00")
    with pytest.raises(CommandError, match="not UTF-8 text"):
        call_command("import_flow", str(path))


def test_export_of_an_unknown_flow_says_so():
    with pytest.raises(CommandError, match=r"No flow with id 42\."):
        call_command("export_flow", "42")


# --- add_device ----------------------------------------------------------------------
def test_add_device_creates_then_updates():
    code, out, _ = run_command(
        "add_device", "--device-id", "emulator-5554", "--platform", "android",
        "--appium-url", "http://127.0.0.1:4723", "--capabilities", '{"appium:avd": "Pixel"}',
    )  # fmt: skip
    assert code == 0 and out.startswith("Added device emulator-5554")
    run_command(
        "add_device", "--device-id", "emulator-5554", "--platform", "android",
        "--appium-url", "http://10.0.0.2:4723",
    )  # fmt: skip
    device = Device.objects.get()
    assert device.appium_url == "http://10.0.0.2:4723"
    assert device.capabilities == {}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--platform", "tv"], "--platform must be one of android, ios, sim, web (got 'tv')"),
        (["--appium-url", "ftp://x"], "--appium-url must be an http(s) URL"),
        (["--appium-url", "not a url"], "--appium-url must be an http(s) URL"),
        (["--capabilities", "{bad"], "--capabilities is not valid JSON"),
        (["--capabilities", "[1]"], "--capabilities: Must be a JSON object"),
        (["--capabilities", '{"a":' * 12 + "1" + "}" * 12], "nested deeper than 10"),
        (["--capabilities", '{"a": "\\ud800"}'], "lone surrogate"),
        (["--device-id", " "], "--device-id must be 1 to 200 characters"),
        (["--platform", "web", "--capabilities", '{"appium:executable": "/x"}'],
         "--capabilities: 'appium:executable' is not allowed: it would run a program"),
    ],
)  # fmt: skip
def test_add_device_rejects_bad_arguments(args, message):
    base = {"--device-id": "d1", "--platform": "sim", "--appium-url": "http://127.0.0.1:4723"}
    base.update(dict(zip(args[::2], args[1::2], strict=True)))
    flat = [item for pair in base.items() for item in pair]
    with pytest.raises(CommandError) as caught:
        call_command("add_device", *flat)
    assert message in str(caught.value)
    assert not Device.objects.exists()


# --- play: bad arguments ------------------------------------------------------------------
@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["999", "--device", "sim-x"], "No flow with id or name '999'."),
        (["abc", "--device", "sim-x"], "No flow with id or name 'abc'."),
        (["{flow}", "--device", "nope"], "No device with device id 'nope'"),
        (["{flow}", "--device", "sim-x", "--retry", "x"], "--retry must be a whole number"),
        (["{flow}", "--device", "sim-x", "--retry", "-1"], "--retry: Must be 0 or more"),
        (["{flow}", "--device", "sim-x", "--run-timeout", "0"], "--run-timeout: Must be from 1 to"),
        (
            ["{flow}", "--device", "sim-x", "--failure-behaviour", "abort"],
            "--failure-behaviour: Must be one of stop, skip, continue (got 'abort')",
        ),
        (
            ["{flow}", "--device", "sim-x", "--record-video", "yes"],
            "--record-video: Must be one of off, failed, always (got 'yes')",
        ),
    ],
)
def test_play_rejects_bad_arguments_and_writes_nothing(demo, args, message):
    flow, _ = demo
    args = [a.replace("{flow}", str(flow.pk)) for a in args]
    with pytest.raises(CommandError) as caught:
        call_command("play", *args)
    assert message in str(caught.value)
    assert caught.value.returncode == 2
    assert not Run.objects.exists()


def test_play_refuses_a_device_of_another_platform(demo):
    flow, device = demo
    Device.objects.filter(pk=device.pk).update(platform="android")
    with pytest.raises(CommandError, match=r"No device of the batch can play .* \(sim\)"):
        call_command("play", str(flow.pk), "--device", "sim-x")
    assert not Run.objects.exists()


def test_play_refuses_a_disabled_device(demo):
    flow, device = demo
    Device.objects.filter(pk=device.pk).update(enabled=False)
    with pytest.raises(CommandError, match="Device sim-x is disabled"):
        call_command("play", str(flow.pk), "--device", "sim-x")


def test_play_refuses_a_flow_without_steps(demo):
    flow, _ = demo
    flow.steps.all().delete()
    with pytest.raises(CommandError, match="has no steps to play"):
        call_command("play", str(flow.pk), "--device", "sim-x")


def test_missing_arguments_give_one_line_and_exit_code_2():
    result = subprocess.run(
        [sys.executable, "manage.py", "play", "1"],
        cwd=django_settings.BASE_DIR,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "CommandError: Give --device (repeat for several) or --platform."
    ]
    assert result.stdout == ""


@pytest.mark.django_db(transaction=True)
def test_play_refuses_a_device_that_does_not_answer_at_once(demo):
    flow, _ = demo
    with pytest.raises(CommandError) as caught:
        call_command("play", str(flow.pk), "--device", "sim-x")
    assert caught.value.returncode == 2
    message = str(caught.value)
    assert "Device sim-x is unreachable: its Appium at http://127.0.0.1:" in message
    assert "connection refused (is Appium running?)" in message
    assert "--queue-if-unreachable" in message
    assert not Run.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_play_exits_2_when_appium_is_down(demo):
    flow, _ = demo
    code, out, err = run_command(
        "play", str(flow.pk), "--device", "sim-x", "--clear-data", "--queue-if-unreachable",
        "--local",
    )  # fmt: skip
    run = json.loads(out)["runs"][0]
    assert code == 2
    assert run["status"] == "error"
    assert "is unreachable" in run["error"]
    assert run["blocked_steps"] == 7
    assert StepResult.objects.filter(status="blocked").count() == 7
    assert "Run" in err and "error" in err


@pytest.mark.parametrize(("verbosity", "info_shown"), [(0, False), (1, False), (2, True)])
def test_a_commands_stderr_gets_the_services_log_lines_only_when_asked(verbosity, info_shown):
    import logging

    from playback.management.one_line_errors import logs_for_people

    broker, service = logging.getLogger("django-q"), logging.getLogger("playback")
    before = broker.level, service.level
    service_info = service.isEnabledFor(logging.INFO)  # LOG_LEVEL's say
    with logs_for_people(verbosity):
        assert broker.isEnabledFor(logging.INFO) is info_shown
        assert service.isEnabledFor(logging.INFO) is (info_shown and service_info)
        assert broker.isEnabledFor(logging.WARNING)
    assert (broker.level, service.level) == before
