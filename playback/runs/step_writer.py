"""Writing a run's steps behind the engine: each step's write (its row, the run's
counters, its evidence, the live event) is committed on a thread of its own while the
device plays the next step, so the commit's wait is not on the run's path.

Writes are committed in the order the steps ended; `flush()` returns once every step
so far is durable (the run does not end before) and raises what a write raised (a run
ended elsewhere: `RunTakenAway`; the database away). A step whose write failed stops
the run at the next step, as a synchronous write would have.

Only where the database takes writers side by side (PostgreSQL) and the run is not
played inside a transaction (another connection could not see it, e.g. a test's): on
SQLite a step's commit is already cheap and one writer at a time is the rule.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable

from django.db import connection

log = logging.getLogger("playback.services")

STOP = None


def wanted() -> bool:
    """Whether this process's runs write their steps behind the engine."""
    return connection.vendor == "postgresql" and not connection.in_atomic_block


class StepWriter:
    """One run's steps, written in order on a thread with its own connection."""

    def __init__(self, name: str):
        self.pending: queue.Queue[Callable[[], None] | None] = queue.Queue()
        self.error: BaseException | None = None  # raised once, by the next submit or flush
        self.failed = False  # a write failed: the run is ending, no later write is made
        self.thread = threading.Thread(target=self._work, name=name, daemon=True)
        self.thread.start()

    def submit(self, write: Callable[[], None]) -> None:
        """Queue a step's write; first raise what an earlier write raised."""
        self.check()
        self.pending.put(write)

    def check(self) -> None:
        if self.error is not None:
            error, self.error = self.error, None
            raise error

    def flush(self) -> None:
        """Wait until every queued write is committed; raise what one raised."""
        self.pending.join()
        self.check()

    def close(self) -> None:
        """Finish the queued writes and stop the thread (what failed was logged)."""
        if self.thread.is_alive():
            self.pending.put(STOP)
            self.thread.join()
        if self.error is not None:
            log.warning("A step's write behind the engine failed: %s", self.error)
            self.error = None

    def _work(self) -> None:
        try:
            while (write := self.pending.get()) is not STOP:
                try:
                    if not self.failed:
                        write()
                except BaseException as exc:
                    self.error, self.failed = exc, True
                finally:
                    self.pending.task_done()
            self.pending.task_done()
        finally:
            connection.close()  # this thread's own connection
