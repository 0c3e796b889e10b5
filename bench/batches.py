"""A batch of 32 flows split over 4 and 8 simulated devices with phone-like command
latency, played by a real qcluster (one worker per device): the makespan against the
ideal (the sum of the runs' times / devices); then the JUnit and HTML reports of a
~500-step batch.

    cd bench && ../.venv/bin/python batches.py [--devices 4 8] [--command-ms 50]
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/playback_bench ../.venv/bin/python batches.py

Flows have 8 to 24 steps (a tap each, 16 on average: 512 steps in all), so devices
finish their flows at different times and the split's "next free device" matters.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from contextlib import ExitStack
from pathlib import Path

from _setup import django_on_bench_db
from _stack import REDIS_URL, processes, qcluster, stack_env, tap_flow

FLOWS = 32


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--devices", type=int, nargs="+", default=[4, 8])
    parser.add_argument("--command-ms", type=int, default=50, help="Each tap on the device.")
    parser.add_argument("--broker", choices=["orm", "redis"], default="orm")
    args = parser.parse_args()
    os.environ["PLAYBACK_Q_NAME"] = "bench-batches"  # this process enqueues, the cluster takes
    if args.broker == "redis":
        os.environ["REDIS_URL"] = REDIS_URL
    else:
        os.environ.pop("REDIS_URL", None)
    django_on_bench_db("batches")

    from django.conf import settings

    from playback import services
    from playback.models import Device, Run
    from playback.reports import html, junit
    from playback.words import RunSettings
    from simulator.server import APPS_DIR, AppiumServer

    app = Path(settings.VAR_DIR) / "bench" / f"phone-{args.command_ms}ms.xml"
    slow = f'<MockButton id="login" hangMs="{args.command_ms}"'
    app.write_text((APPS_DIR / "demo.xml").read_text().replace('<MockButton id="login"', slow))
    flows = [tap_flow(f"flow {i:02d}", 8 + (i * 7) % 17) for i in range(FLOWS)]
    last = None
    with ExitStack() as stack:
        servers = [stack.enter_context(AppiumServer()) for _ in range(2)]
        for count in args.devices:
            Device.objects.all().update(enabled=False)
            devices = [
                Device.objects.create(
                    device_id=f"d{count}-{i}", platform="sim", appium_url=servers[i % 2].url,
                    capabilities={"appium:app": str(app)},
                )
                for i in range(count)
            ]  # fmt: skip
            env = stack_env(broker=args.broker, workers=count, queue_name="bench-batches")
            with processes(qcluster(env)):
                time.sleep(3 + count * 0.3)  # let every worker start
                started = time.time()
                batch = services.start_batch(
                    flows=[flow.pk for flow in flows], devices=[d.device_id for d in devices],
                    settings=RunSettings(capture_screenshots=False, restart_app=False),
                )  # fmt: skip
                deadline = time.monotonic() + 1200
                while Run.objects.filter(batch=batch, status__in=["queued", "running"]).exists():
                    assert time.monotonic() < deadline
                    time.sleep(0.1)
            runs = list(Run.objects.filter(batch=batch))
            assert {r.status for r in runs} == {"success"}, {r.status for r in runs}
            busy = sum((r.finished_at - r.started_at).total_seconds() for r in runs)
            makespan = max(r.finished_at.timestamp() for r in runs) - started
            ideal = busy / count
            per_device = sorted(sum(1 for r in runs if r.device_id == d.pk) for d in devices)
            print(f"{FLOWS} flows ({sum(r.total_steps for r in runs)} steps) on {count} devices, "
                  f"taps of {args.command_ms} ms: makespan {makespan:.2f} s, ideal {ideal:.2f} s, "
                  f"efficiency {ideal / makespan:.1%}; flows per device {per_device}")  # fmt: skip
            last = batch
    steps = sum(r.total_steps for r in last.runs.all())
    for name, make in (("JUnit zip", junit.batch_zip), ("HTML report", html.batch_report)):
        times = []
        for _ in range(5):
            t0 = time.perf_counter()
            make(last)
            times.append(time.perf_counter() - t0)
        print(
            f"{name} of the batch ({steps} steps): median {statistics.median(times) * 1000:.0f} ms"
        )


if __name__ == "__main__":
    main()
