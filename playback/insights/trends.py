"""A flow's trends for its admin page: its rates over the last runs, its results per
day over 30 days, and each step's attempts over the last runs (as pictures)."""

from __future__ import annotations

from datetime import timedelta

from django.db.models import Count, Q
from django.db.models.functions import TruncDate
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.safestring import SafeString

from playback.insights import charts, rates
from playback.words import RunStatus

DAYS = 30
PASSED = Q(status=RunStatus.SUCCESS)
COUNTED = (RunStatus.SUCCESS, RunStatus.FAILED, RunStatus.PARTIAL_SUCCESS, RunStatus.ERROR)


def per_day(flow_id: int, *, days: int = DAYS) -> list[tuple]:
    """[(day, {"pass": n, "flaky": n, "fail": n})] for the last `days` days, oldest first
    (flaky: passed with a flaky step; fail: failed, partial success or error)."""
    from playback.models import Run

    today = timezone.localdate()
    first = today - timedelta(days=days - 1)
    rows = (
        Run.objects.filter(
            flow_id=flow_id,
            status__in=COUNTED,
            queued_at__gte=timezone.now() - timedelta(days=days + 1),
        )
        .exclude(finished_at__isnull=True)
        .annotate(day=TruncDate("finished_at", tzinfo=timezone.get_current_timezone()))
        .filter(day__gte=first)
        .values("day")
        .annotate(
            passed=Count("pk", filter=PASSED & Q(flaky_steps=0)),
            flaky=Count("pk", filter=PASSED & Q(flaky_steps__gt=0)),
            failed=Count("pk", filter=~PASSED),
        )
    )
    by_day = {
        r["day"]: {"pass": r["passed"], "flaky": r["flaky"], "fail": r["failed"]} for r in rows
    }
    return [
        (day, by_day.get(day, {"pass": 0, "flaky": 0, "fail": 0}))
        for day in (first + timedelta(days=i) for i in range(days))
    ]


def flow_trends(flow) -> SafeString:
    stats = rates.flow_stats(rates.window_of(flow.pk), rates.DEFAULT_WINDOW)
    steps = []
    for step in stats.steps:
        label = f"{step.summary}: attempts in each run"
        chart = charts.attempt_bars(step.attempts, step.statuses, stats.run_ids, label=label)
        steps.append({"stats": step, "chart": chart})
    results = list(zip(stats.run_ids, stats.results, strict=True))
    context = {
        "stats": stats,
        "days": charts.daily_bars(per_day(flow.pk), label=f"{flow.name}: runs a day, {DAYS} days"),
        "spark": charts.sparkline(results, label=f"{flow.name}: the last {stats.runs} results"),
        "steps": steps,
    }
    return SafeString(render_to_string("admin/flows/flow/trends.html", context))
