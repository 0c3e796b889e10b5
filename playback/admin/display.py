"""How runs look to people in the admin: status badges, step counts, run tables and
times. The HTML is in templates/admin/playback/parts/; the runs, devices and flows
admins all use these (so none of them imports another's admin module)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from functools import lru_cache

from django.template.loader import render_to_string
from django.utils.safestring import SafeString
from django.utils.timezone import localtime

from playback import words
from playback.models import Run
from playback.words import SETTINGS, RunSettings, StepStatus

# Starting, re-running and cancelling runs, in the admin and its play form.
RUN_PERMISSION = "playback.add_run"

# A symbol and a word per step status, in the order the counts column shows them.
STEP_SYMBOLS: dict[StepStatus, tuple[str, str]] = {
    StepStatus.PASS: ("✓", "passed"),
    StepStatus.FLAKY: ("~", "flaky"),
    StepStatus.FAIL: ("✗", "failed"),
    StepStatus.SKIPPED: ("»", "skipped"),
    StepStatus.BLOCKED: ("⊘", "blocked"),
}
COUNTS_TITLE = " / ".join(STEP_SYMBOLS)  # pass / flaky / fail / skipped / blocked
COUNTS_HEADER = "steps " + " ".join(symbol for symbol, _ in STEP_SYMBOLS.values())


def part(name: str, **context: object) -> SafeString:
    return SafeString(render_to_string(f"admin/playback/parts/{name}.html", context).strip())


@lru_cache(maxsize=256)
def badge(status: str, text: str | None = None) -> SafeString:
    """A coloured badge for a run or step status. Made once per (status, text): a
    runs list shows the same few on every row."""
    return part("badge", status=status, text=words.label(status) if text is None else text)


MARKERS = (("new_failure", "new failure"), ("fixed", "fixed"), ("flaky", "flaky"))


def markers(run: Run) -> SafeString:
    """The run's markers as small badges (see playback/insights/windows.py)."""
    on = (run.new_failure, run.fixed, run.flaky_steps > 0)
    return _markers(tuple(key for (key, _), yes in zip(MARKERS, on, strict=True) if yes))


@lru_cache(maxsize=16)
def _markers(keys: tuple[str, ...]) -> SafeString:
    labels = dict(MARKERS)
    return part("markers", markers=[(key, labels[key]) for key in keys]) if keys else SafeString("")


def step_counts(run: Run) -> SafeString:
    tally = run.step_tally()
    return _step_counts(tuple(tally[status] for status in STEP_SYMBOLS))


@lru_cache(maxsize=4096)
def _step_counts(numbers: tuple[int, ...]) -> SafeString:
    # Rendered once per distinct set of counts (the template loop costs ~0.15 ms, 50
    # times a runs list page; most runs of a flow share their counts).
    counts = [
        (status, symbol, word, n)
        for (status, (symbol, word)), n in zip(STEP_SYMBOLS.items(), numbers, strict=True)
    ]
    return part("step_counts", counts=counts, title=COUNTS_TITLE)


def run_link(run_id: int | None) -> SafeString:
    return part("run_link", run_id=run_id)


def runs_table(runs: Iterable[Run], *, show: str) -> SafeString:
    """A small table of runs: a flow's page shows their "device", a device's their
    "flow" (select it with the runs)."""
    rows = [{"run": run, "badge": badge(run.status), "counts": step_counts(run)} for run in runs]
    return part("runs_table", rows=rows, show=show)


def when(moment: datetime | None) -> str:
    return "-" if moment is None else localtime(moment).strftime("%Y-%m-%d %H:%M:%S.%f")[:-3]


def seconds(ms: int | None) -> str:
    return "-" if ms is None else f"{ms / 1000:.1f} s"


def settings_rows(settings: RunSettings) -> list[tuple[str, str]]:
    """(label, value) for each run setting, as a person reads them."""
    rows = []
    for setting in SETTINGS:
        value = getattr(settings, setting.name)
        if isinstance(value, bool):
            shown = "yes" if value else "no"
        elif value is None:
            shown = "the server's default"
        else:
            shown = f"{value} {setting.unit}".strip()
        rows.append((setting.label, shown))
    return rows


def requested_by(run: Run) -> str:
    """Who started a run: the user, or where a command line started it."""
    if run.requested_by_id is not None:
        return run.requested_by.get_username()
    return run.requested_from or "-"
