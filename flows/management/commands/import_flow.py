from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from flows import maestro
from flows.definitions import DefinitionError, FlowDefinition, parse_flow
from flows.models import Flow
from playback.management.one_line_errors import OneLineErrorsCommand
from playback.words import Platform

MAESTRO_EXTENSIONS = (".yaml", ".yml")


class Command(OneLineErrorsCommand):
    help = (
        "Create or update a flow (matched by name) from a JSON file in the flows API's shape "
        "(name, platform, app_id, steps; - reads standard input), or from a Maestro flow "
        "(a .yaml or .yml file: its runFlow files are read beside it)."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="The flow's JSON file, a Maestro .yaml file, or -.")
        parser.add_argument(
            "--platform",
            choices=list(Platform),
            help="Maestro: the device a flow with appId plays on (a url: flow is web).",
        )
        parser.add_argument(
            "--name", help="Maestro: the flow's name (else the config's, else the file's)."
        )
        parser.add_argument(
            "--drop-unsupported",
            action="store_true",
            help="Maestro: import what maps and list the commands left out.",
        )

    def handle(self, *args: Any, file: str, **options: Any) -> None:
        if file.lower().endswith(MAESTRO_EXTENSIONS):
            definition = self.maestro_definition(Path(file), options)
        else:
            definition = self.json_definition(file)
        existed = Flow.objects.filter(name=definition.name).exists()
        flow = Flow.save_definition(definition)
        verb = "Updated" if existed else "Created"
        self.stdout.write(
            f"{verb} flow {flow.pk} {flow.name!r} ({len(definition.steps)} steps, {flow.platform})."
        )

    def read_text(self, file: str) -> str:
        try:
            return sys.stdin.read() if file == "-" else Path(file).read_text(encoding="utf-8")
        except OSError as exc:
            self.fail(f"{file}: cannot read it: {exc.strerror or exc}")
        except UnicodeDecodeError:
            self.fail(f"{file}: not UTF-8 text.")

    def json_definition(self, file: str) -> FlowDefinition:
        text = self.read_text(file)
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            self.fail(f"{file}: not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}.")
        try:
            return parse_flow(data)
        except DefinitionError as exc:
            self.fail(f"{file}: {exc}")

    def maestro_definition(self, path: Path, options: dict[str, Any]) -> FlowDefinition:
        try:
            raw = path.read_bytes()
        except OSError as exc:
            self.fail(f"{path}: cannot read it: {exc.strerror or exc}")

        def beside(name: str) -> str:
            return (path.parent / name).read_text(encoding="utf-8")

        try:
            definition, dropped = maestro.read_definition(
                raw,
                platform=options.get("platform"),
                name=options.get("name") or None,
                drop_unsupported=options.get("drop_unsupported", False),
                open_file=beside,
            )
        except maestro.Refused as exc:
            lines = "\n".join(f"  {where(entry)}" for entry in exc.unsupported)
            self.fail(
                f"{path}: {len(exc.unsupported)} commands do not map (nothing imported; "
                f"--drop-unsupported imports the rest):\n{lines}"
            )
        except maestro.MaestroError as exc:
            if "name" in exc.errors and not options.get("name"):
                return self.maestro_definition(path, {**options, "name": path.stem})
            self.fail(f"{path}: {exc}")
        except DefinitionError as exc:
            self.fail(f"{path}: {exc}")
        for entry in dropped:
            self.stderr.write(f"Dropped {where(entry)}")
        return definition


def where(entry: dict[str, Any]) -> str:
    file = f"{entry['file']} " if entry.get("file") else ""
    return f"{file}line {entry['line']}: {entry['command']}: {entry['reason']}"
