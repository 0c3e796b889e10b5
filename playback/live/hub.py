"""One hub per web process: the topics its subscribers follow, and the one feed that
tells a topic it changed.

A topic is ("run", id) or ("batch", id). Its `version` moves on every change; a
subscriber waits for the version to move, then reads what changed through the
topic's shared state (playback/live/streams.py), so a change costs one read per
topic, whatever the number of subscribers.

The feed runs while any topic is followed:
- with PLAYBACK_LIVE_REDIS_URL (the scale-out stack): one Redis subscription per
  process to what `publish.changed` sends; after a reconnect every topic is told to
  read again, so a message lost while Redis was away costs nothing;
- without it (the embedded default): one watcher per process reads, every
  PLAYBACK_LIVE_POLL_S, the status and counters of the runs and batches followed,
  in one query each, and bumps those that moved.
"""

from __future__ import annotations

import asyncio
import json
import logging
import weakref
from collections.abc import AsyncIterator, Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from contextvars import ContextVar
from typing import Any, TypeVar

from asgiref.sync import SyncToAsync, sync_to_async
from django.conf import settings
from django.db import close_old_connections, connection
from django.db.models import Count, Q

from playback.live import publish

log = logging.getLogger("playback.live")
T = TypeVar("T")
Key = tuple[str, int]

# The hub's reads run on threads of their own, not on the threads Django gives sync
# views under ASGI: events do not queue behind requests, nor requests behind them.
_EXECUTOR = ThreadPoolExecutor(max_workers=2, thread_name_prefix="live")
# The sync part of a request that then waits (its authentication, the DRF view of
# ?wait) runs here, not through sync_to_async: Django's ASGI handler gives each
# request that calls sync_to_async a thread of its own, kept until the request ends,
# so every open stream or wait would keep an idle thread (config/asgi.py serves such
# requests without one, and says so in ON_LOOP).
_REQUESTS = ThreadPoolExecutor(max_workers=4, thread_name_prefix="live-request")
ON_LOOP: ContextVar[bool] = ContextVar("served_on_the_loop", default=False)


def _connected(fn: Callable[..., T], *args: Any) -> T:
    # As a request does, DATABASE_CONN_MAX_AGE decides when a connection is closed;
    # SQLite's (a file opened, no server) stays open: the watcher reads every tick.
    if connection.vendor == "sqlite":
        if connection.errors_occurred:
            connection.close_if_unusable_or_obsolete()
        return fn(*args)
    close_old_connections()
    try:
        return fn(*args)
    finally:
        close_old_connections()


async def read(fn: Callable[..., T], *args: Any) -> T:
    """Run a database read off the event loop."""
    return await asyncio.get_running_loop().run_in_executor(_EXECUTOR, _connected, fn, *args)


async def in_pool(fn: Callable[..., T], *args: Any) -> T:
    """Run the sync part of a waiting request off the loop, holding no thread after."""
    if not ON_LOOP.get():
        try:
            SyncToAsync.thread_sensitive_context.get()
        except LookupError:
            # Not under the ASGI handler (WSGI, the test clients): the sync thread that
            # serves the request runs it, as Django runs any sync code there.
            return await sync_to_async(fn)(*args)
    return await asyncio.get_running_loop().run_in_executor(_REQUESTS, _connected, fn, *args)


class Topic:
    def __init__(self, key: Key):
        self.kind, self.id = key
        self.version = 0
        self.subscribers = 0
        self.state: dict[Any, Any] = {}  # what streams share per topic
        self._changed = asyncio.get_running_loop().create_future()

    def bump(self) -> None:
        self.version += 1
        changed, self._changed = self._changed, asyncio.get_running_loop().create_future()
        changed.set_result(None)  # every waiter wakes in the same turn of the loop

    async def wait(self, seen: int, timeout_s: float) -> bool:
        """True once the version is past `seen`; False after `timeout_s` without."""
        if self.version != seen:
            return True
        await asyncio.wait([self._changed], timeout=timeout_s)
        return self.version != seen


class Hub:
    def __init__(self) -> None:
        self.topics: dict[Key, Topic] = {}
        self.feed: asyncio.Task | None = None
        self.ready = asyncio.Event()

    @asynccontextmanager
    async def follow(self, kind: str, id: int) -> AsyncIterator[Topic]:
        key = (kind, id)
        topic = self.topics.get(key) or self.topics.setdefault(key, Topic(key))
        topic.subscribers += 1
        try:
            if self.feed is None:
                self.ready = asyncio.Event()
                self.feed = asyncio.create_task(self._run_feed())
            # Subscribed before the first read: no change falls between the two.
            try:
                await asyncio.wait_for(self.ready.wait(), 5)
            except TimeoutError:
                log.warning("live feed not ready: events arrive on the keepalive re-read")
            yield topic
        finally:
            topic.subscribers -= 1
            if not topic.subscribers and self.topics.get(key) is topic:
                del self.topics[key]

    def notify(self, key: Key) -> None:
        if (topic := self.topics.get(key)) is not None:
            topic.bump()

    def _idle(self) -> bool:
        """No topic left: the feed stops (in the same step, so `follow` starts another)."""
        if self.topics:
            return False
        self.feed = None
        return True

    async def _run_feed(self) -> None:
        try:
            if settings.PLAYBACK_LIVE_REDIS_URL:
                await self._listen(settings.PLAYBACK_LIVE_REDIS_URL)
            else:
                await self._watch()
        finally:
            if self.feed is asyncio.current_task():
                self.feed = None

    async def _listen(self, url: str) -> None:
        import redis.asyncio as aioredis

        while not self._idle():
            client = aioredis.Redis.from_url(url, socket_connect_timeout=2)
            pubsub = client.pubsub()
            try:
                await pubsub.subscribe(publish.channel())
                self.ready.set()
                for topic in list(self.topics.values()):
                    topic.bump()  # (again) subscribed: read whatever may have been missed
                while not self._idle():
                    message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=1)
                    if message is not None:
                        self._dispatch(message["data"])
            except (OSError, ConnectionError, aioredis.RedisError) as exc:
                log.warning("live feed: Redis %s; again in 1 s", exc)
                self.ready.set()  # subscribers go on; the keepalive re-read covers the gap
                await asyncio.sleep(1)
            finally:
                await pubsub.aclose()
                await client.aclose()

    def _dispatch(self, data: bytes | str) -> None:
        try:
            message = json.loads(data)
        except ValueError:
            return
        for kind in ("run", "batch"):
            if isinstance(message.get(kind), int):
                self.notify((kind, message[kind]))

    async def _watch(self) -> None:
        self.ready.set()
        seen: dict[Key, Any] = {}
        while not self._idle():
            keys = list(self.topics)
            try:
                marks = await read(fingerprints, keys)
            except Exception as exc:
                log.warning("live watcher: %s; again in 1 s", exc)
                await asyncio.sleep(1)
                continue
            for key in keys:
                if key not in seen or seen[key] != marks.get(key):
                    self.notify(key)  # a topic seen the first time is read once more
            seen = {key: marks.get(key) for key in keys}
            await asyncio.sleep(settings.PLAYBACK_LIVE_POLL_S)


def fingerprints(keys: list[Key]) -> dict[Key, tuple]:
    """What moves when a run records a step or changes status, or a batch's runs end."""
    from playback.batches.models import Batch
    from playback.models import Run
    from playback.step_counters import COUNTER_FIELDS
    from playback.words import ACTIVE_RUN_STATUSES

    runs = [id for kind, id in keys if kind == "run"]
    batches = [id for kind, id in keys if kind == "batch"]
    marks: dict[Key, tuple] = {}
    if runs:
        for pk, *mark in Run.objects.filter(pk__in=runs).values_list(
            "pk", "status", *COUNTER_FIELDS
        ):
            marks[("run", pk)] = tuple(mark)
    if batches:
        statuses = dict(Batch.objects.filter(pk__in=batches).values_list("pk", "status"))
        counts = {
            row["batch_id"]: (row["runs"], row["ended"])
            for row in Run.objects.filter(batch_id__in=batches)
            .values("batch_id")
            .annotate(
                runs=Count("pk"), ended=Count("pk", filter=~Q(status__in=ACTIVE_RUN_STATUSES))
            )
        }
        for pk, status in statuses.items():
            marks[("batch", pk)] = (status, *counts.get(pk, (0, 0)))
    return marks


_hubs: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, Hub] = weakref.WeakKeyDictionary()


def hub() -> Hub:
    """This process's hub (one per event loop: a server has one)."""
    loop = asyncio.get_running_loop()
    if loop not in _hubs:
        _hubs[loop] = Hub()
    return _hubs[loop]
