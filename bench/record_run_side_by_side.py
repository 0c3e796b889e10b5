"""`windows.record_run` side by side: the rollups' code at another commit against the
tree's, on one database filled by `insights.py` (reuse it), alternating; on
PostgreSQL also the windows' documents compressed with pglz against lz4.

    cd bench && ../.venv/bin/python insights.py --runs 1000000      # fill once
    ../.venv/bin/python record_run_side_by_side.py --before 8c25a87 [--rounds 4]

Each call on the latest 100 runs, each rolled back; medians.
"""

from __future__ import annotations

import argparse
import importlib.util
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _setup import ROOT, django_on_bench_db

WINDOWS = "playback/insights/windows.py"


def module_at(rev: str):
    """playback/insights/windows.py as it was at `rev`, loaded beside the tree's."""
    source = subprocess.run(
        ["git", "show", f"{rev}:{WINDOWS}"], cwd=ROOT, check=True, capture_output=True, text=True
    ).stdout
    path = Path(tempfile.mkdtemp()) / "windows_before.py"
    path.write_text(source)
    spec = importlib.util.spec_from_file_location("windows_before", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def compress_with(method: str) -> None:
    """The windows' columns compressed with `method`, their documents rewritten so."""
    from django.db import connection

    with connection.cursor() as cursor:
        for column in ("runs", "others", "steps"):
            cursor.execute(
                f"ALTER TABLE playback_flowwindow ALTER COLUMN {column} SET COMPRESSION {method}"
            )
        cursor.execute(
            "UPDATE playback_flowwindow SET runs = runs || '[]'::jsonb, "
            "others = others || '[]'::jsonb, steps = steps || '{}'::jsonb"
        )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--before", required=True, help="the commit to compare with")
    parser.add_argument("--rounds", type=int, default=4)
    args = parser.parse_args()
    django_on_bench_db("insights", reuse=True)

    from django.db import connection, transaction

    from playback.insights import windows
    from playback.models import Run

    before = module_at(args.before)
    methods = ["pglz", "lz4"] if connection.vendor == "postgresql" else [None]
    sides = [("before", before, methods[0])] + [(f"after {m or ''}", windows, m) for m in methods]
    runs = list(Run.objects.select_related("device").order_by("-pk")[:100])
    costs: dict[str, list[float]] = {name: [] for name, _, _ in sides}
    for _ in range(args.rounds):
        for name, module, method in sides:
            if method:
                compress_with(method)
            for run in runs:
                with transaction.atomic():
                    started = time.perf_counter()
                    module.record_run(run)
                    costs[name].append((time.perf_counter() - started) * 1000)
                    transaction.set_rollback(True)
    if connection.vendor == "postgresql":
        compress_with("lz4")  # as migration 0035 leaves it
    first = statistics.median(costs["before"])
    for name, values in costs.items():
        median = statistics.median(values)
        print(f"{name:12} median {median:.2f} ms of {len(values)}  ({median / first:.2f})")


if __name__ == "__main__":
    sys.exit(main())
