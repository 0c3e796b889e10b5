"""Evidence that cannot fill the disk: bytes counted per run and in total, screenshots
removed after their retention (rows kept), the last passing run always kept."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.utils import timezone
from django_q.models import Schedule

from playback import evidence, services
from playback.models import Run, StepResult
from tests.scripted_driver import ScriptedDriver

pytestmark = pytest.mark.django_db
PNG = b"\x89PNG" + b"x" * 996  # 1,000 bytes


def ended(flow, device, status, *, days_ago, flaky=0) -> Run:
    run = services.start_run(flow=flow, device=device, foreground=True)
    for number in (1, 2):
        result = StepResult(run=run, step_number=number, action="tap", status="pass")
        result.screenshot.save("s.png", ContentFile(PNG), save=False)
        result.save()
    Run.objects.filter(pk=run.pk).update(
        status=status,
        flaky_steps=flaky,
        finished_at=timezone.now() - timedelta(days=days_ago),
        media_bytes=2 * len(PNG),
    )
    return Run.objects.get(pk=run.pk)


def files_of(run: Run) -> list[str]:
    try:
        return default_storage.listdir(f"runs/{run.pk}")[1]
    except FileNotFoundError:
        return []


@pytest.fixture
def history(flow, device, make_flow):
    other = make_flow([{"action": "tap", "x": 1, "y": 1}], name="Other")
    return {
        "old passing": ended(flow, device, "success", days_ago=40),
        "old flaky": ended(flow, device, "success", days_ago=40, flaky=1),
        # The last passing run of its flow on its platform: kept, however old.
        "baseline (last passing)": ended(flow, device, "success", days_ago=35),
        "recent passing": ended(other, device, "success", days_ago=5),
        "old failed": ended(flow, device, "failed", days_ago=100),
        "failed, within 90 days": ended(flow, device, "partial_success", days_ago=60),
        "old error": ended(flow, device, "error", days_ago=91),
        "old cancelled": ended(flow, device, "cancelled", days_ago=31),
    }


PRUNED = {"old passing", "old failed", "old error", "old cancelled"}


def test_retention_removes_what_is_past_its_days_and_keeps_the_baseline(history):
    report = evidence.prune_media()
    assert report == {"runs": 4, "files": 8, "bytes": 8 * len(PNG), "dry_run": False}
    for name, run in history.items():
        run.refresh_from_db()
        assert (run.media_pruned_at is not None) is (name in PRUNED), name
        assert bool(files_of(run)) is (name not in PRUNED), name
        assert run.step_results.count() == 2  # the history stays
        assert run.media_bytes == (0 if name in PRUNED else 2 * len(PNG))


def test_a_dry_run_says_what_it_would_remove_and_removes_nothing(history):
    out = StringIO()
    call_command("prune_media", "--dry-run", stdout=out)
    assert '"runs": 4' in out.getvalue() and '"dry_run": true' in out.getvalue()
    assert all(files_of(run) for run in history.values())
    assert not Run.objects.filter(media_pruned_at__isnull=False).exists()


def test_a_pruned_screenshot_reads_pruned_in_the_api_and_the_admin(history, api, admin_client):
    evidence.prune_media()
    run = history["old failed"]
    body = api.get(f"/api/playback/runs/{run.pk}/").json()
    assert body["media_pruned_at"] and body["media_bytes"] == 0
    assert [(s["screenshot"], s["screenshot_pruned"]) for s in body["steps"]] == [(None, True)] * 2
    gone = api.get(f"/api/playback/runs/{run.pk}/steps/1/screenshot")
    assert gone.status_code == 410 and "retention" in gone.json()["detail"]
    page = admin_client.get(f"/admin/playback/run/{run.pk}/change/").content.decode()
    assert page.count("screenshot pruned") == 2 and "pruned on" in page
    kept = history["recent passing"]
    body = api.get(f"/api/playback/runs/{kept.pk}/").json()
    assert body["steps"][0]["screenshot"] and body["steps"][0]["screenshot_pruned"] is False


def test_bytes_are_counted_per_run_as_screenshots_are_saved_and_in_total(
    flow, device, play, api, admin_client
):
    run = play(flow, device, driver=ScriptedDriver())
    assert run.media_bytes == 3 * len(b"\x89PNG fake")
    totals = api.get("/api/playback/media/").json()
    assert totals == {
        "bytes": run.media_bytes,
        "runs_with_media": 1,
        "pruned_runs": 0,
        "keep_media_days": 30,
        "keep_failed_media_days": 90,
    }
    page = admin_client.get("/admin/playback/run/").content.decode()
    assert "Screenshots on storage: 27" in page


def test_retention_runs_every_night():
    schedule = Schedule.objects.get(name="playback: prune media")
    assert (schedule.func, schedule.schedule_type, schedule.repeats) == (
        "playback.tasks.prune_media",
        "D",
        -1,
    )
