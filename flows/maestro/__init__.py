"""Maestro flows in and out (SPEC "Wave 3", README "Coming from Maestro").

reading.py turns a Maestro YAML file (its config document, `---`, its commands)
into the flow JSON shape of flows.definitions, refusing each command that does not
map by its line; writing.py turns a flow back into Maestro YAML for what maps;
selectors.py is the one home of how a Maestro selector is a locator or a point.
"""

from __future__ import annotations

import re
from typing import Any

from flows.definitions import DefinitionError, FlowDefinition, parse_flow
from flows.maestro.reading import FileOpener, MaestroError, Refused, read
from flows.maestro.writing import Exported, write

STEP_PATH = re.compile(r"steps\[(\d+)\]")


def read_definition(
    raw: bytes | str,
    *,
    platform: str | None = None,
    name: str | None = None,
    drop_unsupported: bool = False,
    open_file: FileOpener = None,
) -> tuple[FlowDefinition, list[dict[str, Any]]]:
    """The flow a Maestro file describes, checked as any flow (flows.definitions), and
    the commands dropped; a problem with a step names the line it came from.
    Raises MaestroError, Refused or DefinitionError; nothing is saved here."""
    imported = read(
        raw, platform=platform, name=name, drop_unsupported=drop_unsupported, open_file=open_file
    )
    try:
        definition = parse_flow(imported.flow)
    except DefinitionError as exc:
        errors = {}
        for path, message in exc.errors.items():
            found = STEP_PATH.match(path)
            if found and int(found.group(1)) < len(imported.lines):
                message = f"line {imported.lines[int(found.group(1))]}: {message}"
            errors[path] = message
        raise DefinitionError(errors) from None
    return definition, imported.dropped


def export(flow: Any) -> Exported:
    """A stored flow (flows.models.Flow) as Maestro YAML."""
    return write(flow.as_json())


__all__ = ["DefinitionError", "Exported", "MaestroError", "Refused", "export", "read_definition"]
