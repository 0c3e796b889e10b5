"""start_run / execute_run with a scripted driver: what gets saved, and when."""

from __future__ import annotations

import contextlib

import pytest

from playback import services
from playback.engine import DeviceError
from playback.models import Run, StepResult
from tests.scripted_driver import ScriptedDriver

pytestmark = pytest.mark.django_db


def opener_for(driver):
    @contextlib.contextmanager
    def open_session(device, app_id):
        yield driver

    return open_session


@pytest.fixture
def flow(make_flow):
    return make_flow(
        [{"action": "tap", "locator": {"using": "id", "value": v}} for v in ("a", "b", "c")]
    )


@pytest.fixture
def device(make_device):
    return make_device("http://127.0.0.1:1")


def test_start_run_queues_a_run_with_the_effective_settings(flow, device, django_user_model):
    user = django_user_model.objects.create_user("qa")
    run = services.start_run(
        flow=flow, device=device, settings={"retryPerStep": 9}, requested_by=user
    )
    assert run.status == Run.Status.QUEUED
    assert run.settings["retryPerStep"] == 3
    assert run.total_steps == 3
    assert run.requested_by == user


def test_start_run_reports_every_problem_at_once(flow, device):
    device.enabled = False
    flow.steps.all().delete()
    with pytest.raises(services.RunRequestError) as caught:
        services.start_run(
            flow=flow, device=device, settings={"failureBehavior": "stop"}, foreground=True
        )
    assert set(caught.value.errors) == {"settings", "device_id", "flow_id"}
    assert "failureBehavior" in caught.value.errors["settings"]
    assert not Run.objects.exists()


def test_each_step_is_saved_with_the_counters_before_the_next_step_runs(flow, device):
    run = services.start_run(flow=flow, device=device, foreground=True)
    seen = []

    def observe(run_, outcome):
        saved = Run.objects.get(pk=run.pk)
        seen.append((StepResult.objects.filter(run=run).count(), saved.successful_steps))

    services.play_in_foreground(run=run, open_session=opener_for(ScriptedDriver()), on_step=observe)
    assert seen == [(1, 1), (2, 2), (3, 3)]


def test_a_finished_run_keeps_status_timings_counts_and_screenshots(flow, device):
    run = services.start_run(
        flow=flow, device=device, settings={"failureBehaviour": "skip"}, foreground=True
    )
    driver = ScriptedDriver(find_failures={"b": 1})
    services.play_in_foreground(run=run, open_session=opener_for(driver))
    run.refresh_from_db()
    assert run.status == "partial_success"
    assert (run.successful_steps, run.failed_steps, run.skipped_steps) == (1, 1, 1)
    assert run.started_at <= run.finished_at
    assert run.duration_ms is not None
    results = list(run.step_results.all())
    assert [bool(r.screenshot) for r in results] == [True, True, False]
    assert results[1].attempt_errors == ["Element not found: id='b'"]


def test_a_run_is_claimed_once_and_never_played_twice(flow, device):
    run = services.start_run(flow=flow, device=device, foreground=True)
    first, second = ScriptedDriver(), ScriptedDriver()
    services.play_in_foreground(run=run, open_session=opener_for(first))
    again = services.play_in_foreground(run=run, open_session=opener_for(second))
    assert again.status == "success"
    assert second.calls == []
    assert StepResult.objects.filter(run=run).count() == 3


def test_a_session_that_cannot_open_blocks_every_step(flow, device):
    @contextlib.contextmanager
    def refuse(device, app_id):
        raise DeviceError("Appium at http://x refused a session for device d: no")
        yield

    run = services.start_run(flow=flow, device=device, foreground=True)
    services.play_in_foreground(run=run, open_session=refuse)
    run.refresh_from_db()
    assert run.status == "error"
    assert run.error == "Appium at http://x refused a session for device d: no"
    assert run.blocked_steps == 3
    assert set(run.step_results.values_list("error", flat=True)) == {f"Not run: {run.error}"}


def test_an_internal_error_mid_run_keeps_finished_steps_and_ends_as_error(flow, device):
    def explode_on_second(run_, outcome):
        if outcome.step == 2:
            raise RuntimeError("disk full")

    run = services.start_run(flow=flow, device=device, foreground=True)
    services.play_in_foreground(
        run=run, open_session=opener_for(ScriptedDriver()), on_step=explode_on_second
    )
    run.refresh_from_db()
    assert run.status == "error"
    assert run.error == "Internal error: disk full"
    assert list(run.step_results.values_list("status", flat=True)) == ["pass", "pass", "blocked"]
    assert run.finished_at is not None


def test_a_cancel_requested_before_the_run_starts_plays_nothing(flow, device):
    run = services.start_run(flow=flow, device=device, foreground=True)
    Run.objects.filter(pk=run.pk).update(cancel_requested=True)
    driver = ScriptedDriver()
    services.play_in_foreground(run=run, open_session=opener_for(driver))
    run.refresh_from_db()
    assert run.status == "cancelled"
    assert run.skipped_steps == 3
    assert driver.calls == []


def test_an_interrupted_play_ends_the_run_cancelled_and_frees_the_device(flow, device):
    class CtrlC(ScriptedDriver):
        def find(self, locator, timeout_ms):
            if locator.value == "b":
                raise KeyboardInterrupt
            return super().find(locator, timeout_ms)

    run = services.start_run(flow=flow, device=device, foreground=True)
    with pytest.raises(KeyboardInterrupt):
        services.play_in_foreground(run=run, open_session=opener_for(CtrlC()))
    run.refresh_from_db()
    assert run.status == "cancelled"
    assert run.error == "Interrupted (the playing process was stopped)"
    assert list(run.step_results.values_list("status", flat=True)) == ["pass", "skipped", "skipped"]
    device.refresh_from_db()
    assert device.current_run is None


def test_a_flow_emptied_while_its_run_waited_ends_the_run_as_error(flow, device):
    run = services.start_run(flow=flow, device=device, foreground=True)
    flow.steps.all().delete()
    driver = ScriptedDriver()
    services.play_in_foreground(run=run, open_session=opener_for(driver))
    run.refresh_from_db()
    assert run.status == "error"
    assert "has no steps any more" in run.error
    assert run.total_steps == 0
    assert driver.calls == []


def test_the_api_shows_the_steps_finished_so_far_while_a_run_plays(flow, device, django_user_model):
    from rest_framework.test import APIClient

    client = APIClient()
    client.force_authenticate(django_user_model.objects.create_user("watcher"))
    seen = []

    def look(run_, outcome):
        body = client.get(f"/api/playback/runs/{run_.pk}/").json()
        seen.append((body["status"], [s["step"] for s in body["steps"]], body["successful_steps"]))

    run = services.start_run(flow=flow, device=device, foreground=True)
    services.play_in_foreground(run=run, open_session=opener_for(ScriptedDriver()), on_step=look)
    assert seen == [("running", [1], 1), ("running", [1, 2], 2), ("running", [1, 2, 3], 3)]
