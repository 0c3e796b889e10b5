"""The Server-Sent Events of a run and of a batch, and waiting for a run's end.

A run's stream: every step already finished (`step`, the step as the run resource
shows it), the run's status (`status`, the run without its steps), then each step
as it is committed and each change of status, and `end` with the final run
resource; then it closes. A batch's stream: each run of it that ended (`run`), the
batch's status (`status`), and `end` with the final batch resource.

Each event's id is the subscriber's position: `<last step>:<status>` for a run,
`<ended run ids>:<status>` for a batch (ids as ranges, `12-15.19`). A reconnect
sends it back as Last-Event-ID and gets what came after, exactly once: steps are
committed in order and a run's final status is committed with its last steps, so
reading the run before its steps never skips one.

Reads are shared per topic and base URL (`View`): on a change, the first subscriber
to look reads what is new (steps after the last one read) and the rest reuse it.
"""

from __future__ import annotations

import asyncio
import bisect
import json
import re
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from rest_framework.utils.encoders import JSONEncoder

from playback.live.hub import Topic, hub, read
from playback.words import ACTIVE_RUN_STATUSES, RunStatus

RETRY_MS = 1000  # how soon a browser's EventSource reconnects after a drop
STATUSES = {status.value for status in RunStatus}


class BadCursor(ValueError):
    """A Last-Event-ID this stream did not write."""


def encoded(data: Any) -> str:
    return json.dumps(data, cls=JSONEncoder, separators=(",", ":"), ensure_ascii=False)


def event(id: str, name: str, data: str) -> str:
    return f"id: {id}\nevent: {name}\ndata: {data}\n\n"


class BaseUrl:
    """What the serializers ask of a request: absolute URLs on the subscriber's host."""

    user = None

    def __init__(self, base: str):
        self.base = base.rstrip("/")

    def build_absolute_uri(self, location: str) -> str:
        return self.base + location


@dataclass
class View:
    """What a topic's subscribers on one base URL share: the last read, kept, and the
    events rendered from it for each place a subscriber may be at (most are at the
    same place: one rendering serves them all)."""

    version: int = -1
    read_at: float = 0.0
    status: str | None = None
    summary: str = ""  # the run (without steps) or the batch, as JSON
    final: str | None = None  # the final resource, once it ended
    items: list[tuple[int, str]] = field(default_factory=list)  # (step or run id, JSON)
    gone: bool = False
    reading: asyncio.Future | None = None
    rendered: dict[Any, Any] = field(default_factory=dict)  # cursor -> (chunk, cursor, ended)

    async def refreshed(self, topic: Topic, load: Callable[..., Any], base: str) -> View:
        """Read what changed, once for all the subscribers who ask at the same time."""
        while self.version != topic.version or self.read_at == 0.0:
            if self.reading is not None:
                await asyncio.shield(self.reading)
                continue
            self.reading = asyncio.get_running_loop().create_future()
            try:
                version = topic.version
                loaded = await read(load, topic.id, [pk for pk, _ in self.items], base)
                if loaded is None:
                    self.gone = True
                else:
                    self.status, self.summary, new, self.final = loaded
                    self.items.extend(new)
                    if topic.kind == "run":
                        self.items.sort()
                self.version, self.read_at = version, time.monotonic()
                self.rendered.clear()
            finally:
                self.reading.set_result(None)
                self.reading = None
            if self.gone:
                break
        return self


# --- a run ---------------------------------------------------------------------------------
def load_run(run_id: int, known: list[int], base: str) -> tuple | None:
    from playback.models import Run, StepResult
    from playback.resources.runs import RunSerializer, RunSummarySerializer, StepResultSerializer

    run = Run.objects.select_related("flow", "device").filter(pk=run_id).first()
    if run is None:
        return None
    # After the run: a final status is committed with the run's last steps.
    steps = StepResult.objects.filter(run_id=run_id, step_number__gt=max(known, default=0))
    context = {"request": BaseUrl(base)}
    new = [
        (step.step_number, encoded(StepResultSerializer(step, context=context).data))
        for step in steps.order_by("step_number")
    ]
    final = None
    if run.status not in ACTIVE_RUN_STATUSES:
        final = encoded(RunSerializer(run, context=context).data)
    return run.status, encoded(RunSummarySerializer(run, context=context).data), new, final


# A step number or a run id: ASCII digits only (str.isdigit() takes "²"), at most as
# many as the database's ids have.
NUMBER = r"[0-9]{1,18}"
RUN_CURSOR = re.compile(rf"({NUMBER}):([a-z_]*)")
SPAN = re.compile(rf"({NUMBER})(?:-({NUMBER}))?")
MAX_CURSOR_IDS = 100_000  # ended runs a batch's cursor may name


def run_cursor(last_event_id: str | None) -> tuple[int, str | None]:
    if not last_event_id:
        return 0, None
    match = RUN_CURSOR.fullmatch(last_event_id)
    if match is None or match[2] not in STATUSES | {""}:
        raise BadCursor("Last-Event-ID must be an id this stream sent (<step>:<status>).")
    return int(match[1]), match[2] or None


def run_chunk(view: View, cursor: tuple[int, str | None]) -> tuple[str, tuple, bool]:
    """The events after a place (step, status): steps, then the status if it changed,
    then `end` once the run ended; with the place they lead to."""
    step, status = cursor
    events = []
    for number, data in view.items[bisect.bisect_right(view.items, (step, "\uffff")) :]:
        step = number
        events.append(event(f"{step}:{status or ''}", "step", data))
    status = _status_and_end(view, str(step), status, events)
    return "".join(events), (step, status), view.final is not None


def _status_and_end(view: View, place: str, status: str | None, events: list[str]) -> str | None:
    """After a stream's items: its status if it changed, then `end` once it ended."""
    if view.status != status:
        status = view.status
        events.append(event(f"{place}:{status}", "status", view.summary))
    if view.final is not None:
        events.append(event(f"{place}:{status}", "end", view.final))
    return status


def run_events(run_id: int, base: str, cursor: tuple[int, str | None]) -> AsyncIterator[str]:
    return _events(("run", run_id), base, cursor, load_run, run_chunk)


async def _events(
    key: tuple[str, int],
    base: str,
    cursor: tuple,
    load: Callable[..., Any],
    chunk_after: Callable[[View, tuple], tuple[str, tuple, bool]],
) -> AsyncIterator[str]:
    """A stream: the events after `cursor`, then after each change, until the end."""
    async with hub().follow(*key) as topic:
        view: View = topic.state.setdefault(base, View())
        yield f"retry: {RETRY_MS}\n\n"
        while True:
            seen = topic.version
            await view.refreshed(topic, load, base)
            if view.gone:
                return
            place = _hashable(cursor)  # subscribers at the same place share one rendering
            if place not in view.rendered:
                view.rendered[place] = chunk_after(view, cursor)
            chunk, cursor, ended = view.rendered[place]
            if chunk:
                yield chunk
            if ended:
                return
            async for ping in _wait(topic, view, seen):
                yield ping


def _hashable(cursor: tuple) -> tuple:
    return tuple(frozenset(part) if isinstance(part, set) else part for part in cursor)


async def _wait(topic: Topic, view: View, seen: int) -> AsyncIterator[str]:
    """Until the topic moves; a comment every keepalive (it also finds a client gone),
    with a fresh read if nothing was read for that long (a lost message)."""
    keepalive = settings.PLAYBACK_EVENTS_KEEPALIVE_S
    while not await topic.wait(seen, keepalive):
        yield ": keepalive\n\n"
        if time.monotonic() - view.read_at >= keepalive:
            view.read_at = 0.0
            return


async def wait_for_end(run_id: int, timeout_s: float) -> None:
    """Return once the run ended, or after `timeout_s` (the `?wait` of the API)."""
    from playback.models import Run

    def status() -> str | None:
        return Run.objects.filter(pk=run_id).values_list("status", flat=True).first()

    deadline = time.monotonic() + timeout_s
    async with hub().follow("run", run_id) as topic:
        while (left := deadline - time.monotonic()) > 0:
            seen = topic.version
            if (await read(status)) not in (*ACTIVE_RUN_STATUSES, None):
                return
            await topic.wait(seen, min(left, settings.PLAYBACK_EVENTS_KEEPALIVE_S))


# --- a batch -------------------------------------------------------------------------------
def load_batch(batch_id: int, known: list[int], base: str) -> tuple | None:
    from playback.batches.models import Batch
    from playback.models import Run
    from playback.resources.batches import BatchSerializer
    from playback.resources.runs import RunSummarySerializer

    batch = Batch.objects.filter(pk=batch_id).first()
    if batch is None:
        return None
    ended = (
        Run.objects.filter(batch_id=batch_id)
        .exclude(status__in=ACTIVE_RUN_STATUSES)
        .exclude(pk__in=known)
        .select_related("flow", "device")
        .order_by("finished_at", "pk")
    )
    context = {"request": BaseUrl(base)}
    new = [(run.pk, encoded(RunSummarySerializer(run, context=context).data)) for run in ended]
    summary = encoded(BatchSerializer(batch, context=context).data)
    final = summary if batch.status not in ACTIVE_RUN_STATUSES else None
    return batch.status, summary, new, final


def ranges(ids: set[int]) -> str:
    out, ordered = [], sorted(ids)
    start = prev = None
    for pk in [*ordered, None]:
        if prev is not None and pk == prev + 1:
            prev = pk
            continue
        if start is not None:
            out.append(str(start) if start == prev else f"{start}-{prev}")
        start = prev = pk
    return ".".join(out)


def batch_cursor(last_event_id: str | None) -> tuple[set[int], str | None]:
    """The ended runs and the status a batch's cursor names. Its ranges are counted
    before any is expanded: "1-30000000" is refused, not built (it held the event
    loop for seconds and gigabytes)."""
    if not last_event_id:
        return set(), None
    refused = BadCursor(
        "Last-Event-ID must be an id this stream sent (<run ids>:<status>, "
        f"at most {MAX_CURSOR_IDS:,} runs)."
    )
    spans, _, status = last_event_id.partition(":")
    if status not in STATUSES | {""}:
        raise refused
    bounds, count = [], 0
    for span in filter(None, spans.split(".")):
        match = SPAN.fullmatch(span)
        if match is None:
            raise refused
        low, high = int(match[1]), int(match[2] or match[1])
        count += high - low + 1
        if high < low or count > MAX_CURSOR_IDS:
            raise refused
        bounds.append((low, high))
    ids: set[int] = set()
    for low, high in bounds:
        ids.update(range(low, high + 1))
    return ids, status or None


def batch_chunk(view: View, cursor: tuple[set[int], str | None]) -> tuple[str, tuple, bool]:
    """The events after a place (ended runs sent, status): each run that ended since,
    then the status if it changed, then `end` once the batch ended."""
    sent, status = set(cursor[0]), cursor[1]
    events = []
    for run_id, data in view.items:
        if run_id not in sent:
            sent.add(run_id)
            events.append(event(f"{ranges(sent)}:{status or ''}", "run", data))
    status = _status_and_end(view, ranges(sent), status, events)
    return "".join(events), (sent, status), view.final is not None


def batch_events(
    batch_id: int, base: str, cursor: tuple[set[int], str | None]
) -> AsyncIterator[str]:
    return _events(("batch", batch_id), base, cursor, load_batch, batch_chunk)
