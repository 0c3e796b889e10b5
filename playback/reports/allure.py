"""Runs as Allure 2 results (SPEC "Wave 3"): what `play --allure DIR` writes and
GET …/runs/{id}/allure.zip, …/batches/{id}/allure.zip serve; the Allure CLI (or an
Allure server) turns them into its report.

Each step is one `<uuid>-result.json` (allure-python-commons' model): its name as
JUnit's, `fullName` "<flow> [<device>]: <name>", `historyId` (and `testCaseId`) its
step key so Allure's history and retries line up run after run; status passed
(pass, flaky), failed (an assertion), broken (anything else failed) or skipped
(skipped, blocked); `statusDetails` with the message, every attempt's error as the
trace, `flaky: true` for a flaky step and `known: true` for a quarantined (or
optional) one; one sub-step per attempt with its error and screen; the step's screen
attached; labels suite (the flow), subSuite (the device), host, tag, severity,
framework; a link back to the run (PLAYBACK_PUBLIC_URL). Beside them:
`categories.json` (playback/insights/categories.py) and `environment.properties`.
"""

from __future__ import annotations

import io
import json
import uuid
import zipfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from allure_commons.model2 import (
    Attachment,
    Label,
    Link,
    Status,
    StatusDetails,
    TestResult,
    TestStepResult,
)
from attr import asdict

from playback import evidence
from playback.insights import categories
from playback.reports.junit import step_name
from playback.reports.links import run_url
from playback.words import StepStatus

NAMESPACE = uuid.UUID("8d6c6f5e-2f4e-4d55-9a7e-2b1c4e7f0a11")  # our results' uuids
PNG = "image/png"


def status_of(result: Any) -> str:
    if result.status in (StepStatus.PASS, StepStatus.FLAKY):
        return Status.PASSED
    if result.status == StepStatus.FAIL:
        return categories.allure_status(result.error)
    return Status.SKIPPED


class Results:
    """The files of one report: each result JSON and attachment, by file name."""

    def __init__(self) -> None:
        self.files: dict[str, bytes] = {}

    def attach(self, owner: str, name: str, stored_name: str) -> Attachment | None:
        data = evidence.stored_file(stored_name) if stored_name else None
        if data is None:
            return None
        source = f"{uuid.uuid5(NAMESPACE, f'{owner}/{stored_name}')}-attachment.png"
        self.files[source] = data
        return Attachment(name=name, source=source, type=PNG)

    def add_run(self, run: Any) -> None:
        results = list(run.step_results.order_by("step_number"))
        tags = list(run.flow.tag_names())
        start = run.started_at or run.queued_at
        at = int(start.timestamp() * 1000) if start else 0
        for result in results:
            stop = at + result.duration_ms
            self.add_step(run, result, tags, at, stop)
            at = stop

    def add_step(self, run: Any, result: Any, tags: list[str], start: int, stop: int) -> None:
        owner = f"{run.pk}/{result.step_number}"
        name = step_name(result)
        status = status_of(result)
        trace = "\n".join(
            f"attempt {n}: {error}" for n, error in enumerate(result.attempt_errors, 1)
        )
        details = None
        if result.error or result.status == StepStatus.FLAKY:
            details = StatusDetails(
                message=result.error or None,
                trace=trace or None,
                flaky=result.status == StepStatus.FLAKY or None,
                known=bool(result.quarantined or (result.definition or {}).get("optional")) or None,
            )
        test = TestResult(
            uuid=str(uuid.uuid5(NAMESPACE, owner)),
            name=name,
            fullName=f"{run.flow.name} [{run.device.device_id}]: {name}",
            historyId=result.step_key or None,
            testCaseId=result.step_key or None,
            status=status,
            statusDetails=details,
            stage="finished",
            start=start,
            stop=stop,
            description=result.summary(),
            labels=[
                Label("suite", run.flow.name),
                Label("parentSuite", f"batch {run.batch_id}" if run.batch_id else "playback"),
                Label("subSuite", run.device.device_id),
                Label("host", run.device.device_id),
                Label("framework", "playback"),
                Label("severity", "critical" if status != Status.SKIPPED else "normal"),
                *(Label("tag", tag) for tag in tags),
                *([Label("tag", "quarantined")] if result.quarantined else []),
            ],
            links=[Link(type="link", url=url, name=f"run #{run.pk}")]
            if (url := run_url(run))
            else [],
        )
        test.steps = list(self.attempts(owner, result, status, start))
        shot = self.attach(
            owner, "screen after the step", result.screenshot.name if result.screenshot else ""
        )
        if shot is not None:
            test.attachments.append(shot)
        self.files[f"{test.uuid}-result.json"] = encode(test)

    def attempts(
        self, owner: str, result: Any, status: str, start: int
    ) -> Iterator[TestStepResult]:
        """One sub-step per attempt: each failed one with its error and screen, and the
        last (passing, or the failure itself) with the step's outcome."""
        log = {entry.get("attempt"): entry for entry in result.attempt_log}
        errors = list(result.attempt_errors)
        for number, error in enumerate(errors, 1):
            failed = TestStepResult(
                name=f"attempt {number}",
                status=categories.allure_status(error),
                statusDetails=StatusDetails(message=error),
                start=start,
                stop=start,
            )
            shot = self.attach(
                owner, f"screen after attempt {number}", log.get(number, {}).get("screenshot", "")
            )
            if shot is not None:
                failed.attachments.append(shot)
            yield failed
        if result.status in (StepStatus.PASS, StepStatus.FLAKY):
            yield TestStepResult(
                name=f"attempt {len(errors) + 1}",
                status=status,
                start=start,
                stop=start + result.duration_ms,
            )


def encode(item: Any) -> bytes:
    """A model object as Allure's JSON (its empty fields left out, as allure-python does)."""
    data = asdict(item, filter=lambda _, value: value or value is False)
    return json.dumps(data, ensure_ascii=False, indent=1).encode()


def environment(runs: list[Any]) -> bytes:
    """environment.properties: the devices, platforms and apps the runs played."""
    values = {
        "device": sorted({run.device.device_id for run in runs}),
        "platform": sorted({str(run.device.platform) for run in runs}),
        "app": sorted({run.flow.app_id for run in runs}),
    }
    lines = [f"{key}={', '.join(found)}" for key, found in values.items() if found]
    return ("\n".join(lines) + "\n").encode()


def files(runs: Iterable[Any]) -> dict[str, bytes]:
    runs = list(runs)
    results = Results()
    for run in runs:
        results.add_run(run)
    rules = [rule.as_json() for rule in categories.load()]
    results.files["categories.json"] = json.dumps(rules, indent=1).encode()
    results.files["environment.properties"] = environment(runs)
    return results.files


def zipped(runs: Iterable[Any]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in files(runs).items():
            archive.writestr(name, data)
    return buffer.getvalue()


def run_zip(run: Any) -> bytes:
    return zipped([run])


def batch_zip(batch: Any) -> bytes:
    return zipped(batch.runs.select_related("flow", "device").order_by("pk"))


def write_results(runs: Iterable[Any], directory: Path) -> list[Path]:
    """The results in `directory` (made if missing), as `allure generate` reads them."""
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for name, data in files(runs).items():
        (directory / name).write_bytes(data)
        written.append(directory / name)
    return written
