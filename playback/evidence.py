"""The evidence of a run: its screenshots on storage, their thumbnails.

Files go through Django's storage API only (`STORAGES["default"]`), so the media
can live on a shared folder or an object store. Saving evidence never changes a
step: a file that cannot be written leaves no partial file and a reason instead.
Thumbnails for the admin are made once with Pillow and kept beside the screenshot;
a placeholder stands in when the screenshot is missing or unreadable.
"""

from __future__ import annotations

import contextlib
import errno
import io
import logging
from functools import cache

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from PIL import Image, ImageDraw, UnidentifiedImageError

from playback.models import StepResult, screenshot_name

log = logging.getLogger("playback.evidence")
THUMBNAIL_BOX = (240, 240)

STORAGE_PROBLEMS = {
    errno.ENOSPC: "disk full",
    errno.EDQUOT: "disk quota exceeded",
    errno.EROFS: "the media folder is read-only",
    errno.EACCES: "no permission to write in the media folder",
    errno.EPERM: "no permission to write in the media folder",
    errno.ENOTDIR: "the media folder is not a folder",
    errno.EEXIST: "the media folder is not a folder",
}


def storage_problem(exc: OSError) -> str:
    """What went wrong with the media folder, in plain words."""
    return STORAGE_PROBLEMS.get(exc.errno, exc.strerror or str(exc))


def save_screenshot(run_id: int, step: int, data: bytes) -> tuple[str, str]:
    """Store a step's screenshot: (its name, "") or ("", why it could not be saved)."""
    name = screenshot_name(run_id, step)
    try:
        return default_storage.save(name, ContentFile(data)), ""
    except OSError as exc:
        log.warning("Screenshot of run %s step %s not saved: %s", run_id, step, exc)
        with contextlib.suppress(OSError):
            default_storage.delete(name)  # what a failed write left behind
        return "", f"Screenshot not saved: {storage_problem(exc)}"


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
    try:
        default_storage.save(name, ContentFile(data))
    except OSError as exc:  # shown anyway; made again next time
        log.warning("Thumbnail %s not kept: %s", name, exc)
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
