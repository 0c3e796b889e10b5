"""GET of a 100-step run while the web tier also holds live connections: 200 event
subscribers (of a run recording a step every 0.5 s) and 20 `?wait=300` requests,
against the same GETs with nothing else open, side by side on one server
(gunicorn + 2 uvicorn workers on config.asgi). One client, sequential GETs.

    cd bench && DATABASE_URL=postgres://postgres@127.0.0.1:5432/playback_bench \\
        ../.venv/bin/python api_with_live.py --broker redis      # PostgreSQL + Redis
    cd bench && ../.venv/bin/python api_with_live.py             # SQLite + the watcher
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import os
import statistics
import threading
import time
import urllib.request

from _setup import django_on_bench_db
from _stack import (
    bench_token,
    busy_device_with_a_finished_run,
    gunicorn,
    passed,
    percentile,
    processes,
    running_run,
    stack_env,
    tap_flow,
    wait_for_http,
)
from live_events import subscribe


def timed_gets(url: str, token: str, count: int) -> list[float]:
    out = []
    for _ in range(count):
        request = urllib.request.Request(url, headers={"Authorization": f"Token {token}"})
        started = time.perf_counter()
        with urllib.request.urlopen(request, timeout=30) as response:
            response.read()
        out.append((time.perf_counter() - started) * 1000)
    return out


async def hold_wait(port: int, token: str, body: bytes) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(f"POST /api/playback/start?wait=300 HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                 f"Authorization: Token {token}\r\nContent-Type: application/json\r\n"
                 f"Content-Length: {len(body)}\r\n\r\n".encode() + body)  # fmt: skip
    await writer.drain()
    await reader.read(1)  # held until the bench ends
    writer.close()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--broker", choices=["orm", "redis"], default="orm")
    parser.add_argument("--gets", type=int, default=400)
    parser.add_argument("--step-every", type=float, default=0.5, help="0: the run records none")
    args = parser.parse_args()
    if args.broker == "redis":
        os.environ["REDIS_URL"] = "redis://127.0.0.1:6379/0"
        os.environ["PLAYBACK_Q_NAME"] = "bench-api-live"
    django_on_bench_db("api_with_live")
    from django.db import connection

    from playback.models import Device, Run
    from playback.runs import step_recorder
    from simulator.server import free_port

    token = bench_token()
    flow = tap_flow("api", 100)
    busy, big = busy_device_with_a_finished_run(flow)
    live_device = Device.objects.create(device_id="live", platform="sim", appium_url="http://x:1")
    live = running_run(tap_flow("live", 1000), live_device)
    port = free_port()
    env = stack_env(broker=args.broker, workers=1, queue_name="bench-api-live")
    url = f"http://127.0.0.1:{port}/api/playback/runs/{big.pk}/"
    body = f'{{"flow_id": {flow.pk}, "device_id": "busy", "queue_if_unreachable": true}}'.encode()
    results: dict[str, list[float]] = {}

    def hold(ready: multiprocessing.Event, done: multiprocessing.Event) -> None:
        """Another process (its loop and GIL apart from the timed GETs): 200 subscribers
        of a run that records a step every 0.5 s, and 20 waits, until `done`."""
        import uvloop

        stop = threading.Event()

        def record() -> None:
            recorder, number = step_recorder.StepRecorder(live), 0
            while args.step_every and not stop.wait(args.step_every):
                number += 1
                recorder(passed(number))
            connection.close()

        async def open_all() -> None:
            connected, counter = asyncio.Event(), [0]
            path = f"/api/playback/runs/{live.pk}/events"
            tasks = [asyncio.create_task(subscribe(port, path, token, {}, connected, counter, 200))
                     for _ in range(200)]  # fmt: skip
            tasks += [asyncio.create_task(hold_wait(port, token, body)) for _ in range(20)]
            await asyncio.wait_for(connected.wait(), 60)
            await asyncio.sleep(2)  # the 20 waits are in
            ready.set()
            await asyncio.to_thread(done.wait)
            for task in tasks:
                task.cancel()

        recorder = threading.Thread(target=record)
        recorder.start()
        uvloop.run(open_all())
        stop.set()
        recorder.join()

    with processes(gunicorn(port, env, workers=2)):
        wait_for_http(f"http://127.0.0.1:{port}/api/flows/")
        timed_gets(url, token, 20)  # warm-up
        results["alone"] = timed_gets(url, token, args.gets)
        ready, done = multiprocessing.Event(), multiprocessing.Event()
        connection.close()  # not shared with the child
        child = multiprocessing.Process(target=hold, args=(ready, done))
        child.start()
        assert ready.wait(120)
        assert Run.objects.filter(status="queued", device=busy).count() == 20
        results["loaded"] = timed_gets(url, token, args.gets)
        done.set()
        child.join(60)
    stack = "PostgreSQL + Redis" if args.broker == "redis" else "SQLite + the ORM broker"
    print(f"{stack}, gunicorn + 2 uvicorn workers, GET a 100-step run x {args.gets}:")
    for name, label in (("alone", "nothing else open"),
                        ("loaded", "200 subscribers + 20 ?wait open")):  # fmt: skip
        values = results[name]
        p95, p99 = percentile(values, 95), percentile(values, 99)
        print(f"  {label:32} median {statistics.median(values):5.1f} ms, "
              f"p95 {p95:5.1f} ms, p99 {p99:5.1f} ms")  # fmt: skip


if __name__ == "__main__":
    main()
