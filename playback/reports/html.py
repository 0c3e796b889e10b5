"""A run or a batch as one self-contained HTML file (`play --html`, GET …/report.html):
a summary, each run's steps with their statuses, errors and thumbnail screenshots
embedded as data: URLs. No external asset: it opens offline, attached to a CI job."""

from __future__ import annotations

import base64
from collections import Counter
from typing import Any

from django.template.loader import render_to_string
from django.utils import timezone

from flows.definitions import summary
from playback import evidence
from playback.words import RunStatus


def thumbnail(result: Any) -> str | None:
    """The step's thumbnail as a data: URL (None when it has no screenshot)."""
    if not result.screenshot:
        return None
    return "data:image/png;base64," + base64.b64encode(evidence.thumbnail_png(result)).decode()


def run_context(run: Any) -> dict[str, Any]:
    steps = [
        {
            "number": result.step_number,
            "what": summary(result.definition) if result.definition else result.action,
            "status": result.status,
            "attempts": result.attempts,
            "seconds": f"{result.duration_ms / 1000:.2f}",
            "error": result.error,
            "attempt_errors": result.attempt_errors if result.status == "flaky" else [],
            "thumbnail": thumbnail(result),
        }
        for result in run.step_results.order_by("step_number")
    ]
    return {"run": run, "steps": steps}


def report(title: str, runs: list[Any], status: str, extra: dict[str, Any] | None = None) -> str:
    counts = Counter(run.status for run in runs)
    context = {
        "title": title,
        "status": status,
        "made_at": timezone.now(),
        "counts": [(s.value, counts.get(s, 0)) for s in RunStatus if counts.get(s)],
        "flaky": sum(1 for run in runs if run.flaky_steps),
        "runs": [run_context(run) for run in runs],
        **(extra or {}),
    }
    return render_to_string("reports/report.html", context)


def run_report(run: Any) -> str:
    return report(f"Run #{run.pk}: {run.flow.name} on {run.device.device_id}", [run], run.status)


def batch_report(batch: Any) -> str:
    runs = list(batch.runs.select_related("flow", "device").order_by("pk"))
    return report(f"Batch #{batch.pk} ({batch.mode})", runs, batch.status, {"batch": batch})
