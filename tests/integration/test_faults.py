"""Faults, reproduced for real: each ends the run cleanly with a reason, keeps what
was recorded, frees the device. The time each took to clean up is written to
test-artifacts/faults.jsonl."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from rest_framework.authtoken.models import Token

from playback import services
from playback.models import Device, Run
from simulator.server import AppiumServer
from tests.cluster import QCluster
from tests.helpers import tap

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.appium]
ARTIFACTS = Path(django_settings.BASE_DIR) / "test-artifacts"


@pytest.fixture(scope="module", autouse=True)
def fresh_fault_log():
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "faults.jsonl").write_text("")


def record(fault: str, run: Run, cleanup_s: float) -> None:
    with open(ARTIFACTS / "faults.jsonl", "a") as out:
        out.write(json.dumps({
            "fault": fault, "status": run.status, "error": run.error,
            "steps": list(run.step_results.values_list("status", flat=True)),
            "cleanup_s": round(cleanup_s, 2),
        }) + "\n")  # fmt: skip


def wait_until(predicate, timeout_s=60, poll_s=0.05):
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(poll_s)
    raise AssertionError("timed out waiting")


def slow_flow(make_flow, steps=8):
    # Each step clicks an element whose click takes 300 ms.
    return make_flow([tap("slow")] * steps)


def test_a_killed_worker_is_found_its_run_ended_and_the_next_run_played(
    make_flow, sim_device, media_root
):
    flow = slow_flow(make_flow)
    with QCluster(workers=1, media_root=media_root) as cluster:
        lost = services.start_run(flow=flow, device=sim_device)
        after = services.start_run(flow=make_flow([tap("ok")]), device=sim_device)
        wait_until(lambda: Run.objects.get(pk=lost.pk).step_results.count() >= 2)
        worker = Run.objects.get(pk=lost.pk).worker
        killed_at = time.monotonic()
        os.kill(int(worker.rpartition(":")[2]), signal.SIGKILL)
        wait_until(lambda: Run.objects.get(pk=lost.pk).status == "error", timeout_s=30)
        cleanup = time.monotonic() - killed_at
        wait_until(lambda: Run.objects.get(pk=after.pk).status == "success", timeout_s=60)
        assert any("ready for work" in line for line in cluster.lines[-20:])
    # The workers log like the web server: one JSON line a record, here the sweep's.
    swept = [json.loads(line) for line in cluster.lines if '"logger": "playback.sweeper"' in line]
    assert swept and "worker lost" in swept[0]["message"]
    lost.refresh_from_db()
    assert lost.error == f"Worker lost: its worker process {worker} is gone"
    statuses = list(lost.step_results.values_list("status", flat=True))
    assert len(statuses) == 8
    assert statuses[:2] == ["pass", "pass"]  # what was recorded is kept
    assert statuses[-1] == "blocked"
    assert Run.objects.get(pk=after.pk).started_at >= lost.finished_at
    record("worker SIGKILLed mid-run", lost, cleanup)


def test_appium_stopped_mid_run_ends_the_run_and_frees_the_device(make_flow, make_device):
    with AppiumServer() as server:
        device = make_device(server.url, device_id="phone-9")
        stopped = {}

        def stop_after_two(run, outcome):
            if outcome.step == 2:
                server.stop()
                stopped["at"] = time.monotonic()

        run = services.start_run(flow=slow_flow(make_flow, 5), device=device, foreground=True)
        services.play_in_foreground(run=run, on_step=stop_after_two)
        cleanup = time.monotonic() - stopped["at"]
    run.refresh_from_db()
    assert run.status == "error"
    assert run.error == (
        f"lost contact with device phone-9 via {server.url} during finding accessibility "
        "id='slow': connection refused (is the Appium server running?)"
    )
    assert list(run.step_results.values_list("status", flat=True)) == [
        "pass", "pass", "fail", "blocked", "blocked",
    ]  # fmt: skip
    assert Device.objects.get(pk=device.pk).current_run is None
    record("Appium server stopped mid-run", run, cleanup)


def test_a_session_that_dies_mid_run_ends_the_run_as_error(
    play, make_flow, sim_device, appium_server, real_session
):
    session = real_session

    def kill_session(run, outcome):
        if outcome.step == 1:  # as if the device rebooted: the server drops the session
            url = f"{appium_server.url}/session/{session.remote.session_id}"
            urllib.request.urlopen(urllib.request.Request(url, method="DELETE")).read()

    started = time.monotonic()
    run = play(make_flow([tap("ok")] * 3), sim_device, on_step=kill_session, open_session=session)
    assert run.status == "error"
    assert f"the Appium session on device {sim_device.device_id} via {appium_server.url}" in (
        run.error
    )
    assert list(run.step_results.values_list("status", flat=True)) == ["pass", "fail", "blocked"]
    record("Appium session deleted mid-run", run, time.monotonic() - started)


def test_a_hanging_command_ends_the_run_as_error_naming_what_hung(
    play, make_flow, sim_device, settings
):
    settings.APPIUM_COMMAND_TIMEOUT_S = 1.0
    started = time.monotonic()
    run = play(make_flow([tap("ok"), tap("stuck"), tap("ok-2")]), sim_device)
    assert run.status == "error"
    assert run.error == (
        f"lost contact with device {sim_device.device_id} via {sim_device.appium_url} during "
        "click: no answer in time (the device or its Appium server hangs)"
    )
    assert list(run.step_results.values_list("status", flat=True)) == ["pass", "fail", "blocked"]
    record("a click that hangs (command timeout 1 s)", run, time.monotonic() - started)


def test_a_step_that_never_appears_fails_after_its_wait(play, make_flow, sim_device):
    started = time.monotonic()
    flow = make_flow([tap("nowhere", timeout_ms=300), tap("ok")])
    run = play(flow, sim_device, {"failure_behaviour": "continue"})
    assert run.status == "partial_success"
    failed = run.step_results.get(step_number=1)
    assert failed.error == (
        "Failed after 1 attempt: Element not found: accessibility id='nowhere' (waited 300 ms)"
    )
    record("an element that never appears (wait 300 ms)", run, time.monotonic() - started)


def test_a_run_over_its_own_timeout_ends_as_error_and_skips_the_rest(play, make_flow, sim_device):
    started = time.monotonic()
    run = play(slow_flow(make_flow, 10), sim_device, {"run_timeout_s": 1})
    assert run.status == "error"
    assert run.error.startswith("Run timed out after 1 s (before step ")
    statuses = list(run.step_results.values_list("status", flat=True))
    assert statuses[0] == "pass" and statuses[-1] == "skipped"
    assert run.step_results.last().error == "Run timed out"
    record("run timeout 1 s on a 3 s flow", run, time.monotonic() - started - 1)


def test_cancel_mid_run_over_http_stops_it_and_the_next_run_starts(
    live_server, make_flow, sim_device, media_root, member
):
    token = Token.objects.create(user=member("runner", "qa")).key

    def post(path):
        request = urllib.request.Request(
            live_server.url + path, method="POST", headers={"Authorization": f"Token {token}"}
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.load(response)

    with QCluster(workers=2, media_root=media_root):
        run = services.start_run(flow=slow_flow(make_flow), device=sim_device)
        after = services.start_run(flow=make_flow([tap("ok")]), device=sim_device)
        wait_until(lambda: Run.objects.get(pk=run.pk).step_results.count() >= 2)
        asked = time.monotonic()
        code, answer = post(f"/api/playback/runs/{run.pk}/cancel/")
        assert code == 200
        # The step in flight finishes: still running, the cancel on its way.
        assert (answer["status"], answer["cancel_requested"]) == ("running", True)
        wait_until(lambda: Run.objects.get(pk=run.pk).status == "cancelled", timeout_s=30)
        cleanup = time.monotonic() - asked
        wait_until(lambda: Run.objects.get(pk=after.pk).status == "success", timeout_s=30)
    run.refresh_from_db()
    statuses = list(run.step_results.values_list("status", flat=True))
    assert len(statuses) == 8
    assert statuses[-1] == "skipped"
    first_skipped = run.step_results.filter(status="skipped").first()
    assert first_skipped.error == "Run cancelled"
    assert run.error == f"Cancelled by qa before step {first_skipped.step_number}"
    assert Device.objects.get(pk=sim_device.pk).current_run is None
    record("cancel over HTTP mid-run", run, cleanup)


def test_fifty_starts_ten_at_a_time_with_ten_keys_make_ten_runs(
    live_server, make_flow, make_device, member
):
    flow = make_flow([tap("ok")])
    make_device("http://127.0.0.1:9", device_id="d1")
    token = Token.objects.create(user=member("runner", "ci")).key

    def start(i):
        request = urllib.request.Request(
            f"{live_server.url}/api/playback/start",
            method="POST",
            data=json.dumps({"flow_id": flow.pk, "device_id": "d1"}).encode(),
            headers={
                "Authorization": f"Token {token}",
                "Content-Type": "application/json",
                "Idempotency-Key": f"pipeline-{i // 5}",
            },
        )
        with contextlib.closing(urllib.request.urlopen(request, timeout=60)) as response:
            return response.status, json.load(response)["run_id"]

    # Ten at a time: the test server's listen backlog is ten (more connections at
    # once are reset by the kernel, not by us); the five requests of a key are
    # neighbours, so they race one another.
    with ThreadPoolExecutor(max_workers=10) as pool:
        answers = list(pool.map(start, range(50)))
    assert Run.objects.count() == 10
    by_key: dict[int, set[int]] = {}
    for i, (_, run_id) in enumerate(answers):
        by_key.setdefault(i // 5, set()).add(run_id)
    assert all(len(ids) == 1 for ids in by_key.values())
    assert sorted(code for code, _ in answers).count(202) == 10


def test_a_hung_appium_server_ends_the_run_within_the_command_timeout(
    play, make_flow, make_device, settings
):
    settings.APPIUM_COMMAND_TIMEOUT_S = 2.0
    with AppiumServer() as server:
        device = make_device(server.url, device_id="frozen-1")
        stopped = {}

        def freeze_after_first(run, outcome):
            if outcome.step == 1:  # the server stops answering (SIGSTOP): it hangs
                os.kill(server.process.pid, signal.SIGSTOP)
                stopped["at"] = time.monotonic()

        try:
            run = play(make_flow([tap("ok")] * 3), device, on_step=freeze_after_first)
            cleanup = time.monotonic() - stopped["at"]
        finally:
            os.kill(server.process.pid, signal.SIGCONT)
    assert run.status == "error"
    assert "no answer in time" in run.error
    assert list(run.step_results.values_list("status", flat=True)) == ["pass", "fail", "blocked"]
    # The step fails at the command timeout; closing the session may not add more
    # than a moment: no hidden retries toward the hung server.
    assert cleanup < settings.APPIUM_COMMAND_TIMEOUT_S + 2, cleanup
    assert Device.objects.get(pk=device.pk).current_run is None
    record("Appium server hung (SIGSTOP) mid-run, command timeout 2 s", run, cleanup)
