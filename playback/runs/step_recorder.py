"""Recording a running run's steps as the engine reports them: each step's evidence
stored (playback/evidence.py), its identity keys (playback/insights/identity.py)
and its row written with the run's counters in one commit (playback/runs/recording.py).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import Any

from django.core.files.storage import default_storage

from playback import evidence, step_counters
from playback.engine import StepOutcome
from playback.insights import identity
from playback.live import publish
from playback.models import Run
from playback.runs import recording
from playback.runs.step_writer import StepWriter

StepObserver = Callable[[Run, StepOutcome], None]


class RunTakenAway(Exception):
    """The run was ended elsewhere (the sweeper) while this process played it."""


class StepRecorder:
    """Records each step as the engine reports it, with the run's counters kept live.

    A step is written only while the run is `running`: a run ended elsewhere (by
    the sweeper) raises `RunTakenAway` and nothing is written. `cancel_requested`
    is what the run said when the last step was written (no extra query per step).
    With a `writer` (playback/runs/step_writer.py) the writes are committed behind
    the engine: `cancel_requested` stays unknown (the run is asked before each
    step), and `flush()` makes them durable before the run ends.
    """

    def __init__(
        self,
        run: Run,
        observer: StepObserver | None = None,
        *,
        played: dict[int, dict[str, Any]] | None = None,
        writer: StepWriter | None = None,
    ):
        self.run = run
        self.observer = observer
        self.played = played or {}  # step number -> the step as played
        self.writer = writer
        self.recorded = 0
        self.tally: Counter[str] = Counter()  # kept as it goes: no recount per step
        self.cancel_requested: bool | None = None

    def __call__(self, outcome: StepOutcome) -> None:
        self.tally[outcome.status] += 1
        counts = step_counters.counters_from_tally(self.tally)
        definition = self.played.get(outcome.step, {})
        try:
            if self.writer is not None:
                self.writer.submit(lambda: self.write(outcome, counts, definition))
            else:
                self.cancel_requested = self.write(outcome, counts, definition)
        except BaseException:
            self.tally[outcome.status] -= 1  # the counters move only with the row
            raise
        self.recorded += 1
        for key in step_counters.COUNTER_FIELDS:
            setattr(self.run, key, counts[key])
        if self.observer is not None:
            self.observer(self.run, outcome)

    def write(self, outcome: StepOutcome, counts: dict[str, int], definition: dict) -> bool:
        """Write one step (in one commit) and say so to the live pages; the run's
        `cancel_requested`."""
        cancel = record_step(self.run, outcome, counts, definition)
        if cancel is None:
            raise RunTakenAway(f"Run {self.run.pk} was ended while it played")
        publish.changed(run_id=self.run.pk)
        return cancel

    def flush(self) -> None:
        """Every step so far is durable (raises what a write behind raised)."""
        if self.writer is not None:
            self.writer.flush()

    def close(self) -> None:
        """Stop writing behind (the queued steps are written first)."""
        if self.writer is not None:
            self.writer.close()


def record_step(
    run: Run, outcome: StepOutcome, counts: dict[str, int], definition: dict[str, Any]
) -> bool | None:
    """Write one played step of a running run with the run's counters, in one commit.

    Returns the run's `cancel_requested`, or None (and nothing kept) when the run
    is not running any more.
    """
    screenshot, screenshot_error = "", outcome.screenshot_error or ""
    if outcome.screenshot:
        screenshot, screenshot_error = evidence.save_screenshot(
            run.pk, outcome.step, outcome.screenshot
        )
    media_bytes = len(outcome.screenshot) if screenshot else 0
    attempt_log = []
    for taken in outcome.attempt_evidence:
        entry, size = evidence.save_attempt(run.pk, outcome.step, taken)
        attempt_log.append(
            {k: recording.stored_text(v) if isinstance(v, str) else v for k, v in entry.items()}
        )
        media_bytes += size
    cancel = recording.save_step(
        run_id=run.pk,
        step={
            "step_number": outcome.step,
            "action": outcome.action,
            "definition": definition,
            **identity.step_keys(definition, vars(outcome)),
            "status": str(outcome.status),
            "attempts": outcome.attempts,
            "attempt_errors": [recording.stored_text(e) for e in outcome.attempt_errors],
            "attempt_log": attempt_log,
            "duration_ms": outcome.duration_ms,
            "error": recording.stored_text(outcome.error or ""),
            "screenshot": screenshot,
            "screenshot_error": recording.stored_text(screenshot_error),
            "quarantined": outcome.quarantined,
            "visual": outcome.visual,
        },
        counts=counts,
        media_bytes=media_bytes,
    )
    if cancel is None:  # nothing was recorded: nothing of it stays on storage
        kept = [screenshot] + [e[k] for e in attempt_log for k in ("screenshot", "source")]
        for name in filter(None, kept):
            default_storage.delete(name)
    return cancel
