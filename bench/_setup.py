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
    os.environ.setdefault("DATABASE_URL", f"sqlite:///{db}")
    url = os.environ["DATABASE_URL"]
    if url.startswith(("postgres://", "postgresql://")):
        reused = reuse  # a PostgreSQL database named by the URL is kept when reused
        if not reuse:
            fresh_postgres_database(url)
    else:
        reused = reuse and db.exists()
        if not reused:
            db.unlink(missing_ok=True)
    os.environ.setdefault("PLAYBACK_MEDIA_ROOT", str(bench_dir / "media"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("DJANGO_DEBUG", "0")  # measure what production runs
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)
    return reused


def fresh_postgres_database(url: str) -> None:
    """Drop and create the database DATABASE_URL names (a benchmark's own)."""
    from urllib.parse import urlsplit

    import psycopg

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    if not name.replace("_", "").isalnum():
        raise SystemExit(f"not a database name: {name!r}")
    admin = parts._replace(path="/postgres").geturl().replace("postgres://", "postgresql://", 1)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
