"""The screen comparison of assert_screen (playback/visual/compare.py) on a phone-sized
PNG pair, decoding included. Goal: at most 200 ms for 1080 x 2400.

    .venv/bin/python bench/visual.py [--rounds 15]

Pairs: the same screen; a 300 x 100 px change (1.2 % of the screen) with the status
bar masked; a screen that differs everywhere (a worst case: every pixel measured, the
whole diff image red).
"""

from __future__ import annotations

import argparse
import io
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from PIL import Image, ImageDraw

from playback.visual.compare import Rect, compare

SIZE = (1080, 2400)


def screen(changed: bool = False, shifted: bool = False) -> bytes:
    """A list of rows with text and coloured blocks, like an app's screen."""
    image = Image.new("RGB", SIZE, (245, 246, 250) if not shifted else (160, 200, 160))
    draw = ImageDraw.Draw(image)
    draw.rectangle([0, 0, SIZE[0], 80], fill=(40, 90, 220))
    for row in range(28):
        top = 120 + row * 80
        draw.rectangle([24, top, SIZE[0] - 24, top + 64], fill="white", outline=(220, 220, 230))
        draw.rectangle([40, top + 8, 88, top + 56], fill=((row * 37) % 255, 120, 200))
        draw.text((110, top + 20), f"Product number {row}  ${row * 3}.50", fill=(20, 20, 20))
    if changed:
        draw.rectangle([400, 1000, 700, 1100], fill=(220, 30, 30))
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def timed(rounds: int, fn) -> float:
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        fn()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=15)
    args = parser.parse_args()
    base, changed, everywhere = screen(), screen(changed=True), screen(shifted=True)
    bar = [Rect(0, 0, SIZE[0], 80)]
    print(f"{SIZE[0]} x {SIZE[1]} PNGs of {len(base) // 1024} KB; medians of {args.rounds}:")
    for label, other, masks in (
        ("the same screen", base, []),
        ("a 300 x 100 px change, the status bar masked", changed, bar),
        ("a screen that differs everywhere", everywhere, []),
    ):
        found = compare(base, other, threshold=0.1, masks=masks)
        ms = timed(args.rounds, lambda o=other, m=masks: compare(base, o, threshold=0.1, masks=m))
        print(f"  {label}: {ms:.0f} ms ({found.diff_pixels:,} px differ, "
              f"{found.diff_ratio:.2%})")  # fmt: skip
    print(f"(machine: {os.cpu_count()} cores)")


if __name__ == "__main__":
    main()
