"""Ids in URLs: what the databases can hold (SQLite and PostgreSQL's bigint)."""

from __future__ import annotations

# The largest id SQLite and PostgreSQL (bigint) can hold; bigger ones are not found.
MAX_ID = 2**63 - 1
ID_PATTERN = r"[0-9]{1,18}"


class IdConverter:
    """A path converter for ids (registered as `id` by config/urls.py)."""

    regex = ID_PATTERN

    def to_python(self, value: str) -> int:
        return int(value)

    def to_url(self, value: int) -> str:
        return str(value)
