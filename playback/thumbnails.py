"""Screenshot thumbnails for the admin: made once with Pillow, kept beside the
screenshot; a placeholder when the screenshot is missing or unreadable."""

from __future__ import annotations

import io
import logging
from functools import cache

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from PIL import Image, ImageDraw, UnidentifiedImageError

from playback.models import StepResult

log = logging.getLogger("playback.thumbnails")
THUMBNAIL_BOX = (240, 240)


def thumbnail_name(screenshot_name: str) -> str:
    return screenshot_name.removesuffix(".png") + ".thumb.png"


@cache
def placeholder_png(text: str = "no screenshot") -> bytes:
    image = Image.new("RGB", (160, 240), (235, 235, 235))
    draw = ImageDraw.Draw(image)
    draw.rectangle([0, 0, 159, 239], outline=(190, 190, 190))
    draw.text((18, 112), text, fill=(120, 120, 120))
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def thumbnail_png(result: StepResult) -> bytes:
    """The step's thumbnail, made on first use and stored beside its screenshot."""
    if not result.screenshot:
        return placeholder_png()
    name = thumbnail_name(result.screenshot.name)
    if default_storage.exists(name):
        with default_storage.open(name, "rb") as handle:
            return handle.read()
    try:
        with result.screenshot.open("rb") as handle, Image.open(handle) as image:
            image.thumbnail(THUMBNAIL_BOX)
            out = io.BytesIO()
            image.convert("RGB").save(out, format="PNG", optimize=True)
    except (FileNotFoundError, UnidentifiedImageError, OSError) as exc:
        log.info("No thumbnail for %s: %s", result.screenshot.name, exc)
        return placeholder_png("screenshot missing")
    data = out.getvalue()
    default_storage.save(name, ContentFile(data))
    return data


def screenshot_png(result: StepResult) -> bytes:
    """The full screenshot, or the placeholder when its file is gone."""
    if not result.screenshot:
        return placeholder_png()
    try:
        with result.screenshot.open("rb") as handle:
            return handle.read()
    except (FileNotFoundError, OSError):
        return placeholder_png("screenshot missing")
