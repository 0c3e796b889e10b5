"""What the evidence of a failed attempt costs (SPEC `attempt_log`), on the simulated
device through a real Appium server.

    .venv/bin/python bench/attempt_evidence.py [--runs 15]

Plays one flow of 10 steps that each fail both attempts (retry 1; `hidden` refuses
clicks), through the service: with screenshots on, each failed attempt's screen and
UI source are taken and stored (a failed step's final screen is its last attempt's);
with them off, nothing is. Runs alternate; medians. Then the capture alone
(screenshot, UI source) on one session.
"""

from __future__ import annotations

import argparse
import statistics
import time

from _setup import django_on_bench_db

STEPS = [
    {"action": "tap", "locator": {"using": "accessibility id", "value": "hidden"}, "timeout_ms": 0}
] * 10


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    django_on_bench_db("attempt_evidence")

    from flows.definitions import parse_flow
    from flows.models import Flow
    from playback import services
    from playback.drivers.registry import open_session
    from playback.models import Device, Run
    from playback.words import RunSettings
    from simulator.server import APPS_DIR, AppiumServer

    flow = Flow.save_definition(
        parse_flow({"name": "bench evidence", "platform": "sim",
                    "app_id": "com.playback.staged", "steps": STEPS})
    )  # fmt: skip
    settings = {
        on: RunSettings(retry_per_step=1, failure_behaviour="continue", capture_screenshots=on)
        for on in (True, False)
    }
    with AppiumServer() as server:
        device = Device.objects.create(
            device_id="bench-sim", platform="sim", appium_url=server.url,
            capabilities={"appium:app": str(APPS_DIR / "staged.xml")},
        )  # fmt: skip
        wall: dict[bool, list[float]] = {True: [], False: []}
        for i in range(args.runs * 2):
            on = i % 2 == 0
            run = services.start_run(flow=flow, device=device, settings=settings[on],
                                     foreground=True)  # fmt: skip
            started = time.perf_counter()
            services.play_in_foreground(run=run)
            wall[on].append((time.perf_counter() - started) * 1000)
            run = Run.objects.get(pk=run.pk)
            assert run.failed_steps == 10, run.error
        shot_ms, source_ms = [], []
        with open_session(device, "com.playback.staged") as driver:
            for _ in range(args.runs * 4):
                t0 = time.perf_counter()
                driver.screenshot()
                t1 = time.perf_counter()
                driver.page_source()
                t2 = time.perf_counter()
                shot_ms.append((t1 - t0) * 1000)
                source_ms.append((t2 - t1) * 1000)
    on, off = statistics.median(wall[True]), statistics.median(wall[False])
    print(f"10 failing steps x 2 attempts: evidence on {on:.0f} ms, off {off:.0f} ms per run "
          f"(medians of {args.runs}); on/off {on / off:.2f}")  # fmt: skip
    print(f"difference per failed attempt (capture + store; final screenshots included): "
          f"{(on - off) / 20:.1f} ms")  # fmt: skip
    shot, source = statistics.median(shot_ms), statistics.median(source_ms)
    print(f"the capture alone: screenshot {shot:.1f} ms, UI source {source:.1f} ms "
          f"(medians of {len(shot_ms)})")  # fmt: skip


if __name__ == "__main__":
    main()
