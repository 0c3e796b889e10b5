"""The HTML report of one long run: how long it takes to build and how big it is.

A run of N steps (default 1,000), each with its own screenshot: a web page at the
web device's size (412 x 915), every one different (the step's number drawn on
it), as a web run's are. The report is built twice: first with no thumbnail made
yet (as after the run), then again (thumbnails kept beside their screenshots).

    cd bench && ../.venv/bin/python html_report.py [--steps 1000]
"""

from __future__ import annotations

import argparse
import io
import statistics
import time

from _setup import ROOT, django_on_bench_db


def screenshot(number: int, base) -> bytes:
    from PIL import ImageDraw

    image = base.copy()
    draw = ImageDraw.Draw(image)
    draw.rectangle([20, 20 + number % 800, 392, 60 + number % 800], fill=(30, 90, 200))
    draw.text((30, 30 + number % 800), f"step {number}: the cart has {number % 17} items",
              fill=(255, 255, 255))  # fmt: skip
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--steps", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    django_on_bench_db("html_report")
    from django.core.files.base import ContentFile
    from PIL import Image

    from playback import services
    from playback.models import Device, Run, StepResult
    from playback.reports import html
    from tests.helpers import tap

    base = Image.open(ROOT / "docs" / "web-run.png").convert("RGB").resize((412, 915))
    from flows.definitions import parse_flow
    from flows.models import Flow

    flow = Flow.save_definition(parse_flow({
        "name": "long", "platform": "sim", "app_id": "com.x",
        "steps": [tap("ok")] * args.steps,
    }))  # fmt: skip
    device = Device.objects.create(device_id="d", platform="sim", appium_url="http://x:1")
    first_builds, again_builds, sizes = [], [], []
    for _ in range(args.repeat):
        run = services.start_run(flow=flow, device=device, foreground=True)
        Run.objects.filter(pk=run.pk).update(status="success", successful_steps=args.steps)
        for number in range(1, args.steps + 1):
            result = StepResult(run=run, step_number=number, action="tap", status="pass",
                                definition=tap("ok") | {"step": number})  # fmt: skip
            result.screenshot.save("s.png", ContentFile(screenshot(number, base)), save=False)
            result.save()
        run = Run.objects.select_related("flow", "device").get(pk=run.pk)
        started = time.perf_counter()
        page = html.run_report(run)
        first_builds.append(time.perf_counter() - started)
        started = time.perf_counter()
        html.run_report(run)
        again_builds.append(time.perf_counter() - started)
        sizes.append(len(page.encode()))
    print(f"HTML report of a {args.steps}-step run (every step its own 412x915 screenshot), "
          f"median of {args.repeat}:")  # fmt: skip
    print(f"  first build (thumbnails made): {statistics.median(first_builds):.2f} s")
    print(f"  again (thumbnails kept):       {statistics.median(again_builds):.2f} s")
    print(f"  size: {statistics.median(sizes) / 1e6:.2f} MB "
          f"({statistics.median(sizes) / args.steps / 1000:.1f} KB a step)")  # fmt: skip


if __name__ == "__main__":
    main()
