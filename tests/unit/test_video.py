"""The rules of a run's video (playback/video/): which policy keeps what, where each
step is in the video, the upload endpoint's refusals, the kinds of video, and the
byte ranges served; played with the in-process driver (the real path:
tests/integration/test_video_on_sim.py and test_video_on_web.py)."""

from __future__ import annotations

import http.client
import socket
import urllib.parse

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.urls import reverse
from django.utils import timezone

from playback.http.ranges import byte_range
from playback.models import Run
from playback.reports.html import run_report
from playback.video import files, moments
from playback.video.receiver import UploadReceiver
from playback.video.recorder import keeps, upload_host
from playback.words import RecordVideo, RunSettings
from tests.helpers import tap
from tests.scripted_driver import FakeClock, ScriptedDriver
from tests.unit.test_admin import make_run

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("policy", "status", "kept"),
    [
        (RecordVideo.OFF, "failed", False),
        (RecordVideo.OFF, "success", False),
        (None, "failed", False),  # a run from before videos
        (RecordVideo.FAILED, "success", False),
        (RecordVideo.FAILED, "failed", True),
        (RecordVideo.FAILED, "partial_success", True),
        (RecordVideo.FAILED, "error", True),
        (RecordVideo.FAILED, "cancelled", True),
        (RecordVideo.ALWAYS, "success", True),
        (RecordVideo.ALWAYS, "failed", True),
    ],
)
def test_which_runs_keep_their_video(policy, status, kept):
    assert keeps(policy, status) is kept


@pytest.mark.parametrize(
    ("header", "size", "answer"),
    [
        ("", 1000, None),
        ("bytes=0-99", 1000, (0, 99)),
        ("bytes=500-", 1000, (500, 999)),
        ("bytes=-100", 1000, (900, 999)),
        ("bytes=-5000", 1000, (0, 999)),  # more than there is: all of it
        ("bytes=990-5000", 1000, (990, 999)),
        ("bytes = 1 - 2", 1000, (1, 2)),
        ("bytes=999-999", 1000, (999, 999)),
        ("bytes=1000-", 1000, False),  # starts past the end
        ("bytes=5-4", 1000, False),
        ("bytes=-0", 1000, False),
        ("bytes=0-", 0, False),  # an empty file has no byte to give
        ("bytes=0-1,5-9", 1000, None),  # several ranges: the whole file
        ("items=0-9", 1000, None),
        ("bytes=-", 1000, None),
        ("bytes=a-b", 1000, None),
    ],
)
def test_the_byte_range_a_range_header_asks_for(header, size, answer):
    assert byte_range(header, size) == answer


@pytest.mark.parametrize(
    ("head", "kind"),
    [
        (b"\x1a\x45\xdf\xa3\x9f\x42\x86\x81", ("video/webm", ".webm")),
        (b"\x00\x00\x00\x20ftypisom\x00\x00", ("video/mp4", ".mp4")),
        (b"\x00\x00\x00\x18ftypmp42", ("video/mp4", ".mp4")),
        (b"GIF89a", ("application/octet-stream", ".bin")),
        (b"", ("application/octet-stream", ".bin")),
    ],
)
def test_a_videos_kind_is_read_from_its_first_bytes(head, kind):
    assert files.kind_of(head) == kind


@pytest.mark.parametrize(
    ("host", "appium_url", "used"),
    [
        ("127.0.0.1", "http://127.0.0.1:4723", "127.0.0.1"),
        ("127.0.0.1", "http://localhost:4723", "127.0.0.1"),
        ("127.0.0.1", "http://10.0.0.7:4723", ""),  # Appium elsewhere cannot reach it
        ("10.0.0.2", "http://10.0.0.7:4723", "10.0.0.2"),
        ("", "http://127.0.0.1:4723", ""),  # base64 answers only
    ],
)
def test_where_the_appium_host_uploads_a_video(settings, host, appium_url, used):
    settings.PLAYBACK_VIDEO_UPLOAD_HOST = host
    assert upload_host(appium_url) == used


def put(url: str, body: bytes, *, length: str | None = None, path: str | None = None) -> int:
    parts = urllib.parse.urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=5)
    connection.putrequest("PUT", path if path is not None else parts.path)
    connection.putheader("Content-Length", length if length is not None else str(len(body)))
    connection.endheaders()
    try:
        connection.send(body)
        return connection.getresponse().status
    finally:
        connection.close()


def test_the_upload_endpoint_takes_one_raw_body_at_its_secret_path():
    with UploadReceiver("127.0.0.1") as receiver:
        assert put(receiver.url, b"video", path="/not-the-token") == 404
        assert put(receiver.url, b"video", length="lots") == 411
        assert receiver.path is None
        assert put(receiver.url, b"\x1a\x45\xdf\xa3 frames") == 201
        path = receiver.path
        assert path.read_bytes() == b"\x1a\x45\xdf\xa3 frames"
    assert not path.exists()  # not kept: removed with the endpoint


def broken_off_upload(url: str) -> None:
    """1000 bytes announced, 12 sent, then the Appium host is gone."""
    parts = urllib.parse.urlsplit(url)
    with socket.create_connection((parts.hostname, parts.port), timeout=5) as sock:
        sock.sendall(f"PUT {parts.path} HTTP/1.1\r\nContent-Length: 1000\r\n\r\n".encode())
        sock.sendall(b"half a video")
        sock.shutdown(socket.SHUT_WR)
        sock.recv(1024)  # the receiver's answer, once it saw the end


def test_an_upload_that_breaks_off_leaves_no_file():
    with UploadReceiver("127.0.0.1") as receiver:
        broken_off_upload(receiver.url)
        assert receiver.path is None
        assert receiver.problem == "the upload failed: the upload ended after 12 of 1,000 bytes"
    with UploadReceiver("127.0.0.1", discard=True) as receiver:
        assert put(receiver.url, b"a video not kept") == 201
        assert (receiver.path, receiver.bytes) == (None, 16)


def test_each_executed_step_has_its_offset_and_the_video_is_stored(play, make_flow, device):
    clock = FakeClock()
    driver = ScriptedDriver(clock=clock, step_cost_s=0.25)
    flow = make_flow([tap("a"), tap("b"), tap("c")])
    run = play(flow, device, {"record_video": "always"}, driver=driver)
    assert run.status == "success"
    assert driver.recordings[0] == ("start", 1800)  # the run's budget, within 4200
    assert driver.recordings[1][1]["method"] == "PUT"  # uploaded to this worker
    assert [s["step"] for s in run.video["steps"]] == [1, 2, 3]
    with default_storage.open(run.video["name"]) as handle:
        assert handle.read() == driver.video
    assert run.video["bytes"] == len(driver.video)
    assert run.video["content_type"] == "video/webm"


def test_a_video_answered_as_base64_is_kept_too(play, make_flow, device, settings):
    settings.PLAYBACK_VIDEO_UPLOAD_HOST = ""
    driver = ScriptedDriver()
    run = play(make_flow([tap("a")]), device, {"record_video": "always"}, driver=driver)
    assert driver.recordings[1] == ("stop", {})
    with default_storage.open(run.video["name"]) as handle:
        assert handle.read() == driver.video


def test_a_recording_that_cannot_start_changes_no_step(play, make_flow, device):
    driver = ScriptedDriver(recording_error="screen recording is not supported here")
    run = play(make_flow([tap("a")]), device, {"record_video": "always"}, driver=driver)
    assert run.status == "success"
    assert run.video is None
    assert run.video_error == (
        "The screen could not be recorded: screen recording is not supported here"
    )
    assert [name for name, *_ in driver.recordings] == ["start"]


def test_a_lost_device_is_not_asked_for_its_video(play, make_flow, device):
    driver = ScriptedDriver(lost_at_call=2)
    driver.lost = True  # what AppiumDriver says once its server stopped answering
    run = play(make_flow([tap("a"), tap("b")]), device, {"record_video": "always"}, driver=driver)
    assert run.status == "error"
    assert [name for name, *_ in driver.recordings] == ["start"]
    assert run.video is None
    assert "lost with the device" in run.video_error


def test_off_never_records(play, make_flow, device):
    driver = ScriptedDriver()
    run = play(make_flow([tap("a")]), device, {"record_video": "off"}, driver=driver)
    assert driver.recordings == []
    assert (run.video, run.video_error) == (None, "")


# --- the admin --------------------------------------------------------------------------
VIDEO = {
    "content_type": "video/webm",
    "duration_ms": 75_000,
    "bytes": 10,
    "steps": [{"step": 1, "offset_ms": 400}, {"step": 2, "offset_ms": 12_300}],
}


def with_video(run, **video):
    name = default_storage.save(f"runs/{run.pk}/video.webm", ContentFile(b"\x1a\x45\xdf\xa3 video"))
    Run.objects.filter(pk=run.pk).update(video={**VIDEO, "name": name, **video})
    return Run.objects.get(pk=run.pk)


@pytest.mark.parametrize(
    ("ms", "shown"), [(0, "0:00"), (12_300, "0:12"), (62_000, "1:02"), (3_723_000, "1:02:03")]
)
def test_a_moment_in_a_video_reads_as_a_player_shows_it(ms, shown):
    assert moments.clock(ms) == shown


def test_the_run_page_plays_the_video_and_each_step_row_seeks_to_its_step(
    admin_client, flow, device
):
    run = with_video(make_run(flow, device))
    page = admin_client.get(reverse("admin:playback_run_change", args=[run.pk])).content.decode()
    player = 'id="pb-video" controls preload="metadata" playsinline src="/api/playback/runs/'
    assert f"{player}{run.pk}/video" in page
    assert "1:15 · 10\xa0bytes · video/webm" in page
    assert 'href="#t=0.40" data-seek="0.40"' in page and "▶ at 0:00" in page
    assert 'data-seek="12.30"' in page and "▶ at 0:12" in page
    assert page.count('class="pb-seek"') == 2  # step 3 was not played: not in the video
    viewer = admin_client.get(reverse("admin:playback_run_step", args=[run.pk, 2])).content.decode()
    duration = run.step_results.get(step_number=2).duration_ms
    end = (12_300 + duration + 2000) / 1000
    assert f'src="/api/playback/runs/{run.pk}/video#t=10.30,{end:.2f}"' in viewer
    assert (
        admin_client.get(f"/api/playback/runs/{run.pk}/video", HTTP_RANGE="bytes=0-3").status_code
        == 206
    )


@pytest.mark.parametrize(
    ("fields", "shown"),
    [
        (
            {"video_error": "The video was not saved: disk full"},
            "The video was not saved: disk full",
        ),
        (
            {"settings": RunSettings(record_video=RecordVideo.FAILED)},
            "kept only when the run did not pass",
        ),
        ({"settings": RunSettings(record_video=RecordVideo.OFF)}, "none (recordVideo off)"),
    ],
)
def test_a_run_without_a_video_says_why(admin_client, flow, device, fields, shown):
    run = make_run(flow, device, status="success", steps=("pass",), **fields)
    page = admin_client.get(reverse("admin:playback_run_change", args=[run.pk])).content.decode()
    assert 'id="pb-video"' not in page and "pb-seek" not in page
    assert shown in page


def test_the_html_report_links_the_video_and_each_failures_moment_in_it(flow, device, settings):
    settings.PLAYBACK_PUBLIC_URL = "https://playback.example"
    steps = [*VIDEO["steps"], {"step": 3, "offset_ms": 61_500}]
    run = with_video(make_run(flow, device), steps=steps)
    page = run_report(run)
    page_url = f"https://playback.example/admin/playback/run/{run.pk}/change/"
    assert f'<a href="{page_url}#t=0.00">▶ watch its video</a>' in page
    assert f'<a href="{page_url}#t=61.50">▶ its moment in the video (1:01)</a>' in page
    Run.objects.filter(pk=run.pk).update(media_pruned_at=timezone.now())
    assert "▶" not in run_report(Run.objects.get(pk=run.pk))  # pruned: nothing to watch
