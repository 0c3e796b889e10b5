"""Many devices at once: 16 simulated devices, 16 runs of a 50-step flow, played by
qcluster with 1, 4 and 16 workers on PostgreSQL + Redis.

    cd bench && DATABASE_URL=postgres://postgres@127.0.0.1:5432/playback_bench \\
        ../.venv/bin/python parallel_devices.py [--workers 1 4 16] [--appium 4]

The 16 devices share --appium servers (4 devices each by default). Makespan is from
the first POST to the last run's end; the ideal for w workers is the 1-worker
makespan divided by min(w, 16); efficiency = ideal / makespan.
"""

from __future__ import annotations

import argparse
import time
from concurrent.futures import ThreadPoolExecutor

from _setup import django_on_bench_db
from _stack import (
    bench_token,
    gunicorn,
    post_json,
    processes,
    qcluster,
    stack_env,
    tap_flow,
    wait_for_http,
)

DEVICES = 16


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 4, 16])
    parser.add_argument("--appium", type=int, default=4)
    parser.add_argument("--steps", type=int, default=50)
    parser.add_argument(
        "--command-ms", type=int, default=0,
        help="Make each tap take this long on the device (a phone answers in ~50+ ms).",
    )  # fmt: skip
    args = parser.parse_args()
    django_on_bench_db("parallel")

    from contextlib import ExitStack
    from pathlib import Path

    from django.conf import settings

    from playback.models import Device, Run
    from simulator.server import APPS_DIR, AppiumServer, free_port

    token = bench_token()
    flow = tap_flow("fifty", args.steps)
    app = APPS_DIR / "demo.xml"
    if args.command_ms:
        app = Path(settings.VAR_DIR) / "bench" / f"phone-{args.command_ms}ms.xml"
        app.write_text(
            (APPS_DIR / "demo.xml")
            .read_text()
            .replace('<MockButton id="login"', f'<MockButton id="login" hangMs="{args.command_ms}"')
        )
    results = {}
    with ExitStack() as stack:
        servers = [stack.enter_context(AppiumServer()) for _ in range(args.appium)]
        devices = [
            Device.objects.create(
                device_id=f"lab-{i:02d}", platform="sim",
                appium_url=servers[i % len(servers)].url,
                capabilities={"appium:app": str(app)},
            )
            for i in range(DEVICES)
        ]  # fmt: skip
        for workers in args.workers:
            port = free_port()
            env = stack_env(broker="redis", workers=workers, queue_name=f"bench-par-{workers}")
            with processes(qcluster(env), gunicorn(port, env)):
                wait_for_http(f"http://127.0.0.1:{port}/api/flows/")
                time.sleep(3 + workers * 0.3)  # let every worker start
                body = {"flow_id": flow.pk, "settings": {"captureScreenshots": False}}
                started = time.time()
                url = f"http://127.0.0.1:{port}/api/playback/start"

                def start(device, url=url, body=body):
                    return post_json(url, token, {**body, "device_id": device.device_id})["run_id"]

                with ThreadPoolExecutor(max_workers=DEVICES) as pool:
                    run_ids = list(pool.map(start, devices))
                deadline = time.monotonic() + 600
                while Run.objects.filter(pk__in=run_ids, status__in=["queued", "running"]).exists():
                    assert time.monotonic() < deadline
                    time.sleep(0.1)
                runs = list(Run.objects.filter(pk__in=run_ids))
                assert {r.status for r in runs} == {"success"}, {r.status for r in runs}
                makespan = max(r.finished_at.timestamp() for r in runs) - started
                results[workers] = makespan
    base = results.get(1)
    print(f"16 runs x {args.steps} steps on 16 devices ({args.appium} Appium servers), "
          f"each tap {args.command_ms or '~2'} ms on the device, PostgreSQL + Redis:")  # fmt: skip
    for workers, makespan in results.items():
        line = f"  {workers:2} workers: makespan {makespan:6.2f} s"
        if base:
            ideal = base / min(workers, DEVICES)
            line += f", ideal {ideal:5.2f} s, efficiency {ideal / makespan:5.1%}"
            line += f", speed-up x{base / makespan:.2f}"
        print(line)


if __name__ == "__main__":
    main()
