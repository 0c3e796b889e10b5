"""What a step costs the database (playback/runs/recording.py), and the steps written
behind the engine (playback/runs/step_writer.py): counted, so it cannot creep back."""

from __future__ import annotations

import threading

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from playback.runs import step_writer
from playback.runs.step_recorder import RunTakenAway
from playback.runs.step_writer import StepWriter
from tests.helpers import tap
from tests.scripted_driver import ScriptedDriver

pytestmark = pytest.mark.django_db
# A transaction's own statements (the test's savepoints, SQLite's BEGIN/COMMIT) are
# not what a step asks of the database.
FRAMING = ("SAVEPOINT", "RELEASE SAVEPOINT", "BEGIN", "COMMIT", "ROLLBACK")


def statements(play, flow, device) -> list[str]:
    with CaptureQueriesContext(connection) as captured:
        run = play(flow, device, {"restart_app": False}, driver=ScriptedDriver())
    assert run.status == "success"
    return [q["sql"] for q in captured.captured_queries if not q["sql"].startswith(FRAMING)]


def test_a_step_costs_one_statement_on_postgresql_and_two_on_sqlite(play, make_flow, make_device):
    device = make_device("http://127.0.0.1:4723")
    ten, twenty = make_flow([tap("ok")] * 10), make_flow([tap("ok")] * 20)
    for flow in (ten, twenty):  # what a flow's first run makes once (its rollups' rows)
        statements(play, flow, device)
    per_run = {n: statements(play, flow, device) for n, flow in ((10, ten), (20, twenty))}
    per_step = (len(per_run[20]) - len(per_run[10])) / 10
    # The step's row and the run's counters (which answer whether a cancel was asked):
    # one statement on PostgreSQL, an UPDATE and an INSERT in one commit on SQLite.
    assert per_step == (1 if connection.vendor == "postgresql" else 2)
    writes = [sql for sql in per_run[20] if "playback_stepresult" in sql and "INSERT" in sql]
    assert len(writes) == 20


def test_inside_a_transaction_steps_are_written_in_it_not_behind():
    assert connection.in_atomic_block  # the test's own transaction
    assert step_writer.wanted() is False


def test_writes_behind_are_committed_in_order_and_a_flush_waits_for_them_all():
    written: list[int] = []
    gate = threading.Event()
    writer = StepWriter("test-writer")
    writer.submit(lambda: (gate.wait(5), written.append(1)))
    for n in (2, 3):
        writer.submit(lambda n=n: written.append(n))
    assert written == []  # the engine went on: nothing waited for the writes
    gate.set()
    writer.flush()
    assert written == [1, 2, 3]
    writer.close()
    assert not writer.thread.is_alive()


def test_a_failed_write_stops_the_next_step_and_the_writes_after_it_are_not_made():
    written: list[int] = []
    writer = StepWriter("test-writer")

    def taken_away() -> None:
        raise RunTakenAway("Run 1 was ended while it played")

    writer.submit(taken_away)
    writer.submit(lambda: written.append(2))
    with pytest.raises(RunTakenAway):
        writer.flush()
    writer.submit(lambda: written.append(3))  # the error was raised once
    writer.close()
    assert written == []


def test_closing_writes_what_was_queued_first():
    written: list[int] = []
    writer = StepWriter("test-writer")
    for n in range(50):
        writer.submit(lambda n=n: written.append(n))
    writer.close()
    assert written == list(range(50))
