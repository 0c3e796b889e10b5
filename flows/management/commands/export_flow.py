from __future__ import annotations

import json
from typing import Any

from flows import maestro
from flows.models import Flow
from playback.management.one_line_errors import OneLineErrorsCommand


class Command(OneLineErrorsCommand):
    help = (
        "Print a flow as JSON, in the shape import_flow reads (keep flows in git), or as a "
        "Maestro flow (--format maestro: the steps that map; each one left out is a comment)."
    )

    def add_arguments(self, parser):
        parser.add_argument("flow_id", type=int, help="The flow's id.")
        parser.add_argument("--format", choices=["json", "maestro"], default="json")

    def handle(self, *args: Any, flow_id: int, format: str, **options: Any) -> None:
        flow = Flow.objects.filter(pk=flow_id).first()
        if flow is None:
            self.fail(f"No flow with id {flow_id}.")
        if format == "maestro":
            exported = maestro.export(flow)
            self.stdout.write(exported.text, ending="")
            for note in exported.notes:
                self.stderr.write(f"Left out: {note}")
            return
        self.stdout.write(json.dumps(flow.as_json(), indent=2, ensure_ascii=False))
