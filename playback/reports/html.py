"""A run or a batch as one self-contained HTML file (`play --html`, GET …/report.html):
a summary, each run's steps with their statuses, errors and thumbnail screenshots
embedded as data: URLs. No external asset: it opens offline, attached to a CI job.

Each distinct thumbnail is embedded once (a CSS class per picture: a simulated
device's fixed screen, a page that did not change between steps), thumbnails not
made yet are made on every core at once, and thumbnails are palette PNGs
(playback/evidence.py): a 1,000-step web run's report is built in seconds
(bench/html_report.py, docs/benchmarks.md)."""

from __future__ import annotations

import base64
import hashlib
import os
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from django.template.loader import render_to_string
from django.utils import timezone

from playback import evidence
from playback.actions import summary
from playback.words import RunStatus


class Pictures:
    """The report's thumbnails, each distinct one once: `css_class(result)` names the
    class whose background it is, `styles()` are those classes."""

    def __init__(self) -> None:
        self.classes: dict[bytes, str] = {}
        self.urls: list[tuple[str, str]] = []

    def prepare(self, results: list[Any]) -> None:
        """Make the thumbnails not made yet, on every core (decoding a screenshot is
        most of the work, and Pillow lets go of the interpreter while it decodes)."""
        with ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
            list(pool.map(evidence.thumbnail_png, [r for r in results if r.screenshot]))

    def css_class(self, result: Any) -> str | None:
        if not result.screenshot:
            return None
        png = evidence.thumbnail_png(result)
        digest = hashlib.sha256(png).digest()
        if digest not in self.classes:
            self.classes[digest] = f"shot{len(self.classes)}"
            url = "data:image/png;base64," + base64.b64encode(png).decode()
            self.urls.append((self.classes[digest], url))
        return self.classes[digest]


def run_context(run: Any, pictures: Pictures) -> dict[str, Any]:
    results = list(run.step_results.order_by("step_number"))
    pictures.prepare(results)
    steps = [
        {
            "number": result.step_number,
            "what": summary(result.definition) if result.definition else result.action,
            "status": result.status,
            "attempts": result.attempts,
            "seconds": f"{result.duration_ms / 1000:.2f}",
            "error": result.error,
            "attempt_errors": result.attempt_errors if result.status == "flaky" else [],
            "picture": pictures.css_class(result),
        }
        for result in results
    ]
    return {"run": run, "steps": steps}


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
        "runs": contexts,
        "pictures": pictures.urls,
        **(extra or {}),
    }
    return render_to_string("reports/report.html", context)


def run_report(run: Any) -> str:
    return report(f"Run #{run.pk}: {run.flow.name} on {run.device.device_id}", [run], run.status)


def batch_report(batch: Any) -> str:
    runs = list(batch.runs.select_related("flow", "device").order_by("pk"))
    return report(f"Batch #{batch.pk} ({batch.mode})", runs, batch.status, {"batch": batch})
