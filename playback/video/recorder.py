"""Recording a run's video while it plays, through the device's own Appium screen
recording (`start_recording_screen` / `stop_recording_screen`: UiAutomator2 and
XCUITest natively, the web and simulated devices through our plugin).

Each executed step's `offset_ms` is where it starts in the video. The run's
`recordVideo` decides what is kept: `off` records nothing, `failed` keeps the video of
a run that did not pass, `always` every one. The Appium host uploads the video to this
worker (receiver.py) when it can reach it, else answers it as base64. A recording
that fails, or a video that cannot be stored, never changes a step: the run's
`video_error` says why it has no video.
"""

from __future__ import annotations

import base64
import logging
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db.models import F

from playback import engine
from playback.models import Run
from playback.network import is_loopback_url
from playback.outcomes import StepOutcome
from playback.video import files
from playback.video.receiver import UploadReceiver
from playback.words import PLAYED_STEP_STATUSES, Platform, RecordVideo, RunStatus

log = logging.getLogger("playback.video")

# The longest recording each platform's Appium takes (UiAutomator2 joins 180 s chunks
# up to 1800 s; XCUITest and our plugin go to 4200 s).
MAX_RECORDING_S = {
    Platform.ANDROID: 1800,
    Platform.IOS: 4200,
    Platform.SIM: 4200,
    Platform.WEB: 4200,
}


def keeps(policy: RecordVideo | None, status: str) -> bool:
    """Whether a run that ended `status` keeps its video under `policy`."""
    if policy == RecordVideo.ALWAYS:
        return True
    return policy == RecordVideo.FAILED and status != RunStatus.SUCCESS


def upload_host(appium_url: str) -> str:
    """The address the Appium host uploads to (PLAYBACK_VIDEO_UPLOAD_HOST), or "" when
    it cannot reach it (a loopback address and an Appium elsewhere)."""
    host = settings.PLAYBACK_VIDEO_UPLOAD_HOST
    if not host or (is_loopback_url(f"http://{host}") and not is_loopback_url(appium_url)):
        return ""
    return host


class RunVideo:
    """One run's recording: `start()` before the app is prepared, `marking(observer)`
    around the step observer, `finish(status)` once the engine is done, `abandon()` when
    the play broke off."""

    def __init__(self, driver: Any, run: Run, *, clock: Callable[[], float] = time.monotonic):
        self.driver = driver
        self.run = run
        self.clock = clock
        self.policy = run.settings.record_video
        self.started_at: float | None = None
        self.steps: list[dict[str, int]] = []
        self.error = ""

    def start(self) -> None:
        if self.policy in (None, RecordVideo.OFF):
            return
        budget = self.run.settings.run_timeout_s or settings.PLAYBACK_RUN_TIMEOUT_S
        limit = min(budget, MAX_RECORDING_S[Platform(self.run.device.platform)])
        try:
            self.driver.start_recording(limit)
        except Exception as exc:  # the run plays on without a video
            self.error = f"The screen could not be recorded: {engine.describe(exc)}"
            log.warning("Run %s: %s", self.run.pk, self.error)
            return
        self.started_at = self.clock()

    def marking(self, observer: Callable[[StepOutcome], None]) -> Callable[[StepOutcome], None]:
        """`observer`, noting first where each executed step starts in the video."""

        def observe(outcome: StepOutcome) -> None:
            if self.started_at is not None and outcome.status in PLAYED_STEP_STATUSES:
                begun = self.clock() - outcome.duration_ms / 1000 - self.started_at
                self.steps.append({"step": outcome.step, "offset_ms": max(0, round(begun * 1000))})
            observer(outcome)

        return observe

    def finish(self, status: str) -> None:
        """Stop recording; keep the video if the policy says so, and note it on the run."""
        if self.started_at is not None:
            video = self._stop(keep=keeps(self.policy, status))
            self._note(video)
        elif self.error:
            self._note(None)

    def abandon(self) -> None:
        """The play broke off: stop recording, keep nothing (best effort)."""
        if self.started_at is not None:
            try:
                self._stop(keep=False)
            except Exception:
                log.info("Run %s: the recording could not be stopped", self.run.pk)

    def _stop(self, *, keep: bool) -> dict[str, Any] | None:
        wall_ms = round((self.clock() - self.started_at) * 1000)
        self.started_at = None
        if getattr(self.driver, "lost", False):  # no answer: asking again would wait it out
            self.error = "The video was lost with the device (its Appium stopped answering)"
            return None
        host = upload_host(self.run.device.appium_url)
        try:
            if host:
                with UploadReceiver(host, discard=not keep) as receiver:
                    self.driver.stop_recording(
                        remotePath=receiver.url, method="PUT", fileFieldName=""
                    )
                    if receiver.problem:
                        raise OSError(receiver.problem)
                    path = receiver.keep() if keep else None
            else:
                data = base64.b64decode(self.driver.stop_recording() or "")
                path = files.temporary(data) if keep and data else None
        except Exception as exc:
            self.error = f"The video could not be recorded: {engine.describe(exc)}"
            log.warning("Run %s: %s", self.run.pk, self.error)
            return None
        if not keep:
            return None
        if path is None:
            self.error = "The video could not be recorded: the Appium server sent no video"
            return None
        return self._store(path, wall_ms)

    def _store(self, path: Path, wall_ms: int) -> dict[str, Any] | None:
        try:
            stored, problem = files.store(self.run.pk, path, fallback_duration_ms=wall_ms)
        finally:
            path.unlink(missing_ok=True)
        if stored is None:
            self.error = problem
            return None
        return {**stored, "steps": self.steps}

    def _note(self, video: dict[str, Any] | None) -> None:
        size = video["bytes"] if video else 0
        Run.objects.filter(pk=self.run.pk, status=RunStatus.RUNNING).update(
            video=video, video_error=self.error[:500], media_bytes=F("media_bytes") + size
        )
        self.run.video, self.run.video_error = video, self.error[:500]
