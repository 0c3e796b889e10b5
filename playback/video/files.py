"""A run's video on storage: `runs/<id>/video.<webm|mp4>`, beside its screenshots (so
the retention rules prune it with them), copied from a temporary file in chunks;
its kind read from its first bytes and its length from ffprobe (the wall clock's
when ffprobe is not installed)."""

from __future__ import annotations

import contextlib
import logging
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any

from django.core.files import File
from django.core.files.storage import default_storage

from playback.evidence import storage_problem

log = logging.getLogger("playback.video")

PROBE_TIMEOUT_S = 10
# (what the file starts with, at which offset) -> (content type, suffix)
KINDS = (
    (b"\x1a\x45\xdf\xa3", 0, "video/webm", ".webm"),  # EBML: WebM / Matroska
    (b"ftyp", 4, "video/mp4", ".mp4"),  # ISO media: Android's and iOS's MP4
)
UNKNOWN = ("application/octet-stream", ".bin")


def kind_of(head: bytes) -> tuple[str, str]:
    """(content type, file suffix) of a video from its first bytes."""
    for magic, offset, content_type, suffix in KINDS:
        if head[offset : offset + len(magic)] == magic:
            return content_type, suffix
    return UNKNOWN


def video_name(run_id: int, suffix: str) -> str:
    return f"runs/{run_id}/video{suffix}"


def temporary(data: bytes) -> Path:
    """`data` in a new temporary file (a video the Appium host answered as base64)."""
    with tempfile.NamedTemporaryFile(prefix="playback-video-", delete=False) as out:
        out.write(data)
    return Path(out.name)


def duration_ms(path: Path) -> int | None:
    """The video's length as its container says, or None (no ffprobe, unreadable)."""
    ffprobe = shutil.which("ffprobe")
    if ffprobe is None:
        return None
    command = [ffprobe, "-v", "error", "-show_entries", "format=duration"]
    command += ["-of", "default=noprint_wrappers=1:nokey=1", str(path)]
    try:
        answer = subprocess.run(
            command, capture_output=True, text=True, timeout=PROBE_TIMEOUT_S, check=True
        )
        return round(float(answer.stdout.strip()) * 1000)
    except (subprocess.SubprocessError, ValueError, OSError) as exc:
        log.info("No duration for %s: %s", path, exc)
        return None


def store(
    run_id: int, path: Path, *, fallback_duration_ms: int
) -> tuple[dict[str, Any] | None, str]:
    """Copy the video at `path` to storage: ({name, content_type, duration_ms, bytes},
    "") or (None, why it could not be kept). A failed copy leaves no file behind."""
    with path.open("rb") as handle:
        content_type, suffix = kind_of(handle.read(16))
    size = path.stat().st_size
    name = video_name(run_id, suffix)
    try:
        with path.open("rb") as handle:
            saved = default_storage.save(name, File(handle, name=name))
    except OSError as exc:
        log.warning("Video %s not saved: %s", name, exc)
        with contextlib.suppress(OSError):
            default_storage.delete(name)
        return None, f"The video was not saved: {storage_problem(exc)}"
    return {
        "name": saved,
        "content_type": content_type,
        "duration_ms": duration_ms(path) or fallback_duration_ms,
        "bytes": size,
    }, ""
