"""The scale-out services on this machine: is PostgreSQL + Redis there; drop a test DB.

python scripts/scaleout_services.py check        # exit 0 when both answer
python scripts/scaleout_services.py drop NAME    # drop a database, even if in use
"""

from __future__ import annotations

import sys

PG = "postgresql://postgres@127.0.0.1:5432/postgres"
REDIS = "redis://127.0.0.1:6379/0"


def check() -> bool:
    import psycopg
    import redis

    try:
        with psycopg.connect(PG, connect_timeout=3) as conn:
            conn.execute("SELECT 1")
        return bool(redis.from_url(REDIS, socket_connect_timeout=3).ping())
    except Exception as exc:
        print(f"scale-out services not reachable: {exc}", file=sys.stderr)
        return False


def drop(name: str) -> None:
    import psycopg

    if not name.replace("_", "").isalnum():
        raise SystemExit(f"not a database name: {name!r}")
    with psycopg.connect(PG, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


if __name__ == "__main__":
    if sys.argv[1:2] == ["check"]:
        sys.exit(0 if check() else 1)
    if sys.argv[1:2] == ["drop"] and len(sys.argv) == 3:
        drop(sys.argv[2])
        sys.exit(0)
    raise SystemExit(__doc__)
