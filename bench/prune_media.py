"""Retention at scale: prune the screenshots of 100,000 runs, and load the admin's
runs list while it runs.

    cd bench && ../.venv/bin/python prune_media.py [--runs 100000] [--files 2]

Fills a throwaway SQLite database and media folder (var/bench/): N finished runs,
100 days old (all past retention but the baseline of each flow), each with FILES
small screenshot files on disk. Then, in one process, prunes (`evidence.prune_media`)
while another thread loads the runs list as a superuser; reports the prune's time
and the page's median before and during it.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import threading
import time
from datetime import timedelta

from _setup import ROOT, django_on_bench_db

MEDIA = ROOT / "var" / "bench" / "prune-media"


def fill(runs: int, files: int) -> None:
    from django.db import transaction
    from django.utils import timezone

    from flows.definitions import parse_flow
    from flows.models import Flow
    from playback.models import Device, Run, StepResult
    from playback.words import RunSettings

    tap = {"action": "tap", "locator": {"using": "id", "value": "ok"}}
    flows = [
        Flow.save_definition(parse_flow({"name": f"f{i}", "platform": "sim", "app_id": "a",
                                         "steps": [tap] * files}))
        for i in range(20)
    ]  # fmt: skip
    device = Device.objects.create(device_id="d", platform="sim", appium_url="http://x:1")
    old = timezone.now() - timedelta(days=100)
    png = b"\x89PNG" + b"x" * 1020
    for start in range(0, runs, 2000):
        with transaction.atomic():
            made = Run.objects.bulk_create(
                Run(flow=flows[i % 20], device=device, settings=RunSettings(run_timeout_s=60),
                    status="success" if i % 3 else "failed", total_steps=files,
                    queued_at=old, started_at=old, finished_at=old, media_bytes=files * len(png))
                for i in range(start, min(start + 2000, runs))
            )  # fmt: skip
            StepResult.objects.bulk_create(
                StepResult(run=run, step_number=n, action="tap", status="pass",
                           screenshot=f"runs/{run.pk}/step-{n:04d}.png")
                for run in made for n in range(1, files + 1)
            )  # fmt: skip
        for run in made:
            folder = MEDIA / "runs" / str(run.pk)
            folder.mkdir(parents=True, exist_ok=True)
            for n in range(1, files + 1):
                (folder / f"step-{n:04d}.png").write_bytes(png)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=100_000)
    parser.add_argument("--files", type=int, default=2)
    args = parser.parse_args()
    shutil.rmtree(MEDIA, ignore_errors=True)
    os.environ["PLAYBACK_MEDIA_ROOT"] = str(MEDIA)
    django_on_bench_db("prune")

    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client

    from playback import evidence

    started = time.perf_counter()
    fill(args.runs, args.files)
    print(f"filled {args.runs} runs, {args.runs * args.files} files in "
          f"{time.perf_counter() - started:.0f} s")  # fmt: skip
    user = get_user_model().objects.create_superuser("bench")

    def load(times: list[float], stop: threading.Event) -> None:
        client = Client()
        client.force_login(user)
        while not stop.is_set():
            t0 = time.perf_counter()
            assert client.get("/admin/playback/run/").status_code == 200
            times.append((time.perf_counter() - t0) * 1000)
        connection.close()

    before: list[float] = []
    stop = threading.Event()
    loader = threading.Thread(target=load, args=(before, stop))
    loader.start()
    time.sleep(5)
    stop.set()
    loader.join()

    during: list[float] = []
    stop = threading.Event()
    loader = threading.Thread(target=load, args=(during, stop))
    loader.start()
    started = time.perf_counter()
    report = evidence.prune_media()
    took = time.perf_counter() - started
    stop.set()
    loader.join()
    left = sum(1 for _ in (MEDIA / "runs").rglob("*.png"))
    print(f"pruned {report['runs']} runs, {report['files']} files, {report['bytes']} bytes "
          f"in {took:.1f} s ({took / max(report['runs'], 1) * 1000:.2f} ms a run); "
          f"files left: {left} (the baselines)")  # fmt: skip
    print(f"runs list before: median {statistics.median(before):.0f} ms ({len(before)} loads); "
          f"during the prune: median {statistics.median(during):.0f} ms, "
          f"max {max(during):.0f} ms ({len(during)} loads)")  # fmt: skip


if __name__ == "__main__":
    main()
