"""POST start -> running: the ORM broker against the Redis broker, side by side.

    cd bench && DATABASE_URL=postgres://postgres@127.0.0.1:5432/playback_bench \\
        ../.venv/bin/python queue_latency.py [--runs 40]

Two stacks on one PostgreSQL database: gunicorn + qcluster with the ORM broker, and
gunicorn + qcluster with the Redis broker. POSTs alternate between them (a 1-step
flow, each run waited for before the next); the time to `running` is the run's
`started_at` against the moment its POST was sent.
"""

from __future__ import annotations

import argparse
import statistics
import time

from _setup import django_on_bench_db
from _stack import (
    bench_token,
    gunicorn,
    percentile,
    post_json,
    processes,
    qcluster,
    stack_env,
    tap_flow,
    wait_for_http,
)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=40)
    args = parser.parse_args()
    django_on_bench_db("queue")

    from playback import services
    from playback.models import Device
    from simulator.server import APPS_DIR, AppiumServer, free_port

    token = bench_token()
    flow = tap_flow("one tap", 1)
    ports = {"orm": free_port(), "redis": free_port()}
    envs = {b: stack_env(broker=b, workers=2, queue_name=f"bench-{b}") for b in ports}
    with AppiumServer() as appium:
        Device.objects.create(device_id="q", platform="sim", appium_url=appium.url,
                              capabilities={"appium:app": str(APPS_DIR / "demo.xml")})  # fmt: skip
        commands = [c for b in ports for c in (qcluster(envs[b]), gunicorn(ports[b], envs[b]))]
        with processes(*commands):
            for port in ports.values():
                wait_for_http(f"http://127.0.0.1:{port}/api/flows/")
            time.sleep(3)  # the clusters' workers
            latency: dict[str, list[float]] = {b: [] for b in ports}
            body = {"flow_id": flow.pk, "device_id": "q", "settings": {"restartApp": False}}
            for i in range(args.runs * 2 + 2):
                broker = "orm" if i % 2 else "redis"
                sent = time.time()
                run_id = post_json(f"http://127.0.0.1:{ports[broker]}/api/playback/start",
                                   token, body)["run_id"]  # fmt: skip
                run = services.wait_for_run(run_id=run_id, timeout_s=60, poll_s=0.02)
                assert run.status == "success", run.error
                if i >= 2:  # the first round warms up
                    latency[broker].append((run.started_at.timestamp() - sent) * 1000)
    for broker, values in latency.items():
        print(f"{broker:5} broker: POST -> running median {statistics.median(values):.0f} ms, "
              f"p95 {percentile(values, 95):.0f} ms, max {max(values):.0f} ms "
              f"({len(values)} runs)")  # fmt: skip
    ratio = statistics.median(latency["orm"]) / statistics.median(latency["redis"])
    print(f"median ratio orm/redis: {ratio:.1f}")


if __name__ == "__main__":
    main()
