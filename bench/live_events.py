"""Live events: step committed -> event received, with many subscribers.

The production web command (gunicorn + 2 uvicorn workers on config.asgi) serves
N subscribers (default 500) of one running run's Server-Sent Events, held by this
process on asyncio sockets. A thread here records the run's steps as a worker does
(step_recorder.StepRecorder: the step's row and the run's counters in one commit, then
the live message), one every --interval seconds; each subscriber notes when each
step's event arrives. Latency = arrival - the end of the step's commit, over every
subscriber and step (same clock, same process). Memory per subscriber = the web
workers' RSS with the subscribers connected, minus before, over N.

    cd bench && ../.venv/bin/python live_events.py                    # SQLite: the watcher
    cd bench && DATABASE_URL=postgres://postgres@127.0.0.1:5432/playback_bench \\
        ../.venv/bin/python live_events.py --broker redis             # PostgreSQL + Redis
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import threading
import time
from pathlib import Path

from _setup import django_on_bench_db
from _stack import (
    bench_token,
    gunicorn,
    passed,
    percentile,
    processes,
    running_run,
    stack_env,
    tap_flow,
    wait_for_http,
)


async def subscribe(port: int, path: str, token: str, arrivals: dict[int, list[float]],
                    connected: asyncio.Event, counter: list[int], total: int) -> None:  # fmt: skip
    """One subscriber. While the stream runs it only notes when each chunk arrived
    (the events are parsed afterwards): 500 of them share this process's loop, and
    parsing as they arrive would delay the later subscribers' timestamps."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Token {token}\r\n"
                 "Accept: text/event-stream\r\n\r\n".encode())  # fmt: skip
    await writer.drain()
    chunks: list[tuple[float, bytes]] = []
    connected_yet = False
    while True:
        data = await reader.read(65536)
        if not data:
            break
        chunks.append((time.perf_counter(), data))
        if not connected_yet and b"event: status" in data:
            connected_yet = True
            counter[0] += 1
            if counter[0] == total:
                connected.set()
        if b"event: end" in data:
            break
    writer.close()
    buffer = b""
    for at, data in chunks:
        buffer += data
        for line in buffer.split(b"\n")[:-1]:
            if line.startswith(b'data: {"step":'):
                arrivals.setdefault(json.loads(line[6:])["step"], []).append(at)
        buffer = buffer.rsplit(b"\n", 1)[-1]


def status_total(pids: list[int], field: str) -> int:
    """A /proc/<pid>/status field (VmRSS: kB, Threads: a count) summed over `pids`."""
    total = 0
    for pid in pids:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(f"{field}:"):
                total += int(line.split()[1])
    return total


def rss_kb(pids: list[int]) -> int:
    return status_total(pids, "VmRSS")


def threads(pids: list[int]) -> int:
    return status_total(pids, "Threads")


def worker_pids(master: int) -> list[int]:
    children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
    return [int(pid) for pid in children]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--broker", choices=["orm", "redis"], default="orm")
    parser.add_argument("--subscribers", type=int, default=500)
    parser.add_argument("--steps", type=int, default=40)
    parser.add_argument("--interval", type=float, default=0.25)
    args = parser.parse_args()
    if args.broker == "redis":
        import os

        os.environ["REDIS_URL"] = "redis://127.0.0.1:6379/0"
        os.environ["PLAYBACK_Q_NAME"] = "bench-live"
    django_on_bench_db("live_events")
    from django.db import connection

    from playback import services
    from playback.models import Device
    from playback.runs import lifecycle, step_recorder
    from simulator.server import free_port

    token = bench_token()
    flow = tap_flow("live", args.steps)
    device = Device.objects.create(device_id="live", platform="sim", appium_url="http://x:1")
    warm = services.start_run(flow=flow, device=device, foreground=True)
    services.cancel_run(run=warm)  # an ended run: its stream closes at once
    run = running_run(flow, device)
    port = free_port()
    env = stack_env(broker=args.broker, workers=1, queue_name="bench-live")
    committed: dict[int, float] = {}
    counts: list[int] = []  # the web workers' threads before and with the subscribers

    def record() -> None:
        recorder = step_recorder.StepRecorder(run)
        for number in range(1, args.steps + 1):
            time.sleep(args.interval)
            recorder(passed(number))
            committed[number] = time.perf_counter()
        lifecycle.finish(run, status="success", duration_ms=1)
        connection.close()

    async def measure() -> tuple[dict[int, list[float]], int, int]:
        arrivals: dict[int, list[float]] = {}
        connected, counter = asyncio.Event(), [0]
        path = f"/api/playback/runs/{run.pk}/events"
        master = server.pid
        for _ in range(20):  # both workers import what a stream needs before `before`
            await subscribe(port, f"/api/playback/runs/{warm.pk}/events", token, {},
                            asyncio.Event(), [0], 0)  # fmt: skip
        before = rss_kb(worker_pids(master))
        threads_before = threads(worker_pids(master))
        tasks = [asyncio.create_task(subscribe(port, path, token, arrivals, connected, counter,
                                               args.subscribers))
                 for _ in range(args.subscribers)]  # fmt: skip
        await asyncio.wait_for(connected.wait(), 120)
        await asyncio.sleep(1)
        after = rss_kb(worker_pids(master))
        counts.extend([threads_before, threads(worker_pids(master))])
        thread = threading.Thread(target=record)
        thread.start()
        await asyncio.wait_for(asyncio.gather(*tasks), args.steps * args.interval + 120)
        thread.join()
        return arrivals, before, after

    with processes(gunicorn(port, env, workers=2)) as started:
        server = started[0]
        wait_for_http(f"http://127.0.0.1:{port}/api/flows/")
        time.sleep(1)
        import uvloop

        arrivals, before, after = uvloop.run(measure())
    latencies = [(t - committed[step]) * 1000 for step, times in arrivals.items() for t in times]
    received = sum(len(times) for times in arrivals.values())
    stack = "PostgreSQL + Redis pub/sub" if args.broker == "redis" else "SQLite + the watcher"
    expected = args.subscribers * args.steps
    print(f"{stack}: {args.subscribers} subscribers, {args.steps} steps every "
          f"{args.interval:g} s, {received} of {expected} events received")  # fmt: skip
    print(f"  latency ms: median {statistics.median(latencies):.1f}, "
          f"p95 {percentile(latencies, 95):.1f}, p99 {percentile(latencies, 99):.1f}, "
          f"max {max(latencies):.1f}")  # fmt: skip
    print(f"  web workers' RSS: {before / 1024:.1f} MB before, {after / 1024:.1f} MB with the "
          f"subscribers: {(after - before) / args.subscribers:.1f} KB per subscriber")  # fmt: skip
    print(f"  web workers' threads: {counts[0]} before, {counts[1]} with the subscribers")


if __name__ == "__main__":
    main()
