"""Warm devices against cold ones on the web device (playback/devices/sessions.py):
the same short flow (the demo shop's sign-in: 4 steps, its data cleared first) on one
web device, a run on a new Appium session (PLAYBACK_SESSION_IDLE_S=0) against a run
on the device's kept one (300, the default), alternating.

    .venv/bin/python bench/warm_devices.py [--runs 9] [--batches 3] [--gaps 20]

1. Per run: played through the service in this process (as `manage.py play` does),
   start to end; medians and the median of the paired ratios.
2. Per batch of 20 runs back to back on one device, cold and warm alternating.
3. The dispatch gap: a real django-q2 worker (one, the ORM broker) plays 20 runs
   queued at once on one device; for each run after the first, from the previous
   run's end to its claim (`started_at`), and to its first step's first command (so
   the session's opening or attaching and the app's reset are in it).
"""

from __future__ import annotations

import argparse
import itertools
import os
import statistics
import time
from pathlib import Path

from _setup import django_on_bench_db
from _stack import REDIS_URL, processes, qcluster, stack_env
from web_device import STEPS, serve_demo_app

SIGN_IN = STEPS[:4]
COLD, WARM = 0, 300  # PLAYBACK_SESSION_IDLE_S


def median_ms(values: list[float]) -> str:
    return f"{statistics.median(values):7.0f} ms"


def print_runs(cold_ms: list[float], warm_ms: list[float]) -> None:
    ratios = [w / c for w, c in zip(warm_ms, cold_ms, strict=True)]
    print(f"Per run ({len(SIGN_IN)} steps, clearData, medians of {len(cold_ms)}, alternating):")
    print(f"  cold (new session)  {median_ms(cold_ms)}")
    print(f"  warm (kept session) {median_ms(warm_ms)}")
    print(f"  warm/cold median of paired ratios {statistics.median(ratios):.3f} "
          f"({(1 - statistics.median(ratios)) * 100:.0f} % faster)")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=9)
    parser.add_argument("--batches", type=int, default=3)
    parser.add_argument("--batch-size", type=int, default=20)
    parser.add_argument("--gaps", type=int, default=20)
    parser.add_argument("--broker", choices=["orm", "redis"], default="orm")
    parser.add_argument("--skip-runs", action="store_true", help="The dispatch gap only.")
    args = parser.parse_args()
    if args.broker == "redis":
        os.environ["REDIS_URL"] = REDIS_URL
    os.environ["PLAYBACK_Q_NAME"] = "bench-warm"  # this process enqueues, the cluster takes
    django_on_bench_db("warm_devices")

    from django.conf import settings

    from flows.definitions import parse_flow
    from flows.models import Flow
    from playback import services
    from playback.models import Device, Run
    from playback.words import RunSettings
    from simulator.server import AppiumServer

    app = serve_demo_app()
    settings.PLAYBACK_WEB_PROFILES_DIR = Path(settings.VAR_DIR) / "bench-profiles"
    flow = Flow.save_definition(
        parse_flow({"name": "bench sign-in", "platform": "web", "app_id": app, "steps": SIGN_IN})
    )
    reset = RunSettings(clear_data=True, capture_screenshots=False)

    def play(device: Device, idle_s: int) -> tuple[float, bool]:
        settings.PLAYBACK_SESSION_IDLE_S = idle_s
        started = time.perf_counter()
        run = services.start_run(flow=flow, device=device, settings=reset, foreground=True)
        services.play_in_foreground(run=run)
        took = (time.perf_counter() - started) * 1000
        run = Run.objects.get(pk=run.pk)
        assert run.status == "success", (run.error, [r.error for r in run.step_results.all()])
        return took, bool(run.session_reused)

    with AppiumServer() as server:
        # Each mode its own device (its own browser profile): a cold run would stop the
        # warm device's Chromium (a new session takes over its profile).
        cold, warm = (
            Device.objects.create(device_id=f"bench-{name}", platform="web",
                                  appium_url=server.url, capabilities={})
            for name in ("cold", "warm")
        )  # fmt: skip
        play(cold, COLD)
        play(warm, WARM)  # warm-up: Chromium's profiles, the OS's page cache
        cold_ms, warm_ms, reused = [], [], []
        for _ in range(0 if args.skip_runs else args.runs):
            cold_ms.append(play(cold, COLD)[0])
            took, was_reused = play(warm, WARM)
            warm_ms.append(took)
            reused.append(was_reused)
        assert all(reused), reused
        if cold_ms:
            print_runs(cold_ms, warm_ms)
        batch = {COLD: [], WARM: []}
        for _ in range(0 if args.skip_runs else args.batches):
            for idle_s, device in ((COLD, cold), (WARM, warm)):
                started = time.perf_counter()
                for _ in range(args.batch_size):
                    play(device, idle_s)
                batch[idle_s].append(time.perf_counter() - started)
        if batch[COLD]:
            c, w = statistics.median(batch[COLD]), statistics.median(batch[WARM])
            print(f"Batch of {args.batch_size} runs on one device (medians of {args.batches}):")
            print(f"  cold {c:6.1f} s   warm {w:6.1f} s   warm/cold {w / c:.3f}")
        print(f"Dispatch gap, a worker ({args.broker} broker) playing {args.gaps} queued runs "
              "on one device:")  # fmt: skip
        for idle_s, device in ((COLD, cold), (WARM, warm)):
            env = stack_env(broker=args.broker, workers=1, queue_name="bench-warm")
            env["PLAYBACK_SESSION_IDLE_S"] = str(idle_s)
            env["PLAYBACK_WEB_PROFILES_DIR"] = str(settings.PLAYBACK_WEB_PROFILES_DIR)
            with processes(qcluster(env)):
                time.sleep(3)
                runs = [
                    services.start_run(flow=flow, device=device, settings=reset)
                    for _ in range(args.gaps)
                ]
                pks = [run.pk for run in runs]
                deadline = time.monotonic() + 30 * args.gaps
                while Run.objects.filter(pk__in=pks, finished_at__isnull=True).exists():
                    assert time.monotonic() < deadline, "the worker did not play the runs"
                    time.sleep(0.2)
            played = list(Run.objects.filter(pk__in=pks).order_by("started_at"))
            assert all(run.status == "success" for run in played), [r.error for r in played]
            to_claim, to_first = [], []
            for before, run in itertools.pairwise(played):
                first = run.step_results.order_by("step_number").first()
                first_command = first.finished_at.timestamp() * 1000 - first.duration_ms
                to_claim.append((run.started_at - before.finished_at).total_seconds() * 1000)
                to_first.append(first_command - before.finished_at.timestamp() * 1000)
            name = "warm" if idle_s else "cold"
            print(f"  {name}: previous end -> claim {median_ms(to_claim)}, "
                  f"-> first step's command {median_ms(to_first)} "
                  f"(sessions reused: {sum(bool(r.session_reused) for r in played)})")  # fmt: skip


if __name__ == "__main__":
    main()
