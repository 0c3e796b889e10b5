"""How long one 20-step flow takes on the simulated device, through the service.

    .venv/bin/python bench/play_20_steps.py [--runs 15]

Plays the same 20-step flow (taps by locator and by coordinates, typing, swipes)
with screenshots on and off, alternating, and prints the medians.
"""

from __future__ import annotations

import argparse
import statistics
import time

from _setup import django_on_bench_db

STEPS = [
    {"action": "tap", "locator": {"using": "accessibility id", "value": "username"}},
    {"action": "type", "locator": {"using": "id", "value": "username"}, "text": "alice"},
    {"action": "tap", "x": 540, "y": 670},
    {"action": "type", "text": "s3cret"},
    {"action": "tap", "locator": {"using": "accessibility id", "value": "login"}},
] * 3 + [
    {"action": "swipe", "start_x": 540, "start_y": 2000, "end_x": 540, "end_y": 1300},
    {"action": "tap", "locator": {"using": "xpath", "value": "//MockListItem[@id='item-3']"}},
    {"action": "swipe", "start_x": 540, "start_y": 1300, "end_x": 540, "end_y": 2000},
    {"action": "tap", "locator": {"using": "id", "value": "forgot"}},
    {"action": "tap", "locator": {"using": "class name", "value": "MockTitle"}},
]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    django_on_bench_db("play20")

    from flows.definitions import parse_flow
    from flows.models import Flow
    from playback import services
    from playback.models import Device, Run
    from playback.words import RunSettings
    from simulator.server import APPS_DIR, AppiumServer

    assert len(STEPS) == 20
    flow = Flow.save_definition(
        parse_flow({"name": "bench 20", "platform": "sim", "app_id": "com.playback.demo",
                    "steps": STEPS})
    )  # fmt: skip
    with AppiumServer() as server:
        device = Device.objects.create(
            device_id="bench-sim", platform="sim", appium_url=server.url,
            capabilities={"appium:app": str(APPS_DIR / "demo.xml")},
        )  # fmt: skip
        wall: dict[bool, list[float]] = {True: [], False: []}
        engine_ms: dict[bool, list[int]] = {True: [], False: []}
        for i in range(args.runs * 2):
            shots = i % 2 == 0
            run = services.start_run(
                flow=flow,
                device=device,
                settings=RunSettings(capture_screenshots=shots),
                foreground=True,
            )
            started = time.perf_counter()
            services.play_in_foreground(run=run)
            wall[shots].append((time.perf_counter() - started) * 1000)
            run = Run.objects.get(pk=run.pk)
            assert run.status == "success", run.error
            engine_ms[shots].append(run.duration_ms)
    for shots in (False, True):
        label = "screenshots on " if shots else "screenshots off"
        med = statistics.median(wall[shots])
        print(
            f"20-step flow, {label}: median {med:.0f} ms per run "
            f"({med / 20:.1f} ms per step; min {min(wall[shots]):.0f}, "
            f"max {max(wall[shots]):.0f}; {args.runs} runs, session open/close included)"
        )
    ratio = statistics.median(wall[True]) / statistics.median(wall[False])
    print(f"ratio screenshots on/off: {ratio:.2f}")


if __name__ == "__main__":
    main()
