from __future__ import annotations

import json
import time
from typing import Any

from django.core.management.base import BaseCommand

from playback.insights import rebuild


class Command(BaseCommand):
    help = (
        "Recompute the insights' rollups (each flow's windows of recent runs, the failure "
        "groups, the runs' new-failure/fixed markers) from the run history, and give old "
        "step results their step key. Idempotent. Run it while no run ends (workers "
        "stopped): a run ending meanwhile may be counted twice. Prints what it did as JSON."
    )

    def add_arguments(self, parser):
        parser.add_argument("--batch", type=int, default=2000, help="Runs per transaction.")

    def handle(self, *args: Any, batch: int, **options: Any) -> None:
        started = time.perf_counter()
        runs = rebuild.rebuild(batch=max(1, batch))
        took = time.perf_counter() - started
        self.stdout.write(
            json.dumps(
                {
                    "runs": runs,
                    "seconds": round(took, 2),
                    "runs_per_second": round(runs / took) if took else None,
                }
            )
        )
