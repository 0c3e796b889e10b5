"""The report formats, one entry each: what the API serves at
`…/runs/{id}/<file>` and `…/batches/{id}/<file>` (one route pattern,
playback/api/urls.py), what `play --<name>` writes, and the admin's links.

Adding a format is its module (the bytes) and its entry here.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from playback.reports import allure, html, junit


@dataclass(frozen=True)
class Output:
    """One report file of a run or a batch, as the API serves it."""

    file: str  # the URL's last segment: "<name>.<ext>"
    content_type: str
    render: Callable[[Any], bytes | str]
    summary: str
    description: str = ""
    # The file name a download gets (None: shown in the browser).
    attachment: Callable[[Any], str] | None = None
    inline_name: Callable[[Any], str] | None = None


@dataclass(frozen=True)
class ReportFormat:
    name: str  # also the `play` option: --<name>
    label: str  # the admin's link text
    run: Output
    batch: Output
    cli_metavar: str
    cli_help: str
    # Writes a finished batch's report at the given path; says what it wrote.
    write: Callable[[Any, Sequence[Any], Path], str]


def _write_junit(batch: Any, runs: Sequence[Any], path: Path) -> str:
    written = junit.write_reports(runs, path)
    return f"JUnit: {len(written)} report(s) in {path}"


def _write_allure(batch: Any, runs: Sequence[Any], path: Path) -> str:
    written = allure.write_results(runs, path)
    return f"Allure results: {len(written)} file(s) in {path} (allure generate {path})"


def _write_html(batch: Any, runs: Sequence[Any], path: Path) -> str:
    path.write_text(html.batch_report(batch), encoding="utf-8")
    return f"HTML report: {path}"


FORMATS: tuple[ReportFormat, ...] = (
    ReportFormat(
        name="junit",
        label="JUnit XML",
        run=Output(
            "junit.xml",
            "application/xml",
            junit.run_xml,
            "The run as JUnit XML",
            'One Surefire 3.0 `<testsuite>` (SPEC "JUnit XML"): a testcase per step; a '
            "flaky step passes with a `flakyFailure` per failed attempt.",
            inline_name=junit.file_name,
        ),
        batch=Output(
            "junit.zip",
            "application/zip",
            junit.batch_zip,
            "The batch's runs as JUnit XML, in a zip",
            "`TEST-<flow>-<run>.xml` per run (Surefire 3.0 report format, SPEC).",
            attachment=lambda batch: f"batch-{batch.pk}-junit.zip",
        ),
        cli_metavar="DIR",
        cli_help="Write TEST-<flow>-<run>.xml here.",
        write=_write_junit,
    ),
    ReportFormat(
        name="html",
        label="HTML report",
        run=Output(
            "report.html",
            "text/html",
            html.run_report,
            "The run as one self-contained HTML report",
            "Its steps, statuses, errors and thumbnails embedded: opens offline.",
        ),
        batch=Output(
            "report.html",
            "text/html",
            html.batch_report,
            "The batch as one self-contained HTML report",
            "A summary, each run's steps, errors and thumbnails embedded: opens offline.",
        ),
        cli_metavar="FILE",
        cli_help="Write a self-contained report.",
        write=_write_html,
    ),
    ReportFormat(
        name="allure",
        label="Allure results",
        run=Output(
            "allure.zip",
            "application/zip",
            allure.run_zip,
            "The run as Allure 2 results, in a zip",
            "A `*-result.json` per step (historyId = its step key; attempts as steps; "
            "screens attached), categories.json and environment.properties: unzip into "
            "allure-results/ and run `allure generate`.",
            attachment=lambda run: f"run-{run.pk}-allure.zip",
        ),
        batch=Output(
            "allure.zip",
            "application/zip",
            allure.batch_zip,
            "The batch's runs as Allure 2 results, in a zip",
            "Every run's steps as Allure results, categories.json and environment.properties.",
            attachment=lambda batch: f"batch-{batch.pk}-allure.zip",
        ),
        cli_metavar="DIR",
        cli_help="Write Allure 2 results here (for `allure generate DIR`).",
        write=_write_allure,
    ),
)
FORMATS_BY_NAME = {report.name: report for report in FORMATS}
# What a report is of: the URL's word for it, and the word that names its route.
KINDS = {"runs": "run", "batches": "batch"}


def output(report: ReportFormat, kind: str) -> Output:
    return report.run if kind == "runs" else report.batch


def route_name(report: ReportFormat, kind: str) -> str:
    """The URL's name: "playback:run-junit", "playback:batch-html"."""
    return f"{KINDS[kind]}-{report.name}"


def links(kind: str, pk: int) -> list[tuple[str, str]]:
    """(label, URL) of every report of a run or batch: the admin's one list of links."""
    from django.urls import reverse

    return [
        (report.label, reverse(f"playback:{route_name(report, kind)}", kwargs={"pk": pk}))
        for report in FORMATS
    ]
