"""API throughput under gunicorn (2 workers) on PostgreSQL: GET a 100-step run and
POST start, driven by wrk (Debian package `wrk`) from this machine.

    cd bench && DATABASE_URL=postgres://postgres@127.0.0.1:5432/playback_bench \\
        ../.venv/bin/python api_throughput.py [--seconds 15] [--connections 8]

The POSTs go to a device that stays busy, so they queue (no worker runs); every
POST still validates, writes the run and dispatches the device's queue.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import tempfile
import time

from _setup import django_on_bench_db
from _stack import (
    bench_token,
    busy_device_with_a_finished_run,
    gunicorn,
    processes,
    stack_env,
    tap_flow,
    wait_for_http,
)

POST_LUA = """
wrk.method = "POST"
wrk.body = '{"flow_id": %d, "device_id": "busy", "settings": {"retryPerStep": 1}}'
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Token %s"
"""


def wrk(url: str, token: str, seconds: int, connections: int, script: str | None = None) -> str:
    cmd = ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency",
           "-H", f"Authorization: Token {token}", url]  # fmt: skip
    if script:
        cmd[1:1] = ["-s", script]
    return subprocess.run(cmd, capture_output=True, text=True, check=True).stdout


def summary(output: str) -> str:
    rps = re.search(r"Requests/sec:\s+([\d.]+)", output).group(1)
    p50 = re.search(r"\s50%\s+(\S+)", output).group(1)
    p99 = re.search(r"\s99%\s+(\S+)", output).group(1)
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    errors = f", {non2xx.group(1)} non-2xx" if non2xx else ""
    return f"{float(rps):7.0f} req/s, p50 {p50}, p99 {p99}{errors}"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=15)
    parser.add_argument("--connections", type=int, default=8)
    args = parser.parse_args()
    django_on_bench_db("api_throughput")

    from playback.models import Run
    from simulator.server import free_port

    token = bench_token()
    flow = tap_flow("api", 100)
    _, big = busy_device_with_a_finished_run(flow)
    port = free_port()
    env = stack_env(broker="redis", workers=1, queue_name="bench-api")
    base = f"http://127.0.0.1:{port}"
    with processes(gunicorn(port, env, workers=2)):
        wait_for_http(f"{base}/api/flows/")
        time.sleep(1)
        get = wrk(f"{base}/api/playback/runs/{big.pk}/", token, args.seconds, args.connections)
        with tempfile.NamedTemporaryFile("w", suffix=".lua") as script:
            script.write(POST_LUA % (flow.pk, token))
            script.flush()
            post = wrk(f"{base}/api/playback/start", token, args.seconds, args.connections,
                       script.name)  # fmt: skip
    queued = Run.objects.filter(status="queued").count()
    print(f"gunicorn 2 workers, PostgreSQL, wrk {args.connections} connections, "
          f"{args.seconds} s each:")  # fmt: skip
    print(f"  GET run (100 steps): {summary(get)}")
    print(f"  POST start:          {summary(post)}  ({queued} runs queued)")


if __name__ == "__main__":
    main()
