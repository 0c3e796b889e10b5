"""Comparing a screen with its baseline, pixel by pixel, as pixelmatch does: two pixels
differ when their YIQ colour distance (each blended over white by its alpha) is over
`maxDelta = 35215 * threshold²`; masked pixels are left out. numpy over whole arrays
(a 1080 x 2400 pair, decoding included, in well under 200 ms: bench/visual.py), no
loop over pixels. pixelmatch's anti-aliasing detection is not done: an anti-aliased
edge that moved counts as different (the threshold and `max_diff_ratio` absorb it).

The diff image shows the actual screen dimmed, the differing pixels red and the
masked areas hatched.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from PIL import Image

MAX_YIQ_DELTA = 35215.0  # the largest YIQ distance between two colours (pixelmatch)
RED = (255, 0, 0)
HATCH = (120, 120, 255)
HATCH_EVERY = 8  # px between the hatching's diagonal lines
# How much of the actual screen shows through in the diff, in 256ths (a quarter:
# pixelmatch's 0.1 is too faint to read a screen by).
DIMMED_256 = 64
DIM_TABLE = [255 - ((255 - v) * DIMMED_256 >> 8) for v in range(256)] * 3


@dataclass(frozen=True)
class Rect:
    """A masked area in screen pixels."""

    x: int
    y: int
    width: int
    height: int


@dataclass(frozen=True)
class Comparison:
    """What the comparison found: `size_error` when the sizes differ (then nothing else
    was compared); else the differing unmasked pixels, the unmasked ones, and the diff."""

    diff_pixels: int = 0
    compared_pixels: int = 0
    diff_png: bytes | None = None
    size_error: str = ""

    @property
    def diff_ratio(self) -> float:
        return self.diff_pixels / self.compared_pixels if self.compared_pixels else 0.0


def decode(png: bytes) -> np.ndarray:
    """The pixels of a PNG as uint8 RGBA (height x width x 4)."""
    with Image.open(io.BytesIO(png)) as image:
        return np.asarray(image.convert("RGBA"))


def over_white(rgba: np.ndarray) -> np.ndarray:
    """RGB floats (0-255) of RGBA pixels, each blended over white by its alpha."""
    pixels = rgba.astype(np.float32)
    return 255.0 + (pixels[..., :3] - 255.0) * (pixels[..., 3:4] / 255.0)


def yiq_delta(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """pixelmatch's colour distance of every pixel pair (its `colorDelta`, squared)."""
    d = a - b
    dr, dg, db = d[..., 0], d[..., 1], d[..., 2]
    y = dr * 0.29889531 + dg * 0.58662247 + db * 0.11448223
    i = dr * 0.59597799 - dg * 0.27417610 - db * 0.32180189
    q = dr * 0.21147017 - dg * 0.52261711 + db * 0.31114694
    return 0.5053 * y * y + 0.299 * i * i + 0.1957 * q * q


def mask_of(shape: tuple[int, int], masks: Sequence[Rect]) -> np.ndarray:
    """True where a pixel is masked (rectangles clipped to the screen)."""
    height, width = shape
    masked = np.zeros((height, width), dtype=bool)
    for rect in masks:
        left, top = max(0, rect.x), max(0, rect.y)
        right, bottom = min(width, rect.x + rect.width), min(height, rect.y + rect.height)
        if right > left and bottom > top:
            masked[top:bottom, left:right] = True
    return masked


def diff_image(actual: np.ndarray, differing: np.ndarray, masks: Sequence[Rect]) -> bytes:
    """The actual screen (RGBA) dimmed over white, differing pixels red, masks hatched."""
    dimmed = Image.fromarray(np.ascontiguousarray(actual[..., :3]), "RGB").point(DIM_TABLE)
    out = np.array(dimmed)
    height, width = differing.shape
    for rect in masks:
        left, top = max(0, rect.x), max(0, rect.y)
        right, bottom = min(width, rect.x + rect.width), min(height, rect.y + rect.height)
        if right > left and bottom > top:
            rows, cols = np.ogrid[top:bottom, left:right]
            area = out[top:bottom, left:right]
            area[((rows + cols) % HATCH_EVERY) < 2] = HATCH
    out[differing] = RED
    buffer = io.BytesIO()
    Image.fromarray(out, "RGB").save(buffer, format="PNG", compress_level=1)
    return buffer.getvalue()


def compare(
    baseline_png: bytes, actual_png: bytes, *, threshold: float, masks: Sequence[Rect] = ()
) -> Comparison:
    """Compare `actual_png` with `baseline_png` (see the module's words). Only the
    pixels whose bytes differ are measured (most of a screen is the same); the diff
    image is made when some unmasked pixel differs."""
    baseline, actual = decode(baseline_png), decode(actual_png)
    if baseline.shape != actual.shape:
        (bh, bw), (ah, aw) = baseline.shape[:2], actual.shape[:2]
        return Comparison(
            size_error=f"the screen is {aw}x{ah} px, its baseline {bw}x{bh} px: the size changed"
        )
    masked = mask_of(actual.shape[:2], masks)
    # One comparison per pixel: its four bytes as one 32-bit word.
    changed = (baseline.view(np.uint32)[..., 0] != actual.view(np.uint32)[..., 0]) & ~masked
    rows, cols = np.nonzero(changed)
    far = yiq_delta(over_white(baseline[rows, cols]), over_white(actual[rows, cols]))
    far = far > MAX_YIQ_DELTA * threshold * threshold
    differing = np.zeros_like(changed)
    differing[rows[far], cols[far]] = True
    diff_pixels = int(far.sum())
    return Comparison(
        diff_pixels=diff_pixels,
        compared_pixels=int(masked.size - masked.sum()),
        diff_png=diff_image(actual, differing, masks) if diff_pixels else None,
    )
