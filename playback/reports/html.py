"""A run or a batch as one self-contained HTML file (`play --html`, GET …/report.html),
for a person reading a CI job's result, on a desk or on a phone.

The summary comes first: counts, each run with its link back into the service
(PLAYBACK_PUBLIC_URL), then every failure with its step, error and screen. Each
run's steps follow, with their statuses, errors and thumbnails; a simulated device's
pictures say so. The failures' screens and their failed attempts' open full size in
one click, embedded (playback/reports/pictures.py); other steps' thumbnails link to the
service's step viewer. No external asset: it opens offline, attached to a CI job, and
a 1,000-step web run's report is built in seconds (bench/html_report.py)."""

from __future__ import annotations

from collections import Counter
from typing import Any

from django.template.loader import render_to_string
from django.utils import timezone

from playback.actions import summary
from playback.reports.links import run_url, step_url, video_url
from playback.reports.pictures import Pictures
from playback.video import moments
from playback.words import RunStatus, StepStatus

# Step statuses whose screens (and failed attempts' screens) are embedded full size.
EVIDENT = (StepStatus.FAIL, StepStatus.FLAKY)


def screen(pictures: Pictures, name: str, *, embed: bool, link: str) -> dict[str, Any] | None:
    """A thumbnail and where a click on it goes: the embedded full-size screen, else
    the service's step viewer, else nowhere."""
    picture = pictures.thumbnail(name)
    if picture is None:
        return None
    full = pictures.full(name) if embed else None
    return {"picture": picture, "href": f"#{full}" if full else link}


def step_context(run: Any, result: Any, pictures: Pictures) -> dict[str, Any]:
    embed = result.status in EVIDENT
    link = step_url(run.pk, result.step_number)
    attempts = [
        {
            "number": entry.get("attempt"),
            "error": entry.get("error", ""),
            "screen": screen(pictures, entry.get("screenshot", ""), embed=True, link=""),
        }
        for entry in result.attempt_log
    ]
    if not attempts and embed:  # runs played before attempts kept their evidence
        attempts = [
            {"number": n, "error": e, "screen": None}
            for n, e in enumerate(result.attempt_errors, 1)
        ]
    name = result.screenshot.name if result.screenshot else ""
    offset = moments.offset_of(run, result.step_number)
    return {
        "video": video_url(run, offset) if offset is not None else "",
        "video_at": moments.clock(offset) if offset is not None else "",
        "number": result.step_number,
        "what": summary(result.definition) if result.definition else result.action,
        "status": result.status,
        "optional": bool((result.definition or {}).get("optional")),
        "attempts": result.attempts,
        "seconds": f"{result.duration_ms / 1000:.2f}",
        "error": result.error,
        "failed_attempts": attempts,
        "screen": screen(pictures, name, embed=embed, link=link),
    }


def run_context(run: Any, pictures: Pictures) -> dict[str, Any]:
    results = list(run.step_results.order_by("step_number"))
    pictures.prepare(results)
    steps = [step_context(run, result, pictures) for result in results]
    failures = [step for step in steps if step["status"] == StepStatus.FAIL]
    return {
        "run": run,
        "url": run_url(run),
        "video": video_url(run),
        "simulated": run.device.platform == "sim",
        "steps": steps,
        "failures": failures,
        "ended_badly": run.status == RunStatus.ERROR or (run.error and not failures),
    }


def report(title: str, runs: list[Any], status: str, extra: dict[str, Any] | None = None) -> str:
    counts = Counter(run.status for run in runs)
    pictures = Pictures()
    contexts = [run_context(run, pictures) for run in runs]
    context = {
        "title": title,
        "status": status,
        "made_at": timezone.now(),
        "counts": [(s.value, counts.get(s, 0)) for s in RunStatus if counts.get(s)],
        "flaky": sum(1 for run in runs if run.flaky_steps),
        # A run's own report: its header once, no table of one run.
        "single": "batch" not in (extra or {}),
        "runs": contexts,
        "failing": [item for item in contexts if item["failures"] or item["ended_badly"]],
        "pictures": pictures.styles,
        "full_size": pictures.full_size,
        **(extra or {}),
    }
    return render_to_string("reports/report.html", context)


def run_report(run: Any) -> str:
    return report(f"Run #{run.pk}: {run.flow.name} on {run.device.device_id}", [run], run.status)


def batch_report(batch: Any) -> str:
    runs = list(batch.runs.select_related("flow", "device").order_by("pk"))
    return report(f"Batch #{batch.pk} ({batch.mode})", runs, batch.status, {"batch": batch})
