"""Queue latency and API latency on the embedded default stack (SQLite + ORM broker).

    .venv/bin/python bench/api_latency.py [--runs 20] [--gets 300]

Starts a real Appium server, a real qcluster (2 workers) and the web server
(`runserver`, one process) on a throwaway database, then:
1. POSTs a 20-step flow N times (one at a time) and reports, from the run's own
   timestamps, the median/p95 time from POST start to `running` and to finished;
2. GETs one run with 100 steps M times and reports p50/p95/p99 latency.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
import urllib.request

from _setup import ROOT, django_on_bench_db
from _stack import percentile


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--gets", type=int, default=300)
    args = parser.parse_args()
    django_on_bench_db("api")

    from django.contrib.auth import get_user_model
    from django.core.files.base import ContentFile
    from rest_framework.authtoken.models import Token

    from bench.play_20_steps import STEPS
    from flows.definitions import parse_flow
    from flows.models import Flow
    from playback import services
    from playback.models import Device, Run, StepResult
    from simulator.server import APPS_DIR, AppiumServer, free_port

    user = get_user_model().objects.create_user("bench")
    token = Token.objects.create(user=user).key
    flow = Flow.save_definition(
        parse_flow({"name": "bench 20", "platform": "sim", "app_id": "com.playback.demo",
                    "steps": STEPS})
    )  # fmt: skip
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "PLAYBACK_WORKERS": "2"}
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    manage = [sys.executable, str(ROOT / "manage.py")]
    with AppiumServer() as appium:
        device = Device.objects.create(
            device_id="bench-sim", platform="sim", appium_url=appium.url,
            capabilities={"appium:app": str(APPS_DIR / "demo.xml")},
        )  # fmt: skip
        children = [
            subprocess.Popen([*manage, "qcluster"], env=env, stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL),
            subprocess.Popen([*manage, "runserver", f"127.0.0.1:{port}", "--noreload"],
                             env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL),
        ]  # fmt: skip
        try:
            time.sleep(3)

            def call(method: str, path: str, body=None):
                request = urllib.request.Request(
                    base + path, method=method,
                    data=json.dumps(body).encode() if body is not None else None,
                    headers={"Authorization": f"Token {token}",
                             "Content-Type": "application/json"},
                )  # fmt: skip
                with urllib.request.urlopen(request, timeout=60) as response:
                    return json.load(response)

            to_running, to_finished = [], []
            body = {"flow_id": flow.pk, "device_id": device.device_id,
                    "settings": {"captureScreenshots": False}}  # fmt: skip
            for _ in range(args.runs):
                sent = time.time()
                run_id = call("POST", "/api/playback/start", body)["run_id"]
                run = services.wait_for_run(run_id=run_id, timeout_s=60, poll_s=0.05)
                assert run.status == "success", run.error
                to_running.append((run.started_at.timestamp() - sent) * 1000)
                to_finished.append((run.finished_at.timestamp() - sent) * 1000)

            big = services.start_run(flow=flow, device=device, foreground=True)
            Run.objects.filter(pk=big.pk).update(status="partial_success")
            for number in range(1, 101):
                result = StepResult(run=big, step_number=number, action="tap",
                                    status="flaky", attempts=2,
                                    attempt_errors=["Element not found"],
                                    error="Passed on attempt 2; attempt 1 failed: x")  # fmt: skip
                result.screenshot.save("s.png", ContentFile(b"png"), save=False)
                result.save()
            latencies = []
            call("GET", f"/api/playback/runs/{big.pk}/")
            for _ in range(args.gets):
                started = time.perf_counter()
                assert len(call("GET", f"/api/playback/runs/{big.pk}/")["steps"]) == 100
                latencies.append((time.perf_counter() - started) * 1000)
        finally:
            for child in children:
                child.terminate()
                child.wait(timeout=20)

    print(
        f"POST start -> running (20-step flow, {args.runs} runs): "
        f"median {statistics.median(to_running):.0f} ms, p95 {percentile(to_running, 95):.0f} ms"
    )
    print(
        f"POST start -> finished: median {statistics.median(to_finished):.0f} ms, "
        f"p95 {percentile(to_finished, 95):.0f} ms"
    )
    print(
        f"GET run with 100 steps ({args.gets} requests, runserver): "
        f"p50 {percentile(latencies, 50):.1f} ms, p95 {percentile(latencies, 95):.1f} ms, "
        f"p99 {percentile(latencies, 99):.1f} ms"
    )


if __name__ == "__main__":
    main()
