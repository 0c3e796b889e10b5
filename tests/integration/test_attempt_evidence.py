"""The evidence of every failed attempt (SPEC `attempt_log`) through a real Appium
server and the simulated device: the screen and the UI source right after each
failed attempt are stored under the run and served by the API."""

from __future__ import annotations

import pytest
from django.core.files.storage import default_storage
from django.urls import reverse
from django.utils import timezone

from tests.helpers import tap

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.appium]
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def test_a_flaky_step_keeps_the_screen_and_source_of_its_failed_attempt(
    play, make_flow, sim_device, api
):
    run = play(make_flow([tap("find-once", timeout_ms=0)]), sim_device, {"retry_per_step": 1})
    result = run.step_results.get()
    assert result.status == "flaky"
    (entry,) = result.attempt_log
    assert entry["attempt"] == 1
    assert entry["error"] == result.attempt_errors[0]
    assert entry["screenshot"] == f"runs/{run.pk}/step-0001-attempt-1.png"
    assert entry["source"] == f"runs/{run.pk}/step-0001-attempt-1.xml"
    assert entry["capture_error"] == ""
    with default_storage.open(entry["source"]) as handle:
        assert b'id="find-once"' in handle.read()
    run.refresh_from_db()
    files = [entry["screenshot"], entry["source"], result.screenshot.name]
    assert run.media_bytes == sum(default_storage.size(name) for name in files)

    step = api.get(f"/api/playback/runs/{run.pk}/").json()["steps"][0]
    base = f"http://testserver/api/playback/runs/{run.pk}/steps/1/attempts/1"
    (entry,) = step["attempt_log"]
    assert (entry["attempt"], entry["error"]) == (1, result.attempt_errors[0])
    assert entry["capture_error"] is None
    # Signed for the reader (<img src> sends no token): the same signature for both.
    assert entry["screenshot"].startswith(f"{base}/screenshot?sig=")
    assert entry["source"] == entry["screenshot"].replace("/screenshot?", "/source?")
    assert step["screenshot_simulated"] is True
    shot = api.get(step["attempt_log"][0]["screenshot"])
    assert (shot.status_code, shot["Content-Type"]) == (200, "image/png")
    assert b"".join(shot.streaming_content).startswith(PNG_MAGIC)
    source = api.get(step["attempt_log"][0]["source"])
    assert source["Content-Type"] == "text/plain; charset=utf-8"
    assert source["X-Content-Type-Options"] == "nosniff"
    assert b"<app" in b"".join(source.streaming_content)
    assert api.get(f"{base.replace('/1/attempts/1', '/1/attempts/2')}/source").status_code == 404


def test_every_failed_attempt_of_a_failed_step_is_kept(play, make_flow, sim_device):
    run = play(make_flow([tap("hidden", timeout_ms=0)]), sim_device, {"retry_per_step": 2})
    result = run.step_results.get()
    assert result.status == "fail"
    assert [e["attempt"] for e in result.attempt_log] == [1, 2, 3]
    assert all(e["screenshot"] and e["source"] for e in result.attempt_log)


def test_no_attempt_evidence_without_screenshots(play, make_flow, sim_device):
    run = play(
        make_flow([tap("find-once", timeout_ms=0)]),
        sim_device,
        {"retry_per_step": 1, "capture_screenshots": False},
    )
    assert run.step_results.get().attempt_log == []
    assert not default_storage.exists(f"runs/{run.pk}")


def test_the_run_page_shows_each_failed_attempts_screen_beside_the_final_one(
    play, make_flow, sim_device, admin_client
):
    run = play(make_flow([tap("find-once", timeout_ms=0)]), sim_device, {"retry_per_step": 1})
    page = admin_client.get(reverse("admin:playback_run_change", args=[run.pk])).content.decode()
    shot, source, thumbnail = (
        reverse("admin:playback_run_attempt", args=[run.pk, 1, 1, kind])
        for kind in ("screenshot", "source", "thumbnail")
    )
    assert f'href="{shot}" class="pb-shot"><img src="{thumbnail}"' in page
    assert f'href="{source}"' in page
    assert "attempt 1 failed" in page
    assert "simulated screen" in page
    image = admin_client.get(shot)
    assert image["Content-Type"] == "image/png"
    assert image.content.startswith(PNG_MAGIC)
    small = admin_client.get(thumbnail)  # made once, kept beside the screenshot
    assert small["Content-Type"] == "image/png" and small.content.startswith(PNG_MAGIC)
    assert len(small.content) < len(image.content)
    assert default_storage.exists(
        run.step_results.get().attempt_log[0]["screenshot"][:-4] + ".thumb.png"
    )
    text = admin_client.get(source)
    assert (text["Content-Type"], text["X-Content-Type-Options"]) == (
        "text/plain; charset=utf-8",
        "nosniff",
    )
    assert b'id="find-once"' in text.content
    viewer = admin_client.get(reverse("admin:playback_run_step", args=[run.pk, 1]))
    viewer = viewer.content.decode()
    assert f'href="{shot}">its screen</a>' in viewer
    assert f'href="{source}">its source</a>' in viewer
    assert "Simulated screen" in viewer
    missing = reverse("admin:playback_run_attempt", args=[run.pk, 1, 2, "source"])
    assert admin_client.get(missing).status_code == 404


def test_pruned_attempt_evidence_is_gone_not_a_dead_link(play, make_flow, sim_device, api):
    run = play(make_flow([tap("find-once", timeout_ms=0)]), sim_device, {"retry_per_step": 1})
    url = f"/api/playback/runs/{run.pk}/steps/1/attempts/1/source"
    assert api.get(url).status_code == 200
    type(run).objects.filter(pk=run.pk).update(media_pruned_at=timezone.now())
    (entry,) = api.get(f"/api/playback/runs/{run.pk}/").json()["steps"][0]["attempt_log"]
    assert (entry["screenshot"], entry["source"]) == (None, None)
    assert api.get(url).status_code == 410
