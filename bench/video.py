"""The video of a web run: what recording adds to a run's wall time, the video's
size and bitrate, the Appium host's memory per recording, and the worker's memory
while a long video arrives.

    .venv/bin/python bench/video.py [--runs 9] [--long-s 600]

1. The 20-step web flow of bench/web_device.py (screenshots on, clear data) through
   the service with recordVideo off and always, alternating; medians, their ratio and
   the median of the paired differences. Goal: at most +10 %.
2. Each kept video's bytes per second (goal: at most 1 Mbit/s).
3. The Appium host's memory per recording: the PSS of the ffmpeg that encodes it and
   the growth of Appium's own (node) PSS, sampled while the runs play.
4. A long recording of an animated page (--long-s seconds) stopped as a run stops it:
   uploaded to the worker's endpoint; the worker's Python allocations at their peak
   (tracemalloc) and its peak RSS growth while the video arrives and is stored.
"""

from __future__ import annotations

import argparse
import base64
import os
import resource
import statistics
import threading
import time
import tracemalloc
from pathlib import Path

from _setup import django_on_bench_db
from web_device import STEPS, serve_demo_app

# A page that changes all the time (40 coloured squares every 50 ms): a video's worst case.
ANIMATED = (
    "data:text/html;base64,"
    + base64.b64encode(
        b"<body style='margin:0'><canvas id=c width=412 height=915></canvas>"
        b"<script>const x=document.getElementById('c').getContext('2d');let n=0;"
        b"setInterval(()=>{for(let i=0;i<40;i++){x.fillStyle='hsl('+((n*7+i*13)%360)+',80%,50%)';"
        b"x.fillRect((n*31+i*53)%412,(n*17+i*97)%915,60,60)}n++},50)</script>"
    ).decode()
)


def pss_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def children_named(parent: int, word: str) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            command = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        if ppid == parent and word.encode() in command:
            found.append(int(entry.name))
    return found


class Sampler(threading.Thread):
    """Every 100 ms: the PSS of Appium's ffmpeg children, and of Appium itself while
    a run records (`recording` set) and while one does not."""

    def __init__(self, appium_pid: int):
        super().__init__(daemon=True)
        self.appium_pid = appium_pid
        self.ffmpeg_mb: list[float] = []
        self.appium_mb: dict[bool, list[float]] = {True: [], False: []}
        self.recording = False
        self.done = threading.Event()

    def run(self) -> None:
        while not self.done.wait(0.1):
            for pid in children_named(self.appium_pid, "ffmpeg"):
                self.ffmpeg_mb.append(pss_mb(pid))
            self.appium_mb[self.recording].append(pss_mb(self.appium_pid))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=9)
    parser.add_argument("--long-s", type=float, default=120.0)
    args = parser.parse_args()
    django_on_bench_db("video")

    from django.conf import settings as django_settings

    from flows.definitions import parse_flow
    from flows.models import Flow
    from playback import services
    from playback.drivers.registry import open_session
    from playback.models import Device, Run
    from playback.video.files import store
    from playback.video.receiver import UploadReceiver
    from playback.words import RecordVideo, RunSettings
    from simulator.server import AppiumServer

    app = serve_demo_app()
    django_settings.PLAYBACK_WEB_PROFILES_DIR = Path(django_settings.VAR_DIR) / "bench-profiles"
    flow = Flow.save_definition(
        parse_flow({"name": "bench video 20", "platform": "web", "app_id": app, "steps": STEPS})
    )

    def play(device: Device, policy: RecordVideo) -> tuple[float, Run]:
        settings = RunSettings(clear_data=True, record_video=policy)
        run = services.start_run(flow=flow, device=device, settings=settings, foreground=True)
        started = time.perf_counter()
        services.play_in_foreground(run=run)
        took = (time.perf_counter() - started) * 1000
        run = Run.objects.get(pk=run.pk)
        assert run.status == "success", (run.error, run.video_error)
        return took, run

    with AppiumServer() as server:
        device = Device.objects.create(
            device_id="bench-video", platform="web", appium_url=server.url, capabilities={}
        )
        play(device, RecordVideo.OFF)  # warm up: the profile, the OS's page cache
        play(device, RecordVideo.ALWAYS)
        sampler = Sampler(server.process.pid)
        sampler.start()
        off_ms, on_ms, rates, sizes, lengths = [], [], [], [], []
        for _ in range(args.runs):
            sampler.recording = False
            off_ms.append(play(device, RecordVideo.OFF)[0])
            sampler.recording = True
            took, run = play(device, RecordVideo.ALWAYS)
            on_ms.append(took)
            assert run.video, run.video_error
            sizes.append(run.video["bytes"])
            lengths.append(run.video["duration_ms"])
            rates.append(run.video["bytes"] * 8 / (run.video["duration_ms"] / 1000))
        sampler.done.set()
        off, on = statistics.median(off_ms), statistics.median(on_ms)
        paired = statistics.median(b - a for a, b in zip(off_ms, on_ms, strict=True))
        print(f"20-step web run (screenshots on): recordVideo off {off:.0f} ms, always "
              f"{on:.0f} ms (medians of {args.runs}, alternating); always/off {on / off:.3f}; "
              f"paired difference {paired:.0f} ms ({paired / off * 100:+.1f} %)")  # fmt: skip
        print(f"video: {statistics.median(sizes) / 1024:.0f} KB for "
              f"{statistics.median(lengths) / 1000:.1f} s, "
              f"{statistics.median(rates) / 1000:.0f} kbit/s median "
              f"(max {max(rates) / 1000:.0f})")  # fmt: skip
        ffmpeg = max(sampler.ffmpeg_mb, default=0.0)
        appium = {on: statistics.median(mb or [0]) for on, mb in sampler.appium_mb.items()}
        print(f"Appium host per recording: ffmpeg PSS peak {ffmpeg:.1f} MB "
              f"(median {statistics.median(sampler.ffmpeg_mb or [0]):.1f}); Appium (node) "
              f"PSS median {appium[True]:.0f} MB while a run records, {appium[False]:.0f} MB "
              f"while one does not ({appium[True] - appium[False]:+.1f} MB)")  # fmt: skip

        with open_session(device, app) as driver:
            driver.remote.get(ANIMATED)
            driver.start_recording(int(args.long_s) + 60)
            until = time.monotonic() + args.long_s
            while time.monotonic() < until:  # a run's steps keep its session alive
                time.sleep(min(30.0, max(0.0, until - time.monotonic())))
                _ = driver.remote.current_url
            rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            tracemalloc.start()
            started = time.perf_counter()
            with UploadReceiver("127.0.0.1") as receiver:
                driver.stop_recording(remotePath=receiver.url, method="PUT", fileFieldName="")
                path = receiver.keep()
            stored, problem = store(0, path, fallback_duration_ms=0)
            took = time.perf_counter() - started
            _, peak = tracemalloc.get_traced_memory()
            tracemalloc.stop()
            rss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            path.unlink()
        assert stored, problem
        print(f"a {args.long_s:.0f} s recording of an animated page: "
              f"{stored['bytes'] / 1024 / 1024:.1f} MB "
              f"({stored['bytes'] * 8 / (stored['duration_ms'] / 1000) / 1000:.0f} kbit/s), "
              f"stopped, uploaded and stored in {took:.1f} s; the worker's Python "
              f"allocations peaked at {peak / 1024 / 1024:.1f} MB, its peak RSS grew "
              f"{rss_after - rss_before:.1f} MB")  # fmt: skip
    print(f"(machine: {os.cpu_count()} cores)")


if __name__ == "__main__":
    main()
