"""Our own check of the Surefire 3.0 report schema (maven-surefire's
surefire-test-report-3.0.xsd): the elements, their order, the required attributes and
the time pattern. Returns what is wrong, [] when the report is valid."""

from __future__ import annotations

import re
from xml.etree import ElementTree as ET

TIME = re.compile(r"(([0-9]{0,3},)*[0-9]{3}|[0-9]{0,3})*(\.[0-9]{0,3})?")
SUITE_REQUIRED = ("name", "tests", "errors", "skipped", "failures")
SUITE_ALLOWED = {*SUITE_REQUIRED, "version", "time", "group"}
CASE_ALLOWED = {"name", "classname", "group", "time"}
# The testcase's children, in the order the schema's sequence allows, and how many.
CASE_CHILDREN = [
    ("failure", None), ("rerunFailure", None), ("flakyFailure", None), ("skipped", 1),
    ("error", 1), ("rerunError", None), ("flakyError", None), ("system-out", 1),
    ("system-err", 1),
]  # fmt: skip
WITH_TYPE = {"failure", "rerunFailure", "flakyFailure", "error", "rerunError", "flakyError"}
WITH_STACK = {"rerunFailure", "flakyFailure", "rerunError", "flakyError"}


def problems(xml: bytes) -> list[str]:
    found: list[str] = []
    suite = ET.fromstring(xml)  # raises on XML that does not parse
    if suite.tag != "testsuite":
        return [f"root is <{suite.tag}>, not <testsuite>"]
    found += [f"testsuite lacks {a}" for a in SUITE_REQUIRED if a not in suite.attrib]
    found += [f"testsuite has unknown {a}" for a in set(suite.attrib) - SUITE_ALLOWED]
    if "time" in suite.attrib and not TIME.fullmatch(suite.get("time")):
        found.append(f"testsuite time {suite.get('time')!r}")
    seen_case = False
    for child in suite:
        if child.tag == "properties":
            if seen_case:
                found.append("properties after a testcase")
            for prop in child:
                if prop.tag != "property" or {"name", "value"} - set(prop.attrib):
                    found.append(f"bad property {prop.tag} {prop.attrib}")
        elif child.tag == "testcase":
            seen_case = True
            found += case_problems(child)
        else:
            found.append(f"unknown <{child.tag}> in testsuite")
    return found


def case_problems(case: ET.Element) -> list[str]:
    found = []
    name = case.get("name")
    if name is None or "time" not in case.attrib:
        found.append(f"testcase {name!r} lacks name or time")
    elif not TIME.fullmatch(case.get("time")):
        found.append(f"testcase {name!r} time {case.get('time')!r}")
    found += [f"testcase has unknown {a}" for a in set(case.attrib) - CASE_ALLOWED]
    order = [tag for tag, _ in CASE_CHILDREN]
    position, counts = 0, {}
    for child in case:
        if child.tag not in order:
            found.append(f"unknown <{child.tag}> in testcase {name!r}")
            continue
        index = order.index(child.tag)
        if index < position:
            found.append(f"<{child.tag}> out of order in testcase {name!r}")
        position = index
        counts[child.tag] = counts.get(child.tag, 0) + 1
        if child.tag in WITH_TYPE and "type" not in child.attrib:
            found.append(f"<{child.tag}> lacks type in testcase {name!r}")
        if child.tag in WITH_STACK and [c.tag for c in child][:1] != ["stackTrace"]:
            found.append(f"<{child.tag}> lacks its stackTrace in testcase {name!r}")
    for tag, most in CASE_CHILDREN:
        if most is not None and counts.get(tag, 0) > most:
            found.append(f"more than {most} <{tag}> in testcase {name!r}")
    return found
