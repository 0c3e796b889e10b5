"""Shared start of the benchmarks: Django on a throwaway database in var/bench/."""

from __future__ import annotations

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def django_on_bench_db(name: str = "bench", *, reuse: bool = False) -> bool:
    """Point Django at var/bench/NAME.sqlite3 (new unless `reuse`); true if it was reused."""
    sys.path.insert(0, str(ROOT))
    bench_dir = ROOT / "var" / "bench"
    bench_dir.mkdir(parents=True, exist_ok=True)
    db = bench_dir / f"{name}.sqlite3"
    reused = reuse and db.exists()
    if not reused:
        db.unlink(missing_ok=True)
    os.environ.setdefault("DATABASE_URL", f"sqlite:///{db}")
    os.environ.setdefault("PLAYBACK_MEDIA_ROOT", str(bench_dir / "media"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("DJANGO_DEBUG", "0")  # measure what production runs
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)
    return reused
