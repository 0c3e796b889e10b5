"""Live progress of a batch for the `play` command.

On a terminal: one line per device (its current flow, steps done, what it has
played), drawn in place by `rich`. Otherwise (CI logs): plain lines, one per step as
it finishes and one per run as it ends. Both read the database (the runs may be
played by workers on other hosts).
"""

from __future__ import annotations

import time
from typing import IO, Any

from rich.console import Console
from rich.live import Live
from rich.table import Table

from playback.actions import summary
from playback.batches.models import Batch
from playback.models import Run, StepResult
from playback.words import ACTIVE_RUN_STATUSES

COLOURS = {
    "success": "green",
    "failed": "red",
    "partial_success": "yellow",
    "error": "red",
    "cancelled": "grey50",
    "running": "cyan",
    "queued": "grey50",
}


class BatchProgress:
    def __init__(self, batch: Batch, stream: IO[str], *, interval_s: float = 0.25):
        self.batch_id = batch.pk
        self.stream = stream
        self.tty = stream.isatty()
        self.interval_s = interval_s
        self.last_step = 0  # the newest step result printed (plain lines)
        self.ended: set[int] = set()  # runs whose end was printed

    def follow(self, keep_going: Any = None) -> Batch:
        """Draw until the batch ends (and `keep_going()`, if given, is false); the batch."""
        if not self.tty:
            while True:
                batch = self.plain_lines()
                if not batch.is_active and not (keep_going and keep_going()):
                    return batch
                time.sleep(self.interval_s)
        console = Console(file=self.stream, force_terminal=True)
        with Live(console=console, refresh_per_second=8, transient=False) as live:
            while True:
                batch, runs = self.read()
                live.update(self.table(batch, runs))
                if not batch.is_active and not (keep_going and keep_going()):
                    return batch
                time.sleep(self.interval_s)

    def read(self) -> tuple[Batch, list[Run]]:
        batch = Batch.objects.get(pk=self.batch_id)
        runs = list(Run.objects.filter(batch=batch).select_related("flow", "device").order_by("pk"))
        return batch, runs

    def table(self, batch: Batch, runs: list[Run]) -> Table:
        """One row per device: its current (or last) run, and what it has played."""
        done = sum(1 for run in runs if run.status not in ACTIVE_RUN_STATUSES)
        title = (
            f"Batch #{batch.pk} [{COLOURS.get(batch.status, 'white')}]{batch.status}"
            f"[/] · {done} of {len(runs) + len(batch.waiting)} runs ended"
        )
        table = Table(title=title, title_justify="left", expand=False)
        for column in ("device", "now", "steps", "played"):
            table.add_column(column)
        by_device: dict[str, list[Run]] = {}
        for run in runs:
            by_device.setdefault(run.device.device_id, []).append(run)
        for device_id, played in by_device.items():
            current = next((r for r in played if r.status in ACTIVE_RUN_STATUSES), played[-1])
            steps = sum(current.step_tally().values())
            colour = COLOURS.get(current.status, "white")
            ended = [r for r in played if r.status not in ACTIVE_RUN_STATUSES]
            summary = " ".join(f"[{COLOURS.get(r.status, 'white')}]●[/]" for r in ended[-20:])
            table.add_row(
                device_id,
                f"#{current.pk} {current.flow.name} [{colour}]{current.status}[/]",
                f"{steps}/{current.total_steps}",
                f"{summary} {len(ended)}",
            )
        return table

    def plain_lines(self) -> Batch:
        """Print what finished since the last call: each step, then each run's end."""
        batch = Batch.objects.get(pk=self.batch_id)
        for step in (
            StepResult.objects.filter(run__batch=batch, pk__gt=self.last_step)
            .select_related("run__device")
            .order_by("pk")
        ):
            attempts = f" after {step.attempts} attempts" if step.attempts > 1 else ""
            error = f" - {step.error}" if step.error and step.status != "pass" else ""
            what = summary(step.definition) if step.definition else step.action
            self.write(
                f"[{step.run.device.device_id} run {step.run_id}] step {step.step_number} "
                f"{what}: {step.status}{attempts}{error}"
            )
            self.last_step = step.pk
        ended = Run.objects.filter(batch=batch).exclude(status__in=ACTIVE_RUN_STATUSES)
        for run in ended.exclude(pk__in=self.ended).select_related("flow", "device"):
            flaky = f", {run.flaky_steps} flaky" if run.flaky_steps else ""
            error = f": {run.error}" if run.error else ""
            passed = f"{run.successful_steps}/{run.total_steps} steps passed{flaky}"
            self.write(
                f"[{run.device.device_id} run {run.pk}] {run.flow.name}: "
                f"{run.status} ({passed}){error}"
            )
            self.ended.add(run.pk)
        return batch

    def write(self, line: str) -> None:
        self.stream.write(line + "\n")
        self.stream.flush()
