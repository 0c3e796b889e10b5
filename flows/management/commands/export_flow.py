from __future__ import annotations

import json
from typing import Any

from flows.models import Flow
from playback.management.one_line_errors import OneLineErrorsCommand


class Command(OneLineErrorsCommand):
    help = "Print a flow as JSON, in the shape import_flow reads (keep flows in git)."

    def add_arguments(self, parser):
        parser.add_argument("flow_id", type=int, help="The flow's id.")

    def handle(self, *args: Any, flow_id: int, **options: Any) -> None:
        flow = Flow.objects.filter(pk=flow_id).first()
        if flow is None:
            self.fail(f"No flow with id {flow_id}.")
        self.stdout.write(json.dumps(flow.as_json(), indent=2, ensure_ascii=False))
