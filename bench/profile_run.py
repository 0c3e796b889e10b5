"""Profile one run of N steps in this process (pyinstrument), to see where a step's
time goes beyond the device's own.

    cd bench && ../.venv/bin/python profile_run.py [--steps 200] [--html profile.html]
"""

from __future__ import annotations

import argparse
import time

from _setup import django_on_bench_db
from _stack import tap_flow


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--steps", type=int, default=200)
    parser.add_argument("--screenshots", action="store_true")
    parser.add_argument("--html", default=None)
    args = parser.parse_args()
    django_on_bench_db("profile")

    from pyinstrument import Profiler

    from playback import services
    from playback.models import Device
    from playback.words import RunSettings
    from simulator.server import APPS_DIR, AppiumServer

    flow = tap_flow("profile", args.steps)
    settings = RunSettings(restart_app=False, capture_screenshots=args.screenshots)
    with AppiumServer() as appium:
        device = Device.objects.create(
            device_id="profile", platform="sim", appium_url=appium.url,
            capabilities={"appium:app": str(APPS_DIR / "demo.xml")},
        )  # fmt: skip
        for _ in range(2):  # warm up
            run = services.start_run(flow=flow, device=device, settings=settings, foreground=True)
            services.play_in_foreground(run=run)
        run = services.start_run(flow=flow, device=device, settings=settings, foreground=True)
        profiler = Profiler(interval=0.0002)
        started = time.perf_counter()
        with profiler:
            services.play_in_foreground(run=run)
        print(f"{args.steps} steps in {(time.perf_counter() - started) * 1000:.0f} ms")
    print(profiler.output_text(unicode=False, color=False, show_all=False))
    if args.html:
        with open(args.html, "w") as out:
            out.write(profiler.output_html())


if __name__ == "__main__":
    main()
