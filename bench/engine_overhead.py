"""What the service adds per step, against a plain Appium-Python-Client script.

    cd bench && ../.venv/bin/python engine_overhead.py [--steps 200] [--rounds 7] [--screenshots]
    # on the scale-out stack:
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/playback_bench \\
    REDIS_URL=redis://127.0.0.1:6379/0 ../.venv/bin/python engine_overhead.py

One Appium server with the simulated device. Alternating in one run:
- the service: POST /api/playback/start?wait=120 to a web server (gunicorn), the
  django-q2 worker claims the run and plays the flow (N taps by locator, retries 0,
  restartApp off), every step committed before the next starts;
- a plain script: open a session, query the app state, then the same N
  find_element + click commands (+ a screenshot each with --screenshots), quit.
Reports medians: the run's own duration (claimed -> finished) against the script's,
the time added per step, and the end-to-end time from POST to the answer.
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
from _stack import bench_token, tap_flow


def raw_script(url: str, app: str, steps: int, screenshots: bool) -> float:
    from appium import webdriver
    from appium.options.common.base import AppiumOptions
    from appium.webdriver.common.appiumby import AppiumBy

    options = AppiumOptions()
    options.load_capabilities({
        "platformName": "Fake", "appium:automationName": "Fake",
        "appium:deviceName": "raw", "appium:app": app,
    })  # fmt: skip
    started = time.perf_counter()
    driver = webdriver.Remote(url, options=options)
    try:
        driver.query_app_state("com.playback.demo")
        for _ in range(steps):
            driver.find_element(AppiumBy.ACCESSIBILITY_ID, "login").click()
            if screenshots:
                driver.get_screenshot_as_png()
    finally:
        driver.quit()
    return (time.perf_counter() - started) * 1000


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--steps", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--screenshots", action="store_true")
    parser.add_argument("--profile", help="Run the worker under pyinstrument; HTML here.")
    args = parser.parse_args()
    django_on_bench_db("overhead")

    from django.conf import settings

    from playback.models import Device, Run
    from simulator.server import APPS_DIR, AppiumServer, free_port

    token = bench_token()
    flow = tap_flow("overhead", args.steps)
    app = str(APPS_DIR / "demo.xml")
    db_url = os.environ["DATABASE_URL"]
    # Per step only: no video (its start and stop are a run's, bench/video.py) and a
    # new session each run, as the plain script opens one (warm: bench/warm_devices.py).
    env = {**os.environ, "DATABASE_URL": db_url, "PLAYBACK_WORKERS": "1",
           "PYTHONUNBUFFERED": "1", "PLAYBACK_RECORD_VIDEO": "off",
           "PLAYBACK_SESSION_IDLE_S": "0"}  # fmt: skip
    port = free_port()
    manage = [sys.executable, str(ROOT / "manage.py")]
    worker = [*manage, "qcluster"]
    if args.profile:
        worker = [sys.executable, "-m", "pyinstrument", "-r", "html", "-o", args.profile,
                  str(ROOT / "manage.py"), "qcluster"]  # fmt: skip
    with AppiumServer() as appium:
        Device.objects.create(device_id="bench", platform="sim", appium_url=appium.url,
                              capabilities={"appium:app": app})  # fmt: skip
        children = [
            subprocess.Popen(worker, env=env, cwd=ROOT, stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL),
            subprocess.Popen([sys.executable, "-m", "gunicorn", "config.wsgi",
                              "-b", f"127.0.0.1:{port}", "-w", "2", "--log-level", "warning"],
                             env=env, cwd=ROOT),
        ]  # fmt: skip
        try:
            time.sleep(4)
            body = json.dumps({
                "flow_id": flow.pk, "device_id": "bench",
                "settings": {"restartApp": False, "retryPerStep": 0,
                             "captureScreenshots": args.screenshots},
            }).encode()  # fmt: skip
            service_ms, raw_ms, e2e_ms, outside_ms = [], [], [], []
            raw_script(appium.url, app, 5, args.screenshots)  # warm up
            for round_ in range(args.rounds + 1):
                request = urllib.request.Request(
                    f"http://127.0.0.1:{port}/api/playback/start?wait=300", data=body,
                    headers={"Authorization": f"Token {token}",
                             "Content-Type": "application/json"},
                )  # fmt: skip
                sent = time.perf_counter()
                with urllib.request.urlopen(request, timeout=320) as response:
                    answer = json.load(response)
                took = (time.perf_counter() - sent) * 1000
                run = Run.objects.get(pk=answer["run_id"])
                assert run.status == "success", (run.status, run.error)
                raw = raw_script(appium.url, app, args.steps, args.screenshots)
                if round_ == 0:
                    continue  # warm-up round
                e2e_ms.append(took)
                run_ms = (run.finished_at - run.started_at).total_seconds() * 1000
                service_ms.append(run_ms)
                raw_ms.append(raw)
                in_steps = sum(run.step_results.values_list("duration_ms", flat=True))
                outside_ms.append((run_ms - in_steps) / args.steps)
        finally:
            for child in children:
                child.terminate()
                child.wait(timeout=30)

    service, raw, e2e = (statistics.median(v) for v in (service_ms, raw_ms, e2e_ms))
    engine = settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1]
    broker = "redis" if os.environ.get("REDIS_URL") else "orm"
    label = "screenshots on" if args.screenshots else "screenshots off"
    print(f"{args.steps} steps, {label}, {engine} + {broker} broker, {args.rounds} rounds:")
    print(f"  raw Appium script     median {raw:8.0f} ms  ({raw / args.steps:.2f} ms/step)")
    print(f"  service (run itself)  median {service:8.0f} ms  ({service / args.steps:.2f} ms/step)")
    print(f"  ratio service/raw     {service / raw:.3f}")
    print(f"  added per step        {(service - raw) / args.steps:.3f} ms (median of runs)")
    added = sorted((s - r) / args.steps for s, r in zip(service_ms, raw_ms, strict=True))
    print(f"  added per step, per round: {', '.join(f'{a:.3f}' for a in added)}")
    print(f"  POST -> finished answer median {e2e:.0f} ms (includes queue latency)")
    print(
        f"  outside the device's commands per step (run time - sum of step times) / steps: "
        f"median {statistics.median(outside_ms):.3f} ms"
    )


if __name__ == "__main__":
    main()
