"""Finding runs by any error they hold: their own, or any step's or attempt's.

Each run keeps `search_text` (its error and its steps' errors, each once), written
when it ends: a search reads one compact column of the runs table, not the 20 times
larger step results. PostgreSQL answers `ILIKE '%words%'` from a pg_trgm GIN index
(migration 0014). On SQLite a scan of that column costs 35-55 ms at 100,000 runs;
an FTS5 trigram table was measured slower for words many runs hold (186 ms) and
faster only for rare ones (docs/benchmarks.md), so SQLite scans.
"""

from __future__ import annotations

from django.db import connection
from django.db.models import BooleanField, Q, QuerySet
from django.db.models.expressions import RawSQL

from playback.models import Run, StepResult

MAX_SEARCH_TEXT = 20_000  # characters kept per run


def search_text(run_error: str, step_errors: list[tuple[str, list[str]]]) -> str:
    """The run's error and each distinct error of its steps and attempts, one a line."""
    seen: dict[str, None] = {}
    for text in [run_error, *(e for error, attempts in step_errors for e in (error, *attempts))]:
        text = (text or "").strip()
        if text and text not in seen:
            seen[text] = None
    return "\n".join(seen)[:MAX_SEARCH_TEXT]


def index_run(run: Run) -> None:
    """Write the run's search text (called as the run ends)."""
    errors = list(StepResult.objects.filter(run_id=run.pk).values_list("error", "attempt_errors"))
    text = search_text(run.error, errors)
    Run.objects.filter(pk=run.pk).update(search_text=text)
    run.search_text = text


def matching(queryset: QuerySet[Run], words: str) -> QuerySet[Run]:
    """The runs whose search text holds `words` (any case)."""
    return queryset.filter(holding(words))


def holding(words: str) -> Q:
    """The condition "its search text holds `words`" (on PostgreSQL from its index)."""
    if connection.vendor == "postgresql":
        # ILIKE (not Django's UPPER() LIKE UPPER()) is what the trigram index answers;
        # the planner scans instead when many runs hold the words.
        pattern = "%" + words.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        column = f"{Run._meta.db_table}.search_text"
        return Q(RawSQL(f"{column} ILIKE %s", [pattern], output_field=BooleanField()))
    return Q(search_text__icontains=words)
