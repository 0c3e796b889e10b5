"""Telling the web processes that a run (and its batch) changed.

On the scale-out stack the message goes through Redis pub/sub (already there as the
broker, and a PUBLISH reaches every subscribed web host at once; PostgreSQL's
LISTEN would hold one more connection per web process and ties events to the
database's hosts). On the embedded default nothing is sent: each web process's
watcher reads the runs it follows (playback/live/hub.py). A failed publish never
fails a run: subscribers re-read their runs every PLAYBACK_EVENTS_KEEPALIVE_S.
"""

from __future__ import annotations

import json
import logging
from functools import cache

from django.conf import settings
from django.db import transaction

log = logging.getLogger("playback.live")


def channel() -> str:
    return f"{settings.Q_CLUSTER['name']}:live"


@cache
def _redis(url: str):
    import redis

    return redis.Redis.from_url(url, socket_timeout=1.0, socket_connect_timeout=1.0)


def changed(*, run_id: int | None = None, batch_id: int | None = None) -> None:
    """Say a run and/or batch changed, once the current transaction commits (at once
    outside one)."""
    url = settings.PLAYBACK_LIVE_REDIS_URL
    if not url:
        return  # the embedded default: the web processes' watchers see it
    message = json.dumps({"run": run_id, "batch": batch_id})
    transaction.on_commit(lambda: _send(url, message))


def _send(url: str, message: str) -> None:
    try:
        _redis(url).publish(channel(), message)
    except Exception as exc:  # never a run's failure: subscribers re-read in time
        log.warning("live event not published (%s): %s", message, exc)
