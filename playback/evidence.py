"""The evidence of a run: its screenshots on storage, their thumbnails, retention.

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
import os
from datetime import datetime, timedelta
from functools import cache
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db.models import Count, Max, Q, QuerySet, Sum
from django.db.models.functions import Coalesce
from django.http import HttpResponse
from django.utils import timezone
from PIL import Image, ImageDraw, UnidentifiedImageError

from playback.models import Run, StepResult, attempt_file_name, screenshot_name
from playback.outcomes import AttemptEvidence
from playback.words import ACTIVE_RUN_STATUSES, RunStatus

log = logging.getLogger("playback.evidence")
THUMBNAIL_BOX = (240, 240)
THUMBNAIL_COLOURS = 128
MAX_SOURCE_BYTES = 5 * 1024 * 1024  # a page's HTML beyond this is not kept

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


def save_file(name: str, data: bytes, what: str) -> tuple[str, str]:
    """Store one file: (its name, "") or ("", why it could not be saved)."""
    try:
        return default_storage.save(name, ContentFile(data)), ""
    except OSError as exc:
        log.warning("%s %s not saved: %s", what, name, exc)
        with contextlib.suppress(OSError):
            default_storage.delete(name)  # what a failed write left behind
        return "", f"{what} not saved: {storage_problem(exc)}"


def save_screenshot(run_id: int, step: int, data: bytes) -> tuple[str, str]:
    """Store a step's screenshot: (its name, "") or ("", why it could not be saved)."""
    return save_file(screenshot_name(run_id, step), data, "Screenshot")


def source_suffix(source: str) -> str:
    """`.html` for a web page's source, `.xml` for a native hierarchy."""
    head = source[:200].lstrip().lower()
    return ".html" if head.startswith(("<!doctype html", "<html")) else ".xml"


def save_attempt(run_id: int, step: int, taken: AttemptEvidence) -> tuple[dict[str, Any], int]:
    """Store what a failed attempt left (its screen, its UI source): the `attempt_log`
    entry with the files' names, and the bytes written."""
    entry = {"attempt": taken.attempt, "error": taken.error, "screenshot": "", "source": ""}
    problems = [taken.capture_error] if taken.capture_error else []
    size = 0
    files = []
    if taken.screenshot is not None:
        files.append(("screenshot", ".png", taken.screenshot, "Screenshot"))
    if taken.source is not None:
        data = taken.source.encode("utf-8", "backslashreplace")
        if len(data) > MAX_SOURCE_BYTES:
            problems.append(f"source of {len(data):,} bytes not kept (over {MAX_SOURCE_BYTES:,})")
        else:
            files.append(("source", source_suffix(taken.source), data, "UI source"))
    for key, suffix, data, what in files:
        name, problem = save_file(
            attempt_file_name(run_id, step, taken.attempt, suffix), data, what
        )
        entry[key] = name
        size += len(data) if name else 0
        if problem:
            problems.append(problem)
    entry["capture_error"] = "; ".join(problems)
    if taken.visual is not None:  # an assert_screen attempt's comparison
        entry["visual"] = taken.visual
    return entry, size


ATTEMPT_FILE_KINDS = ("screenshot", "source")


def attempt_file(result: StepResult | None, attempt: int, kind: str) -> str:
    """The stored name of a failed attempt's screenshot or source ("" when none)."""
    if result is None or kind not in ATTEMPT_FILE_KINDS:
        return ""
    entry = next((e for e in result.attempt_log if e.get("attempt") == int(attempt)), {})
    return entry.get(kind) or ""


def as_plain_text(response: HttpResponse) -> HttpResponse:
    """A UI source served as text: a page's HTML is the tested app's, never run here."""
    response["Content-Type"] = "text/plain; charset=utf-8"
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "sandbox; default-src 'none'"
    return response


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
    """The step's thumbnail (see `thumbnail_of`)."""
    if not result.screenshot:
        return placeholder_png()
    return thumbnail_of(result.screenshot.name)


def thumbnail_of(screenshot_name: str) -> bytes:
    """A stored screenshot's thumbnail (a step's, or a failed attempt's), made on
    first use and stored beside it (pruned with it)."""
    name = thumbnail_name(screenshot_name)
    if default_storage.exists(name):
        with default_storage.open(name, "rb") as handle:
            return handle.read()
    try:
        with default_storage.open(screenshot_name, "rb") as handle, Image.open(handle) as image:
            image.thumbnail(THUMBNAIL_BOX)
            out = io.BytesIO()
            # A palette of THUMBNAIL_COLOURS: a third of the bytes of a full-colour PNG
            # for a screen at this size, and no slow `optimize` pass (bench/html_report.py).
            image.convert("RGB").quantize(THUMBNAIL_COLOURS).save(out, format="PNG")
    except (FileNotFoundError, UnidentifiedImageError, OSError) as exc:
        log.info("No thumbnail for %s: %s", screenshot_name, exc)
        return placeholder_png("screenshot missing")
    data = out.getvalue()
    try:
        default_storage.save(name, ContentFile(data))
    except OSError as exc:  # shown anyway; made again next time
        log.warning("Thumbnail %s not kept: %s", name, exc)
    return data


def stored_file(name: str) -> bytes | None:
    """A stored file's bytes (a screenshot, an attempt's), None when it is gone."""
    try:
        with default_storage.open(name, "rb") as handle:
            return handle.read()
    except OSError:
        return None


def screenshot_png(result: StepResult) -> bytes:
    """The full screenshot, or the placeholder when its file is gone."""
    if not result.screenshot:
        return placeholder_png()
    try:
        with result.screenshot.open("rb") as handle:
            return handle.read()
    except (FileNotFoundError, OSError):
        return placeholder_png("screenshot missing")


# --- retention ---------------------------------------------------------------------------
def baseline_run_ids() -> set[int]:
    """The last passing run of every flow on every platform: always kept (a failure
    is compared with it)."""
    latest = (
        Run.objects.filter(status=RunStatus.SUCCESS)
        .order_by()
        .values("flow_id", "device__platform")
        .annotate(last=Max("pk"))
        .values_list("last", flat=True)
    )
    return set(latest)


def prunable_runs(now: datetime) -> QuerySet[Run]:
    """Runs whose screenshots are past their retention: passing runs (success with
    no flaky step, or cancelled) after PLAYBACK_KEEP_MEDIA_DAYS, the rest (failed,
    partial, flaky, error) after PLAYBACK_KEEP_FAILED_MEDIA_DAYS."""
    passing = Q(status=RunStatus.SUCCESS, flaky_steps=0) | Q(status=RunStatus.CANCELLED)
    keep = now - timedelta(days=settings.PLAYBACK_KEEP_MEDIA_DAYS)
    keep_failed = now - timedelta(days=settings.PLAYBACK_KEEP_FAILED_MEDIA_DAYS)
    return (
        Run.objects.filter(media_pruned_at__isnull=True, finished_at__isnull=False)
        .exclude(status__in=ACTIVE_RUN_STATUSES)
        .filter((passing & Q(finished_at__lt=keep)) | (~passing & Q(finished_at__lt=keep_failed)))
        .exclude(pk__in=baseline_run_ids())
        .order_by("pk")
    )


def prune_media(*, now: datetime | None = None, dry_run: bool = False, batch: int = 500) -> dict:
    """Remove the screenshots (and thumbnails) of runs past their retention; their rows
    and step results stay, marked `media_pruned_at`. Returns what it removed (or, with
    `dry_run`, what it would)."""
    now = now or timezone.now()
    report = {"runs": 0, "files": 0, "bytes": 0, "dry_run": dry_run}
    last = 0
    while True:
        runs = list(prunable_runs(now).filter(pk__gt=last).values_list("pk", "media_bytes")[:batch])
        if not runs:
            return report
        last = runs[-1][0]
        for run_id, media_bytes in runs:
            files, size = _remove_run_media(run_id, dry_run=dry_run)
            report["runs"] += 1
            report["files"] += files
            report["bytes"] += size or media_bytes
        if not dry_run:
            Run.objects.filter(pk__in=[pk for pk, _ in runs]).update(
                media_pruned_at=now, media_bytes=0
            )


def _remove_run_media(run_id: int, *, dry_run: bool) -> tuple[int, int]:
    folder = f"runs/{run_id}"
    try:
        _, names = default_storage.listdir(folder)
    except (FileNotFoundError, NotADirectoryError):
        return 0, 0
    size = 0
    for name in names:
        path = f"{folder}/{name}"
        with contextlib.suppress(OSError):
            size += default_storage.size(path)
            if not dry_run:
                default_storage.delete(path)
    if not dry_run:
        # A folder storage keeps the empty folder; an object store has none.
        with contextlib.suppress(NotImplementedError, OSError):
            os.rmdir(default_storage.path(folder))
    return len(names), size


def media_totals() -> dict[str, int]:
    """Bytes of screenshots and videos on storage, over every run."""
    totals = Run.objects.aggregate(
        bytes=Coalesce(Sum("media_bytes"), 0),
        runs_with_media=Count("pk", filter=Q(media_bytes__gt=0)),
        pruned_runs=Count("pk", filter=Q(media_pruned_at__isnull=False)),
    )
    return {
        **totals,
        "keep_media_days": settings.PLAYBACK_KEEP_MEDIA_DAYS,
        "keep_failed_media_days": settings.PLAYBACK_KEEP_FAILED_MEDIA_DAYS,
    }
