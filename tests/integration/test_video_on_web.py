"""The video of a web run: a CDP screencast of the real page (our plugin, on the Appium
host) encoded by ffmpeg, kept by the run's policy, played in a real browser from the
API and from the admin, where each step row seeks the player to its step."""

from __future__ import annotations

import io
import subprocess

import pytest
from django.core.files.storage import default_storage
from PIL import Image, ImageChops, ImageStat

from playback.models import Run
from tests.helpers import tap
from tests.integration.conftest import ARTIFACTS
from tests.integration.test_admin_browser import look, sign_in

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.appium, pytest.mark.web]

SIGN_IN = [
    {"action": "type", "locator": {"using": "id", "value": "username"}, "text": "alice"},
    {"action": "type", "locator": {"using": "accessibility id", "value": "Password"}, "text": "pw"},
    tap("#sign-in", using="css selector"),
]
WRONG_WELCOME = {
    "action": "assert",
    "locator": {"using": "id", "value": "welcome"},
    "text": "Welcome, bob",
    "timeout_ms": 300,
}


def frame_at(run: Run, seconds: float | None = None) -> Image.Image:
    """The video's picture at `seconds` (None: its very last frame, the screen at the
    stop; the last second played backwards, so no seek can land a frame early), as RGB."""
    where = ["-sseof", "-1"] if seconds is None else ["-ss", f"{seconds:.2f}"]
    source = ["-i", default_storage.path(run.video["name"])]
    if seconds is None:
        source += ["-vf", "reverse"]
    png = subprocess.run(
        [
            "ffmpeg",
            "-v",
            "error",
            *where,
            *source,
            "-frames:v",
            "1",
            "-c:v",
            "png",
            "-f",
            "image2pipe",
            "pipe:1",
        ],
        capture_output=True,
        check=True,
    ).stdout
    return Image.open(io.BytesIO(png)).convert("RGB")


def unlike(a: Image.Image, b: Image.Image) -> float:
    """How different two pictures are: the mean per-channel difference (0-255) over
    the part both have (a video's sides are even: 412 x 914 for a 412 x 915 screen)."""
    box = (0, 0, min(a.width, b.width), min(a.height, b.height))
    return sum(ImageStat.Stat(ImageChops.difference(a.crop(box), b.crop(box))).mean) / 3


def test_a_failed_web_run_keeps_a_video_of_the_real_page(play, web_flow, web_device, settings):
    settings.PLAYBACK_RECORD_VIDEO = "failed"  # the shipped default
    run = play(web_flow([*SIGN_IN, WRONG_WELCOME]), web_device, {"clear_data": True})
    assert run.status == "partial_success"
    video = run.video
    assert video["content_type"] == "video/webm"
    assert [s["step"] for s in video["steps"]] == [1, 2, 3, 4]
    offsets = [s["offset_ms"] for s in video["steps"]]
    assert offsets == sorted(offsets) and offsets[-1] < video["duration_ms"]
    # The screencast is the page itself: its last frame is the welcome page the last
    # step's screenshot shows, and nothing like the sign-in form it started on.
    last_shot = run.step_results.get(step_number=4).screenshot.read()
    shot = Image.open(io.BytesIO(last_shot)).convert("RGB")
    form = frame_at(run, offsets[0] / 1000)
    assert unlike(frame_at(run), shot) < 6 < unlike(form, shot)
    # At most ~1 Mbit/s (the encoder's cap), with room for the container.
    assert video["bytes"] * 8 / (video["duration_ms"] / 1000) < 1_100_000


def test_a_passing_web_run_keeps_its_video_only_when_always(play, web_flow, web_device):
    dropped = play(web_flow(SIGN_IN), web_device, {"clear_data": True, "record_video": "failed"})
    kept = play(web_flow(SIGN_IN), web_device, {"clear_data": True, "record_video": "always"})
    assert (dropped.status, dropped.video, dropped.video_error) == ("success", None, "")
    assert kept.status == "success" and kept.video["bytes"] > 0


@pytest.mark.browser
def test_a_browser_video_element_plays_the_apis_video_and_seeks_to_a_step(
    play, web_flow, web_device, api, browser_page, live_server
):
    run = play(web_flow([*SIGN_IN, WRONG_WELCOME]), web_device, {"record_video": "always"})
    video = api.get(f"/api/playback/runs/{run.pk}/").json()["video"]
    url = video["url"].replace("http://testserver", live_server.url)
    page = browser_page
    # Another page, no token, no cookie: the signed URL is enough for <video src>.
    page.set_content(f'<video id="v" muted preload="auto" src="{url}"></video>')
    page.wait_for_function("document.getElementById('v').readyState >= 1")
    duration = page.evaluate("document.getElementById('v').duration")
    assert duration == pytest.approx(video["duration_ms"] / 1000, abs=0.2)
    target = video["steps"][-1]["offset_ms"] / 1000
    seeked = page.evaluate(
        """(t) => new Promise((done) => {
            const v = document.getElementById('v');
            v.addEventListener('seeked', () => done(v.currentTime), {once: true});
            v.currentTime = t;
        })""",
        target,
    )
    assert seeked == pytest.approx(target, abs=0.15)


@pytest.mark.browser
def test_the_admin_plays_a_failed_runs_video_and_jumps_to_the_failing_step(
    play, web_flow, web_device, browser_page, live_server, django_user_model, settings
):
    settings.PLAYBACK_RECORD_VIDEO = "failed"
    django_user_model.objects.create_superuser("lead", password="lead-password")
    run = play(web_flow([*SIGN_IN, WRONG_WELCOME]), web_device, {"clear_data": True})
    page = browser_page
    sign_in(page, live_server, f"/admin/playback/run/{run.pk}/change/")
    page.wait_for_function("document.getElementById('pb-video').readyState >= 1")
    failing = next(s for s in run.video["steps"] if s["step"] == 4)
    page.click(f'.pb-seek[data-seek="{failing["offset_ms"] / 1000:.2f}"]')
    page.wait_for_function(
        "(t) => Math.abs(document.getElementById('pb-video').currentTime - t) < 0.5",
        arg=failing["offset_ms"] / 1000,
    )
    page.evaluate("document.getElementById('pb-video').pause()")
    assert page.url.endswith(f"#t={failing['offset_ms'] / 1000:.2f}")
    look(page, "30-run-video")
    page.goto(f"{live_server.url}/admin/playback/run/{run.pk}/steps/4/")
    page.wait_for_function("document.getElementById('pb-step-video').readyState >= 2")
    start = page.evaluate("document.getElementById('pb-step-video').currentTime")
    assert start == pytest.approx(max(0, failing["offset_ms"] - 2000) / 1000, abs=0.2)
    page.screenshot(path=ARTIFACTS / "31-step-video.png", full_page=True)
