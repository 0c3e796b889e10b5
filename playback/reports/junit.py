"""A run as JUnit XML in the Surefire 3.0 report format (SPEC "Wave 2"; the schema is
maven-surefire's surefire-test-report-3.0.xsd).

A run is one `<testsuite name="<flow>">` (its properties: run id, device, platform,
status, batch, `run_url`: its admin page at PLAYBACK_PUBLIC_URL); each step a
`<testcase name="step NN: <action> <target>" classname="<flow> [<device>]"
time="s.sss">`. A flaky step passed: one
`<flakyFailure>` per failed attempt. A failed step: `<failure>` (its last attempt)
and one `<rerunFailure>` per earlier attempt; an optional step that failed (it does
not fail the run): `<skipped message="optional: …">`, its failure in `<system-out>`.
A skipped or blocked step: `<skipped message>`. A run that ended `error`: one more
testcase `run` with `<error>`. Characters XML 1.0 cannot carry (control characters, lone surrogates)
are written as `\\xNN` / `\\uNNNN`.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any
from xml.etree import ElementTree as ET

from playback import actions
from playback.insights.models import Quarantine
from playback.reports.links import run_url
from playback.words import RunStatus, StepStatus

VERSION = "3.0"
FAILED_STEP = "playback.StepFailed"
FAILED_ATTEMPT = "playback.AttemptFailed"
RUN_ERROR = "playback.RunError"
# What XML 1.0 cannot hold: C0 controls but tab, newline and return; surrogates; U+FFFE/F.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def clean(text: Any) -> str:
    """Text an XML 1.0 document can carry: each character it cannot, spelled out."""
    return _NOT_XML.sub(
        lambda m: (
            f"\\x{ord(m.group()):02x}" if ord(m.group()) < 0x100 else f"\\u{ord(m.group()):04x}"
        ),
        str(text or ""),
    )


def seconds(ms: int | None) -> str:
    return f"{(ms or 0) / 1000:.3f}"


def step_name(result: Any) -> str:
    """`step NN: <action> <target>` (SPEC), e.g. "step 02: type id='user'"."""
    target = actions.target(result.definition or {})
    return clean(f"step {result.step_number:02d}: {result.action} {target}".rstrip())


def attempt_element(parent: ET.Element, tag: str, error: str, number: int) -> None:
    """A `flakyFailure`/`rerunFailure`: message, type and its stackTrace (required)."""
    element = ET.SubElement(parent, tag, {"message": clean(error)[:1000], "type": FAILED_ATTEMPT})
    ET.SubElement(element, "stackTrace").text = clean(f"attempt {number}: {error}")


def quarantine_reasons(run: Any) -> dict[str, str]:
    """Why the run's flow had steps quarantined when it played ({step key or "": reason},
    the newest quarantine of each made before the run started)."""
    if not run.failed_steps:
        return {}
    made = Quarantine.objects.filter(flow_id=run.flow_id)
    if run.started_at is not None:
        made = made.filter(created_at__lte=run.started_at)
    return dict(made.order_by("created_at").values_list("step_key", "reason"))


def run_suite(run: Any) -> ET.Element:
    """The `<testsuite>` of one run (its steps read once)."""
    flow = run.flow.name
    # The device names the class: a batch of mode `all` plays a flow on several.
    classname = clean(f"{flow} [{run.device.device_id}]")
    suite = ET.Element("testsuite", {"version": VERSION, "name": clean(flow)})
    properties = ET.SubElement(suite, "properties")
    for name, value in (
        ("run_id", run.pk),
        ("device_id", run.device.device_id),
        ("platform", run.device.platform),
        ("status", run.status),
        ("verdict", run.verdict),
        ("batch_id", run.batch_id or ""),
        ("run_url", run_url(run)),
    ):
        ET.SubElement(properties, "property", {"name": name, "value": clean(value)})
    counts = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    reasons = quarantine_reasons(run)
    for result in run.step_results.order_by("step_number"):
        case = ET.SubElement(
            suite,
            "testcase",
            {
                "name": step_name(result),
                "classname": classname,
                "time": seconds(result.duration_ms),
            },
        )
        counts["tests"] += 1
        errors = list(result.attempt_errors or [])
        if result.status == StepStatus.FAIL and result.quarantined:
            # Quarantined while it is fixed: it does not fail the suite (the verdict).
            why = reasons.get(result.step_key) or reasons.get("") or "quarantined"
            message = f"quarantined: {clean(why)}"
            ET.SubElement(case, "skipped", {"message": message[:1000]})
            ET.SubElement(case, "system-out").text = clean(result.error)
            counts["skipped"] += 1
        elif result.status == StepStatus.FAIL and (result.definition or {}).get("optional"):
            # Its failure does not fail the run: not a failure of the suite either.
            message = f"optional: {clean(result.error)}"
            ET.SubElement(case, "skipped", {"message": message[:1000]})
            ET.SubElement(case, "system-out").text = clean(result.error)
            counts["skipped"] += 1
        elif result.status == StepStatus.FAIL:
            last = errors[-1] if errors else result.error
            failure = ET.SubElement(
                case, "failure", {"message": clean(last)[:1000], "type": FAILED_STEP}
            )
            failure.text = clean(result.error or last)
            for number, error in enumerate(errors[:-1], 1):
                attempt_element(case, "rerunFailure", error, number)
            counts["failures"] += 1
        elif result.status == StepStatus.FLAKY:
            for number, error in enumerate(errors, 1):
                attempt_element(case, "flakyFailure", error, number)
        elif result.status in (StepStatus.SKIPPED, StepStatus.BLOCKED):
            ET.SubElement(case, "skipped", {"message": clean(result.error or result.status)})
            counts["skipped"] += 1
    if run.status == RunStatus.ERROR:
        case = ET.SubElement(
            suite,
            "testcase",
            {"name": "run", "classname": classname, "time": seconds(run.duration_ms)},
        )
        error = ET.SubElement(
            case, "error", {"message": clean(run.error)[:1000], "type": RUN_ERROR}
        )
        error.text = clean(run.error)
        counts["tests"] += 1
        counts["errors"] += 1
    suite.set("time", seconds(run.duration_ms))
    for name, value in counts.items():
        suite.set(name, str(value))
    return suite


def run_xml(run: Any) -> bytes:
    """One run's report file."""
    return ET.tostring(run_suite(run), encoding="UTF-8", xml_declaration=True)


def file_name(run: Any) -> str:
    """`TEST-<flow>-<run>.xml`, the flow's name made safe for a file name."""
    flow = re.sub(r"[^A-Za-z0-9._-]+", "_", run.flow.name).strip("._") or "flow"
    return f"TEST-{flow[:100]}-{run.pk}.xml"


def runs_of(batch: Any) -> Iterable[Any]:
    return batch.runs.select_related("flow", "device").order_by("pk")


def batch_zip(batch: Any) -> bytes:
    """Every run of the batch as its own report file, zipped."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for run in runs_of(batch):
            archive.writestr(file_name(run), run_xml(run))
    return buffer.getvalue()


def write_reports(runs: Iterable[Any], directory: Path) -> list[Path]:
    """Each run's report file in `directory` (made if missing); the paths written."""
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for run in runs:
        path = directory / file_name(run)
        path.write_bytes(run_xml(run))
        written.append(path)
    return written
