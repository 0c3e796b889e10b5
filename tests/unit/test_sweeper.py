"""Nothing stays running or queued forever, no device stays locked."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from datetime import timedelta
from unittest import mock

import pytest
from django.utils import timezone
from django_q.models import Schedule

from playback import queue, services
from playback.devices import queue as devices_queue
from playback.models import Run, StepResult
from playback.runs import lifecycle, sweeper, workers
from playback.words import RunSettings
from tests.scripted_driver import ScriptedDriver

pytestmark = pytest.mark.django_db
NOTHING = {
    "lost": [], "timed_out": [], "freed": [], "dispatched": [], "requeued": [], "probed": [],
    "webhook_tries_lost": [], "webhooks_queued": [], "quarantines_expired": [],
    "sessions_closed": [],
}  # fmt: skip


def dead_pid() -> int:
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


def running_run(flow, device, *, heartbeat_age_s=0.0, worker="", done=1, settings=None) -> Run:
    """A run some worker claimed and played `done` steps of."""
    run = services.start_run(flow=flow, device=device, settings=settings, foreground=True)
    devices_queue.dispatch_next(device_pk=device.pk)
    assert lifecycle.claim(run.pk, worker=worker)
    for number in range(1, done + 1):
        StepResult.objects.create(run=run, step_number=number, action="tap", status="pass")
    Run.objects.filter(pk=run.pk).update(
        successful_steps=done, heartbeat_at=timezone.now() - timedelta(seconds=heartbeat_age_s)
    )
    return Run.objects.get(pk=run.pk)


def test_a_silent_run_ends_as_error_keeping_its_steps_and_frees_its_device(flow, device):
    lost = running_run(flow, device, heartbeat_age_s=120, worker="elsewhere:1")
    waiting = services.start_run(flow=flow, device=device)
    report = sweeper.sweep_runs()
    lost.refresh_from_db()
    assert report["lost"] == [lost.pk]
    assert lost.status == "error"
    assert lost.error.startswith("Worker lost: no heartbeat since ")
    assert "(worker elsewhere:1)" in lost.error
    assert list(lost.step_results.values_list("status", flat=True)) == [
        "pass",
        "blocked",
        "blocked",
    ]
    assert (lost.successful_steps, lost.blocked_steps) == (1, 2)
    assert lost.finished_at is not None and lost.duration_ms is not None
    device.refresh_from_db()
    assert device.current_run_id == waiting.pk  # the next run has the device


def test_a_run_whose_worker_process_died_ends_at_once(flow, device):
    worker = f"{socket.gethostname()}:{dead_pid()}"
    lost = running_run(flow, device, heartbeat_age_s=0, worker=worker)
    assert sweeper.sweep_runs()["lost"] == [lost.pk]
    lost.refresh_from_db()
    assert lost.error == f"Worker lost: its worker process {worker} is gone"


def test_a_live_run_is_left_alone(flow, device):
    alive = running_run(flow, device, heartbeat_age_s=1, worker=workers.identity())
    assert sweeper.sweep_runs() == NOTHING
    alive.refresh_from_db()
    assert alive.status == "running"


def test_a_device_held_by_an_ended_run_is_freed_and_given_on(flow, device):
    run = running_run(flow, device)
    Run.objects.filter(pk=run.pk).update(status="success")  # ended, device not released
    waiting = services.start_run(flow=flow, device=device)
    report = sweeper.sweep_runs()
    assert report["freed"] == [device.pk]
    device.refresh_from_db()
    assert device.current_run_id == waiting.pk


def test_a_free_device_with_queued_runs_is_dispatched(flow, device):
    first = services.start_run(flow=flow, device=device)
    services.start_run(flow=flow, device=device)
    assert sweeper.sweep_runs()["dispatched"] == [first.pk]


def test_a_dispatched_run_no_worker_picked_up_is_enqueued_again(flow, device, settings):
    settings.PLAYBACK_REDISPATCH_AFTER_S = 60
    run = services.start_run(flow=flow, device=device)
    devices_queue.dispatch_next(device_pk=device.pk)
    Run.objects.filter(pk=run.pk).update(dispatched_at=timezone.now() - timedelta(minutes=5))
    with mock.patch.object(queue, "enqueue_run", autospec=True) as enqueue:
        assert sweeper.sweep_runs()["requeued"] == [run.pk]
        assert sweeper.sweep_runs()["requeued"] == []  # not again right away
    enqueue.assert_called_once_with(run.pk)


def test_a_worker_whose_run_was_swept_stops_writing(flow, device, play):
    def sweep_after_first_step(run_, outcome):
        lifecycle.end_lost(Run.objects.get(pk=run_.pk), reason="test")

    driver = ScriptedDriver()
    run = play(flow, device, driver=driver, on_step=sweep_after_first_step)
    assert run.status == "error"
    assert run.error == "Worker lost: test"
    # Step 1 was saved by the worker; the sweeper blocked 2 and 3. The worker learns
    # it lost the run when it writes its next step: that write is refused and it stops.
    assert list(run.step_results.values_list("status", flat=True)) == ["pass", "blocked", "blocked"]
    assert driver.names().count("find") == 2
    device.refresh_from_db()
    assert device.current_run is None


def test_the_sweeper_has_a_schedule():
    schedule = Schedule.objects.get(name="playback: sweep lost runs")
    assert schedule.func == "playback.tasks.sweep_runs"
    assert (schedule.schedule_type, schedule.minutes, schedule.repeats) == ("I", 1, -1)


def test_workers_sweep_when_they_start(flow, device):
    from django_q.signals import post_spawn

    lost = running_run(flow, device, heartbeat_age_s=600)
    post_spawn.send(sender="django_q", proc_name="Process-test")
    lost.refresh_from_db()
    assert lost.status == "error"


@pytest.mark.django_db(transaction=True)
def test_a_long_step_keeps_the_heartbeat_going(flow, device, settings, play):
    settings.PLAYBACK_HEARTBEAT_S = 0.05
    beats = []

    class SlowDriver(ScriptedDriver):
        def find(self, locator, timeout_ms):
            for _ in range(4):
                time.sleep(0.1)
                beats.append(Run.objects.get().heartbeat_at)
            return super().find(locator, timeout_ms)

    run = play(flow, device, driver=SlowDriver())
    assert len(set(beats[:4])) >= 3  # it moved while step 1 was still looking
    assert run.status == "success"


def test_a_run_past_its_own_timeout_whose_worker_still_beats_is_timed_out(flow, device):
    stuck = running_run(
        flow, device, worker=workers.identity(), settings=RunSettings(run_timeout_s=60)
    )
    Run.objects.filter(pk=stuck.pk).update(started_at=timezone.now() - timedelta(seconds=200))
    report = sweeper.sweep_runs()
    assert report["timed_out"] == [stuck.pk]
    stuck.refresh_from_db()
    assert stuck.status == "error"
    assert stuck.error.startswith("Run timed out after 60 s")
    assert list(stuck.step_results.values_list("status", "error")) == [
        ("pass", ""),
        ("skipped", "Run timed out"),
        ("skipped", "Run timed out"),
    ]
    device.refresh_from_db()
    assert device.current_run is None


def test_a_zombie_worker_counts_as_gone():
    """A killed worker no process reaps (no init in a container) stays a zombie."""
    import subprocess
    import sys
    from pathlib import Path

    child = subprocess.Popen([sys.executable, "-c", "pass"])
    host = workers.identity().rpartition(":")[0]
    deadline = time.monotonic() + 10
    while " Z " not in Path(f"/proc/{child.pid}/stat").read_text():  # exited, not reaped
        assert time.monotonic() < deadline
        time.sleep(0.01)
    assert workers.is_gone(f"{host}:{child.pid}")
    child.wait()
    assert workers.is_gone(f"{host}:{child.pid}")
    assert not workers.is_gone(workers.identity())
