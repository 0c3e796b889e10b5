"""start_run / execute_run with a scripted driver: what gets saved, and when."""

from __future__ import annotations

import contextlib

import pytest
from rest_framework.test import APIClient

from playback import services
from playback.engine import DeviceError
from playback.models import Run, StepResult
from playback.words import RecordVideo, RunSettings
from tests.helpers import session_of
from tests.scripted_driver import ScriptedDriver

pytestmark = pytest.mark.django_db


def test_start_run_queues_a_run_with_the_effective_settings(flow, device, django_user_model):
    user = django_user_model.objects.create_user("qa")
    run = services.start_run(
        flow=flow, device=device, settings=RunSettings(retry_per_step=9), requested_by=user
    )
    assert run.status == "queued"
    assert run.settings == RunSettings(
        retry_per_step=3, run_timeout_s=1800, record_video=RecordVideo.OFF
    )
    assert Run.objects.get(pk=run.pk).settings == run.settings  # stored as it was given
    assert run.total_steps == 3
    assert run.requested_by == user


def test_start_run_takes_the_server_default_run_timeout_and_refuses_more_than_its_maximum(
    flow, device, settings
):
    settings.PLAYBACK_RUN_TIMEOUT_S = 900
    assert services.start_run(flow=flow, device=device).settings.run_timeout_s == 900
    settings.PLAYBACK_MAX_RUN_TIMEOUT_S = 600
    assert services.start_run(flow=flow, device=device).settings.run_timeout_s == 600
    with pytest.raises(services.RunRequestError) as caught:
        services.start_run(flow=flow, device=device, settings=RunSettings(run_timeout_s=601))
    assert caught.value.errors == {
        "settings": {"run_timeout_s": "Must be from 1 to 600 seconds (got 601)."}
    }


def test_start_run_reports_every_problem_at_once(flow, device):
    device.enabled = False
    flow.steps.all().delete()
    with pytest.raises(services.RunRequestError) as caught:
        services.start_run(
            flow=flow, device=device, settings=RunSettings(retry_per_step=-1), foreground=True
        )
    assert set(caught.value.errors) == {"settings", "device_id", "flow_id"}
    assert "retry_per_step" in caught.value.errors["settings"]
    assert not Run.objects.exists()


def test_each_step_is_saved_with_the_counters_before_the_next_step_runs(flow, device, play):
    seen = []

    def observe(run, outcome):
        saved = Run.objects.get(pk=run.pk)
        seen.append((StepResult.objects.filter(run=run).count(), saved.successful_steps))

    play(flow, device, driver=ScriptedDriver(), on_step=observe)
    assert seen == [(1, 1), (2, 2), (3, 3)]


def test_a_finished_run_keeps_status_timings_counts_and_screenshots(flow, device, play):
    driver = ScriptedDriver(find_failures={"b": 1})
    run = play(flow, device, {"failure_behaviour": "skip"}, driver=driver)
    assert run.status == "partial_success"
    assert (run.successful_steps, run.failed_steps, run.skipped_steps) == (1, 1, 1)
    assert run.started_at <= run.finished_at
    assert run.duration_ms is not None
    results = list(run.step_results.all())
    assert [bool(r.screenshot) for r in results] == [True, True, False]
    assert results[1].attempt_errors == ["Element not found: id='b'"]


def test_a_run_is_claimed_once_and_never_played_twice(flow, device, play):
    first, second = ScriptedDriver(), ScriptedDriver()
    run = play(flow, device, driver=first)
    again = services.execute_run(run_id=run.pk, open_session=session_of(second))
    assert again.status == "success"
    assert second.calls == []
    assert StepResult.objects.filter(run=run).count() == 3


def test_a_session_that_cannot_open_blocks_every_step(flow, device, play):
    @contextlib.contextmanager
    def refuse(device, app_id):
        raise DeviceError("Appium at http://x refused a session for device d: no")
        yield

    run = play(flow, device, open_session=refuse)
    assert run.status == "error"
    assert run.error == "Appium at http://x refused a session for device d: no"
    assert run.blocked_steps == 3
    assert set(run.step_results.values_list("error", flat=True)) == {f"Not run: {run.error}"}


def test_an_internal_error_mid_run_keeps_finished_steps_and_ends_as_error(flow, device, play):
    def explode_on_second(run_, outcome):
        if outcome.step == 2:
            raise RuntimeError("disk full")

    run = play(flow, device, driver=ScriptedDriver(), on_step=explode_on_second)
    assert run.status == "error"
    assert run.error == "Internal error: disk full"
    assert list(run.step_results.values_list("status", flat=True)) == ["pass", "pass", "blocked"]
    assert run.finished_at is not None


def test_a_cancel_requested_before_the_run_starts_plays_nothing(flow, device, django_user_model):
    lead = django_user_model.objects.create_user("lead")
    run = services.start_run(flow=flow, device=device, foreground=True)
    Run.objects.filter(pk=run.pk).update(cancel_requested=True, cancelled_by=lead)
    driver = ScriptedDriver()
    services.play_in_foreground(run=run, open_session=session_of(driver))
    run.refresh_from_db()
    assert run.status == "cancelled"
    assert run.error == "Cancelled by lead before step 1"
    assert run.skipped_steps == 3
    assert driver.calls == []


def test_a_cancelled_running_run_says_who_cancelled_it_and_before_which_step(
    flow, device, play, django_user_model
):
    lead = django_user_model.objects.create_user("lead")
    seen = []

    class CancelledWhilePlayingB(ScriptedDriver):
        def find(self, locator, timeout_ms):
            if locator.value == "b":
                cancelled = services.cancel_run(run=Run.objects.get(), requested_by=lead)
                seen.append((cancelled.status, cancelled.cancel_requested))
            return super().find(locator, timeout_ms)

    run = play(flow, device, driver=CancelledWhilePlayingB())
    assert seen == [("running", True)]  # the step in flight finishes
    assert run.status == "cancelled"
    assert run.error == "Cancelled by lead before step 3"
    assert [(r.status, r.error) for r in run.step_results.all()] == [
        ("pass", ""),
        ("pass", ""),
        ("skipped", "Run cancelled"),
    ]


def test_an_interrupted_play_ends_the_run_cancelled_and_frees_the_device(flow, device, play):
    class CtrlC(ScriptedDriver):
        def find(self, locator, timeout_ms):
            if locator.value == "b":
                raise KeyboardInterrupt
            return super().find(locator, timeout_ms)

    with pytest.raises(KeyboardInterrupt):
        play(flow, device, driver=CtrlC())
    run = Run.objects.get()
    assert run.status == "cancelled"
    assert run.error == "Interrupted (the playing process was stopped)"
    assert list(run.step_results.values_list("status", flat=True)) == ["pass", "skipped", "skipped"]
    device.refresh_from_db()
    assert device.current_run is None


def test_a_flow_emptied_while_its_run_waited_ends_the_run_as_error(flow, device):
    run = services.start_run(flow=flow, device=device, foreground=True)
    flow.steps.all().delete()
    driver = ScriptedDriver()
    services.play_in_foreground(run=run, open_session=session_of(driver))
    run.refresh_from_db()
    assert run.status == "error"
    assert "has no steps any more" in run.error
    assert run.total_steps == 0
    assert driver.calls == []


def test_the_api_shows_the_steps_finished_so_far_while_a_run_plays(flow, device, play, member):
    client = APIClient()
    client.force_authenticate(member("viewer", "watcher"))
    seen = []

    def look(run_, outcome):
        body = client.get(f"/api/playback/runs/{run_.pk}/").json()
        seen.append((body["status"], [s["step"] for s in body["steps"]], body["successful_steps"]))

    play(flow, device, driver=ScriptedDriver(), on_step=look)
    assert seen == [("running", [1], 1), ("running", [1, 2], 2), ("running", [1, 2, 3], 3)]


def test_each_step_keeps_the_step_as_it_was_played_even_after_the_flow_changes(
    flow, device, play, api
):
    run = play(flow, device, driver=ScriptedDriver(find_failures={"c": 9}))
    flow.steps.filter(number=2).update(locator={"using": "id", "value": "renamed"})
    body = api.get(f"/api/playback/runs/{run.pk}/").json()
    second = body["steps"][1]
    assert second["definition"] == {
        "step": 2,
        "action": "tap",
        "locator": {"using": "id", "value": "b"},
    }
    assert second["summary"] == "tap id='b'"
    assert body["steps"][2]["summary"] == "tap id='c'" and body["steps"][2]["status"] == "fail"


def test_steps_never_played_keep_their_snapshot_too(flow, device):
    run = services.start_run(flow=flow, device=device)
    services.cancel_run(run=run)
    assert [r.summary() for r in run.step_results.all()] == [
        "tap id='a'",
        "tap id='b'",
        "tap id='c'",
    ]
