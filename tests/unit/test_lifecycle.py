"""Every run transition (playback/runs/lifecycle.py): it happens once, a second caller
loses cleanly, and a failure halfway leaves nothing half-written."""

from __future__ import annotations

from unittest import mock

import pytest
from django.core.files.storage import default_storage
from django.db import DatabaseError

from playback import services
from playback.devices import queue as devices_queue
from playback.engine import StepOutcome
from playback.models import Device, Run, StepResult
from playback.runs import lifecycle, step_recorder
from playback.words import RunSettings, RunStatus, StepStatus

pytestmark = pytest.mark.django_db


def queued(flow, device, **settings) -> Run:
    run = services.start_run(
        flow=flow, device=device, settings=RunSettings(**settings), foreground=True
    )
    devices_queue.dispatch_next(device_pk=device.pk)
    return Run.objects.get(pk=run.pk)


def running(flow, device, **settings) -> Run:
    run = queued(flow, device, **settings)
    assert lifecycle.claim(run.pk, worker="test:1")
    recorder = step_recorder.StepRecorder(Run.objects.get(pk=run.pk))
    recorder(StepOutcome(1, "tap", StepStatus.PASS, attempts=1))
    return Run.objects.get(pk=run.pk)


def snapshot(run: Run) -> tuple:
    row = Run.objects.filter(pk=run.pk).values().get()
    steps = list(StepResult.objects.filter(run=run).values_list("step_number", "status", "error"))
    return row, steps


# name, the state it starts from, the transition, what the run is after it
TRANSITIONS = [
    ("claim", queued, lambda run: lifecycle.claim(run.pk), "running"),
    ("cancel_queued", queued, lambda run: lifecycle.cancel_queued(run), "cancelled"),
    ("request_cancel", running, lambda run: lifecycle.request_cancel(run), "running"),
    (
        "finish",
        running,
        lambda run: lifecycle.finish(run, status=RunStatus.ERROR, error="x", duration_ms=5),
        "error",
    ),
    ("end_lost", running, lambda run: lifecycle.end_lost(run, reason="gone"), "error"),
    (
        "end_interrupted",
        running,
        lambda run: lifecycle.end_interrupted(run, duration_ms=5),
        "cancelled",
    ),
    ("time_out", running, lambda run: lifecycle.time_out(run), "error"),
    ("end_stopped", running, lambda run: lifecycle.end_stopped(run, why="x"), "cancelled"),
]
ENDINGS = [t for t in TRANSITIONS if t[0] not in ("claim", "request_cancel")]


@pytest.mark.parametrize(
    ("start", "transition", "after"),
    [t[1:] for t in TRANSITIONS],
    ids=[t[0] for t in TRANSITIONS],
)
def test_a_transition_happens_once_and_a_second_caller_loses_cleanly(
    flow, device, start, transition, after
):
    run = start(flow, device)
    assert transition(Run.objects.get(pk=run.pk)) is True
    assert Run.objects.get(pk=run.pk).status == after
    before = snapshot(run)
    again = transition(Run.objects.get(pk=run.pk))
    # Asking a running run to stop twice is asking once; every other transition refuses.
    assert again is (transition is TRANSITIONS[2][2])
    assert snapshot(run) == before


@pytest.mark.parametrize(
    ("start", "transition"),
    [(running if t[1] is queued else queued, t[2]) for t in TRANSITIONS],
    ids=[t[0] for t in TRANSITIONS],
)
def test_a_transition_from_the_wrong_state_changes_nothing(flow, device, start, transition):
    run = start(flow, device)
    before = snapshot(run)
    assert transition(Run.objects.get(pk=run.pk)) is False
    assert snapshot(run) == before


@pytest.mark.parametrize(
    ("start", "transition"), [t[1:3] for t in ENDINGS], ids=[t[0] for t in ENDINGS]
)
def test_an_ending_that_fails_halfway_leaves_the_run_as_it_was(flow, device, start, transition):
    run = start(flow, device)
    before = snapshot(run)
    with (
        mock.patch.object(
            StepResult.objects, "bulk_create", autospec=True, side_effect=DatabaseError("disk")
        ),
        pytest.raises(DatabaseError),
    ):
        transition(Run.objects.get(pk=run.pk))
    assert snapshot(run) == before


@pytest.mark.parametrize(
    ("start", "transition", "status", "error"),
    [
        (queued, lambda run: lifecycle.cancel_queued(run), "skipped", "Run cancelled"),
        (running, lambda run: lifecycle.end_lost(run, reason="gone"), "blocked",
         "Not run: Worker lost: gone"),
        (running, lambda run: lifecycle.end_interrupted(run, duration_ms=1), "skipped",
         "Run cancelled"),
        (running, lambda run: lifecycle.time_out(run), "skipped", "Run timed out"),
        (running, lambda run: lifecycle.finish(run, status="error", error="boom", duration_ms=1),
         "blocked", "Not run: boom"),
    ],
    ids=["cancel_queued", "end_lost", "end_interrupted", "time_out", "finish"],
)  # fmt: skip
def test_an_ending_records_the_steps_never_played_and_recounts(
    flow, device, start, transition, status, error
):
    run = start(flow, device)
    played = run.step_results.count()
    transition(Run.objects.get(pk=run.pk))
    run.refresh_from_db()
    left = list(run.step_results.filter(step_number__gt=played).values_list("status", "error"))
    assert left == [(status, error)] * (3 - played)
    assert run.step_tally()[StepStatus(status)] == 3 - played
    assert sum(run.step_tally().values()) == 3
    assert run.finished_at is not None


def test_ending_transitions_of_the_sweeper_and_the_cancel_free_the_device(flow, device):
    for start, transition in [
        (queued, lifecycle.cancel_queued),
        (running, lambda run: lifecycle.end_lost(run, reason="x")),
        (running, lifecycle.time_out),
        (running, lambda run: lifecycle.end_stopped(run, why="x")),
    ]:
        run = start(flow, device)
        assert Device.objects.get(pk=device.pk).current_run_id == run.pk
        transition(run)
        assert Device.objects.get(pk=device.pk).current_run_id is None


def test_a_cancel_says_who_asked(flow, device, django_user_model):
    lead = django_user_model.objects.create_user("lead")
    run = queued(flow, device)
    lifecycle.cancel_queued(run, by=lead)
    run.refresh_from_db()
    assert (run.error, run.cancelled_by) == ("Cancelled by lead before it started", lead)
    other = running(flow, device)
    lifecycle.request_cancel(other, by=lead)
    other.refresh_from_db()
    assert (other.cancel_requested, other.cancelled_by) == (True, lead)


def test_a_step_is_recorded_only_while_its_run_is_running(flow, device):
    run = running(flow, device)
    lifecycle.end_lost(run, reason="swept")
    outcome = StepOutcome(2, "tap", StepStatus.PASS, attempts=1, screenshot=b"\x89PNG")
    recorder = step_recorder.StepRecorder(Run.objects.get(pk=run.pk))
    before = snapshot(run)
    with pytest.raises(step_recorder.RunTakenAway):
        recorder(outcome)
    assert snapshot(run) == before
    assert default_storage.listdir(f"runs/{run.pk}")[1] == []  # its screenshot is not kept


def test_recording_a_step_returns_whether_a_cancel_was_asked(flow, device):
    run = running(flow, device)
    recorder = step_recorder.StepRecorder(Run.objects.get(pk=run.pk))
    recorder(StepOutcome(2, "tap", StepStatus.PASS, attempts=1))
    assert recorder.cancel_requested is False
    lifecycle.request_cancel(run)
    recorder(StepOutcome(3, "tap", StepStatus.FLAKY, attempts=2))
    assert recorder.cancel_requested is True
    run.refresh_from_db()
    assert (run.successful_steps, run.flaky_steps) == (2, 1)  # this recorder's steps


def test_only_one_of_two_dispatchers_takes_a_free_device(flow, device):
    first = services.start_run(flow=flow, device=device, foreground=True)
    services.start_run(flow=flow, device=device, foreground=True)
    assert devices_queue.dispatch_next(device_pk=device.pk).pk == first.pk
    assert devices_queue.dispatch_next(device_pk=device.pk) is None
    assert Device.objects.get(pk=device.pk).current_run_id == first.pk


def test_cancelling_a_queued_run_whose_flow_was_edited_counts_the_steps_it_records(
    flow, device, make_flow
):
    run = queued(flow, device)
    assert run.total_steps == 3
    flow.steps.filter(number__gt=2).delete()  # edited while the run waited: 2 steps
    lifecycle.cancel_queued(Run.objects.get(pk=run.pk))
    run.refresh_from_db()
    assert run.step_results.count() == run.total_steps == run.skipped_steps == 2


def test_stopping_make_run_cancels_what_it_plays_and_groups_no_failure(flow, device):
    from playback.insights.models import FailureGroup
    from simulator.management.commands.run_stack import stop_runs_in_progress

    run = running(flow, device)
    assert stop_runs_in_progress() == [run.pk]
    run = Run.objects.get(pk=run.pk)
    assert run.status == "cancelled"
    assert run.error == "Cancelled: make run was stopped (Ctrl-C) while it played"
    assert list(run.step_results.values_list("status", flat=True)) == [
        "pass", "skipped", "skipped"
    ]  # fmt: skip
    assert Device.objects.get(pk=device.pk).current_run_id is None
    assert not FailureGroup.objects.exists()
    assert stop_runs_in_progress() == []  # nothing plays any more
