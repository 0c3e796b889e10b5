"""The video of a run through a real Appium server and the simulated device (our
plugin records the screens it served with ffmpeg): the three `recordVideo` policies,
each executed step's offset, HTTP range requests, retention, and the faults (ffmpeg
missing on the Appium host, Appium killed mid-recording, a full disk)."""

from __future__ import annotations

import errno
import os
import subprocess
import tempfile
import threading
from pathlib import Path
from unittest import mock

import pytest
from django.core.files.storage import default_storage
from django.utils import timezone
from rest_framework.test import APIClient

from playback import evidence
from playback.models import Run
from simulator.server import AppiumServer
from tests.helpers import tap

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.appium]
WEBM_MAGIC = b"\x1a\x45\xdf\xa3"


def wait(ms: int) -> dict:
    return {"action": "wait", "ms": ms}


def probed_ms(name: str) -> int:
    command = ["ffprobe", "-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0"]
    answer = subprocess.run(
        [*command, default_storage.path(name)],
        capture_output=True,
        text=True,
        check=True,
    )
    return round(float(answer.stdout) * 1000)


def video_files(run: Run) -> list[str]:
    try:
        return [n for n in default_storage.listdir(f"runs/{run.pk}")[1] if n.startswith("video")]
    except FileNotFoundError:
        return []


def test_always_keeps_a_passing_runs_video_with_each_steps_offset(play, make_flow, sim_device):
    flow = make_flow([tap("ok"), wait(400), tap("ok-2")])
    run = play(flow, sim_device, {"record_video": "always"})
    assert run.status == "success"
    video = run.video
    assert (video["name"], video["content_type"]) == (f"runs/{run.pk}/video.webm", "video/webm")
    with default_storage.open(video["name"]) as handle:
        assert handle.read(4) == WEBM_MAGIC
    assert video["bytes"] == default_storage.size(video["name"]) > 0
    assert video["duration_ms"] == probed_ms(video["name"])
    offsets = [s["offset_ms"] for s in video["steps"]]
    assert [s["step"] for s in video["steps"]] == [1, 2, 3]
    assert offsets == sorted(offsets)
    assert offsets[2] - offsets[1] >= 400  # the wait between them
    assert offsets[2] <= video["duration_ms"]
    shots = sum(default_storage.size(r.screenshot.name) for r in run.step_results.all())
    assert run.media_bytes == shots + video["bytes"]  # counted with the screenshots
    assert run.video_error == ""


def test_failed_keeps_the_video_of_a_run_that_did_not_pass_only(play, make_flow, sim_device):
    failing = play(make_flow([tap("ok"), tap("hidden", timeout_ms=0)]), sim_device)
    passing = play(make_flow([tap("ok")]), sim_device, {"record_video": "failed"})
    failing_kept = play(
        make_flow([tap("ok"), tap("hidden", timeout_ms=0)]), sim_device, {"record_video": "failed"}
    )
    assert failing.settings.record_video == "off"  # the tests' server default
    assert failing.video is None and failing.video_error == ""
    assert passing.status == "success" and passing.video is None
    assert video_files(passing) == []  # recorded, then dropped: never written here
    assert failing_kept.status == "partial_success"
    assert [s["step"] for s in failing_kept.video["steps"]] == [1, 2]  # step 3 never played


def test_the_servers_default_policy_applies_when_a_run_does_not_say(
    play, make_flow, sim_device, settings
):
    settings.PLAYBACK_RECORD_VIDEO = "failed"
    run = play(make_flow([tap("hidden", timeout_ms=0)]), sim_device)
    assert run.settings.record_video == "failed"
    assert run.video["content_type"] == "video/webm"


def test_the_video_is_served_with_range_requests_and_a_signed_link(
    play, make_flow, sim_device, api
):
    run = play(make_flow([tap("ok")]), sim_device, {"record_video": "always"})
    resource = api.get(f"/api/playback/runs/{run.pk}/").json()
    video = resource["video"]
    assert video["url"].startswith(f"http://testserver/api/playback/runs/{run.pk}/video?sig=")
    assert video["steps"] == run.video["steps"]
    assert resource["video_error"] is None
    size = video["bytes"]
    with default_storage.open(run.video["name"]) as handle:
        whole = handle.read()

    anonymous = APIClient()  # a <video src> sends no token: the signature is enough
    full = anonymous.get(video["url"])
    assert (full.status_code, full["Content-Type"], full["Accept-Ranges"]) == (
        200,
        "video/webm",
        "bytes",
    )
    assert b"".join(full.streaming_content) == whole
    for header, first, last in [
        ("bytes=0-99", 0, 99),
        ("bytes=100-", 100, size - 1),
        ("bytes=-50", size - 50, size - 1),
        (f"bytes=10-{size * 2}", 10, size - 1),
    ]:
        part = anonymous.get(video["url"], HTTP_RANGE=header)
        assert part.status_code == 206, header
        assert part["Content-Range"] == f"bytes {first}-{last}/{size}"
        assert int(part["Content-Length"]) == last - first + 1
        assert b"".join(part.streaming_content) == whole[first : last + 1]
    past = anonymous.get(video["url"], HTTP_RANGE=f"bytes={size}-")
    assert (past.status_code, past["Content-Range"]) == (416, f"bytes */{size}")
    assert "past the end" in past.json()["detail"]
    several = anonymous.get(video["url"], HTTP_RANGE="bytes=0-1,5-9")
    assert several.status_code == 200  # more than one range: the whole file
    assert anonymous.get(f"/api/playback/runs/{run.pk}/video").status_code == 401
    assert APIClient().get(video["url"].replace(f"/{run.pk}/", f"/{run.pk + 1}/")).status_code in (
        401,
        403,
        404,
    )


def test_retention_prunes_the_video_with_the_screenshots(play, make_flow, sim_device, api):
    old = play(make_flow([tap("hidden", timeout_ms=0)]), sim_device, {"record_video": "always"})
    newer = play(make_flow([tap("ok")]), sim_device, {"record_video": "always"})
    Run.objects.filter(pk=old.pk).update(finished_at=timezone.now() - timezone.timedelta(days=400))
    media = api.get("/api/playback/media/").json()
    assert media["bytes"] >= old.video["bytes"] + newer.video["bytes"]
    report = evidence.prune_media()
    assert report["runs"] == 1
    assert video_files(old) == [] and video_files(newer) == ["video.webm"]
    assert api.get(f"/api/playback/runs/{old.pk}/").json()["video"] is None
    assert api.get(f"/api/playback/runs/{old.pk}/video").status_code == 410


def test_without_ffmpeg_on_the_appium_host_the_run_plays_and_says_why_it_has_no_video(
    make_device, make_flow, play, tmp_path
):
    env = {"PLAYBACK_FFMPEG": str(tmp_path / "no-ffmpeg-here")}
    with AppiumServer(log_path=tmp_path / "appium.log", env=env) as server:
        run = play(make_flow([tap("ok")]), make_device(server.url), {"record_video": "always"})
    assert run.status == "success"  # a recording failure never changes a step
    assert run.video is None
    assert "ffmpeg is not installed on the Appium host" in run.video_error


def test_a_full_disk_loses_the_video_not_the_run(play, make_flow, sim_device):
    real_save = default_storage.save

    def save(name, content, *args, **kwargs):
        if "/video" in name:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return real_save(name, content, *args, **kwargs)

    with mock.patch.object(default_storage, "save", side_effect=save):
        run = play(make_flow([tap("ok")]), sim_device, {"record_video": "always"})
    assert run.status == "success"
    assert run.video is None
    assert run.video_error == "The video was not saved: disk full"
    assert video_files(run) == []
    assert not list(Path(tempfile.gettempdir()).glob("playback-video-*.part"))


def test_appium_killed_mid_recording_ends_the_run_as_usual_and_leaves_no_file(
    make_device, make_flow, play, tmp_path
):
    server = AppiumServer(log_path=tmp_path / "appium.log").start()
    killed = str(server.process.pid)
    try:
        threading.Timer(1.5, server.process.kill).start()  # mid-step: the click hangs 30 s
        run = play(
            make_flow([tap("ok"), tap("stuck")]),
            make_device(server.url),
            {"record_video": "always"},
        )
    finally:
        server.stop()
    assert run.status == "error"
    assert run.video is None
    assert video_files(run) == []
    assert not list(Path(tempfile.gettempdir()).glob("playback-video-*.part"))
    # What the killed Appium left (its recording folder) goes when the plugin loads next.
    left = [
        folder
        for folder in Path(tempfile.gettempdir()).glob("playback-video-*")
        if (folder / "owner").is_file() and (folder / "owner").read_text() == killed
    ]
    assert left
    with AppiumServer(log_path=tmp_path / "again.log"):
        assert not [folder for folder in left if folder.exists()]
