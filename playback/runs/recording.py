"""The per-step write of a run: the step's result and the run's counters, together.

It runs once per step on the hot path, so it is plain SQL built from the models'
own table and column names (0.1 ms a step against 0.4 ms through the ORM's
save()/update() on SQLite; bench/profile_run.py, docs/benchmarks.md). The run's
UPDATE is conditional (only while it is `running`, so a worker whose run was
swept writes nothing) and returns `cancel_requested`, so the engine learns of a
cancel with no extra query before the next step. On SQLite every step is committed
before the next one starts; on PostgreSQL while it plays (playback/runs/step_writer.py),
and the engine asks `run_state` before each step instead.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from playback.models import Run, StepResult
from playback.step_counters import COUNTER_FIELDS
from playback.words import RunStatus

STEP_FIELDS = (
    "quarantined",
    "visual",
    "run",
    "step_number",
    "action",
    "definition",
    "step_key",
    "failure_key",
    "status",
    "attempts",
    "attempt_errors",
    "attempt_log",
    "duration_ms",
    "error",
    "screenshot",
    "screenshot_error",
    "finished_at",
)


def stored_text(text: str) -> str:
    """Text from a device as it can be stored: a NUL (which PostgreSQL refuses) and a
    lone surrogate (which no database can encode) are written out as escapes."""
    if "\x00" not in text and text.isascii():
        return text
    return "".join(
        f"\\x{ord(c):02x}"
        if c == "\x00"
        else f"\\u{ord(c):04x}"
        if 0xD800 <= ord(c) <= 0xDFFF
        else c
        for c in text
    )


def _column(model: type, name: str) -> str:
    return model._meta.get_field(name).column


@cache
def _update_sql() -> str:
    media = _column(Run, "media_bytes")
    assignments = ", ".join(f"{_column(Run, f)} = %s" for f in (*COUNTER_FIELDS, "heartbeat_at"))
    assignments += f", {media} = {media} + %s"
    where = f"{Run._meta.pk.column} = %s AND {_column(Run, 'status')} = %s"
    return (
        f"UPDATE {Run._meta.db_table} SET {assignments} WHERE {where} "
        f"RETURNING {_column(Run, 'cancel_requested')}"
    )


@cache
def _insert_sql(from_run_cte: bool) -> str:
    columns = ", ".join(_column(StepResult, f) for f in STEP_FIELDS)
    marks = ", ".join(["%s"] * len(STEP_FIELDS))
    if from_run_cte:
        return f"INSERT INTO {StepResult._meta.db_table} ({columns}) SELECT {marks} FROM run"
    return f"INSERT INTO {StepResult._meta.db_table} ({columns}) VALUES ({marks})"


@cache
def _one_statement_sql() -> str:
    """PostgreSQL: both writes in one statement (one round trip, one commit); the
    INSERT reads the UPDATE's row, so nothing is written when the run is not ours."""
    return (
        f"WITH run AS ({_update_sql()}), "
        f"step AS ({_insert_sql(True)} RETURNING 1) "
        f"SELECT {_column(Run, 'cancel_requested')} FROM run"
    )


@cache
def _state_sql() -> str:
    columns = f"{_column(Run, 'status')}, {_column(Run, 'cancel_requested')}"
    return f"SELECT {columns} FROM {Run._meta.db_table} WHERE {Run._meta.pk.column} = %s"


def run_state(run_id: int) -> tuple[str, bool]:
    """The run's status and whether a cancel was asked: what the engine asks before a
    step it has no written step's answer for (plain SQL: it may run once a step)."""
    with connection.cursor() as cursor:
        cursor.execute(_state_sql(), [run_id])
        status, cancel = cursor.fetchone()
    return status, bool(cancel)


# Only these columns need the field's own conversion to a database value (JSON text,
# a file's name); the rest are plain numbers and strings, the moment is adapted once.
CONVERTED = ("definition", "attempt_errors", "attempt_log", "screenshot", "visual")


@cache
def _converters() -> tuple[Any, ...]:
    return tuple(
        StepResult._meta.get_field(f).get_db_prep_save if f in CONVERTED else None
        for f in STEP_FIELDS
    )


def save_step(
    *, run_id: int, step: dict[str, Any], counts: dict[str, int], media_bytes: int = 0
) -> bool | None:
    """Write one step of a running run, the run's counters and the bytes its files
    added; returns the run's `cancel_requested`, or None (and writes nothing) when
    the run is not running."""
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    values = {"run": run_id, "finished_at": now, **step}
    insert = [
        values[f] if convert is None else convert(values[f], connection)
        for f, convert in zip(STEP_FIELDS, _converters(), strict=True)
    ]
    update = [counts[f] for f in COUNTER_FIELDS]
    update += [now, media_bytes, run_id, RunStatus.RUNNING.value]
    if connection.vendor == "postgresql":
        # One statement is atomic on its own; in autocommit it is its own commit.
        with connection.cursor() as cursor:
            cursor.execute(_one_statement_sql(), update + insert)
            row = cursor.fetchone()
        return None if row is None else bool(row[0])
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(_update_sql(), update)
        row = cursor.fetchone()
        if row is None:
            return None  # nothing was changed: there is nothing to roll back
        cursor.execute(_insert_sql(False), insert)
    return bool(row[0])
