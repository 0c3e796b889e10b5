"""Pictures of the history as inline SVG, drawn on the server (no chart library, no
JavaScript): each mark has a <title>, so a hover and a screen reader both tell the
numbers, and the picture as a whole has a role="img" and a label."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

COLOURS = {
    "success": "#2e7d32",
    "pass": "#2e7d32",
    "flaky": "#b35900",
    "partial_success": "#9a4f00",
    "failed": "#c62828",
    "fail": "#c62828",
    "error": "#6a1b9a",
    "cancelled": "#757575",
}
EMPTY = "#e0e0e0"


def sparkline(results: Sequence[tuple[int, str]], *, label: str) -> SafeString:
    """One bar per run, oldest first: [(run id, status)], coloured by status."""
    width, bar = 6 * len(results) + 2, 4
    bars = format_html_join(
        "",
        '<rect x="{}" y="1" width="{}" height="14" fill="{}"><title>run #{}: {}</title></rect>',
        (
            (1 + 6 * i, bar, COLOURS.get(status, EMPTY), run_id, status.replace("_", " "))
            for i, (run_id, status) in enumerate(results)
        ),
    )
    return format_html(
        '<svg class="pb-chart pb-spark" role="img" aria-label="{}" width="{}" height="16" '
        'viewBox="0 0 {} 16">{}</svg>',
        label,
        max(width, 6),
        max(width, 6),
        bars,
    )


def daily_bars(days: Sequence[tuple[date, dict[str, int]]], *, label: str) -> SafeString:
    """Stacked bars per day (pass at the bottom, then flaky, then fail): the days'
    counts of runs that passed, passed with flaky steps, and did not pass."""
    height, step = 80, 14
    tallest = max([sum(counts.values()) for _, counts in days] + [1])
    parts = []
    for i, (day, counts) in enumerate(days):
        x, bottom = 30 + i * step, height
        total = sum(counts.values())
        title = f"{day:%a %d %b}: " + (
            ", ".join(f"{n} {k}" for k, n in counts.items() if n) if total else "no runs"
        )
        if not total:
            parts.append(
                format_html(
                    '<rect x="{}" y="{}" width="10" height="1" fill="{}"><title>{}</title></rect>',
                    x,
                    height - 1,
                    EMPTY,
                    title,
                )
            )
        for kind in ("pass", "flaky", "fail"):
            n = counts.get(kind, 0)
            if not n:
                continue
            h = max(2, round(n / tallest * (height - 4)))
            bottom -= h
            parts.append(
                format_html(
                    '<rect x="{}" y="{}" width="10" height="{}" fill="{}"><title>{}</title></rect>',
                    x,
                    bottom,
                    h,
                    COLOURS[kind],
                    title,
                )
            )
    axis = format_html(
        '<text x="0" y="10" class="pb-chart-axis">{}</text>'
        '<text x="0" y="{}" class="pb-chart-axis">0</text>',
        tallest,
        height,
    )
    width = 30 + len(days) * step
    return format_html(
        '<svg class="pb-chart pb-days" role="img" aria-label="{}" width="{}" height="{}" '
        'viewBox="0 0 {} {}">{}{}</svg>',
        label,
        width,
        height + 2,
        width,
        height + 2,
        axis,
        SafeString("".join(parts)),
    )


def attempt_bars(
    attempts: Sequence[int | None],
    statuses: Sequence[str | None],
    run_ids: Sequence[int | None],
    *,
    label: str,
) -> SafeString:
    """A step's attempts in each run (oldest first), coloured by how the step ended:
    a short green bar = passed at once; taller = more attempts; grey tick = not
    executed. (Plain f-strings: a page draws thousands of these marks; every value
    in them is a number or one of our words, the label is escaped.)"""
    parts = []
    for i, (n, status, run_id) in enumerate(zip(attempts, statuses, run_ids, strict=False)):
        x, run = 1 + i * 7, f"run #{run_id}: " if run_id else ""
        if n is None:
            parts.append(
                f'<rect x="{x}" y="22" width="5" height="2" fill="{EMPTY}">'
                f"<title>{run}not executed</title></rect>"
            )
            continue
        h, colour, plural = min(n, 4) * 6, COLOURS.get(status or "", EMPTY), "s" * (n != 1)
        parts.append(
            f'<rect x="{x}" y="{24 - h}" width="5" height="{h}" fill="{colour}">'
            f"<title>{run}{status} after {n} attempt{plural}</title></rect>"
        )
    width = max(8, 7 * len(attempts) + 2)
    return format_html(
        '<svg class="pb-chart pb-attempts" role="img" aria-label="{}" width="{}" height="24" '
        'viewBox="0 0 {} 24">{}</svg>',
        label,
        width,
        width,
        SafeString("".join(parts)),
    )
