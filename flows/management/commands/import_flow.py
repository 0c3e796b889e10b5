from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from flows.definitions import DefinitionError, parse_flow
from flows.models import Flow
from playback.management.one_line_errors import OneLineErrorsCommand


class Command(OneLineErrorsCommand):
    help = (
        "Create or update a flow (matched by name) from a JSON file in the flows API's shape: "
        "name, platform, app_id, steps. Use - to read standard input."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="Path to the flow's JSON file, or - for stdin.")

    def handle(self, *args: Any, file: str, **options: Any) -> None:
        try:
            text = sys.stdin.read() if file == "-" else Path(file).read_text(encoding="utf-8")
        except OSError as exc:
            self.fail(f"{file}: cannot read it: {exc.strerror or exc}")
        except UnicodeDecodeError:
            self.fail(f"{file}: not UTF-8 text.")
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            self.fail(f"{file}: not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}.")
        try:
            definition = parse_flow(data)
        except DefinitionError as exc:
            self.fail(f"{file}: {exc}")
        existed = Flow.objects.filter(name=definition.name).exists()
        flow = Flow.save_definition(definition)
        verb = "Updated" if existed else "Created"
        self.stdout.write(
            f"{verb} flow {flow.pk} {flow.name!r} ({len(definition.steps)} steps, {flow.platform})."
        )
