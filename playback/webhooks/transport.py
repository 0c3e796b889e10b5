"""One POST to a webhook receiver, bounded in time and in what is read back.

A receiver is anyone's server. A timeout on each read does not bound a try: one
that sends a byte every 2 s held a worker 123 s; one that answered 400 MB took the
worker to 900 MB. Here the whole exchange (connecting, sending, the answer's
headers and body) has one deadline, enforced by a watchdog that shuts the socket
when it passes, and at most READ_AT_MOST bytes of the answer are read.
"""

from __future__ import annotations

import contextlib
import http.client
import socket
import threading
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

import urllib3
from urllib3.connection import HTTPConnection, HTTPSConnection

READ_AT_MOST = 8 * 1024  # bytes of the receiver's answer read (its start is kept)


@dataclass(frozen=True)
class Answer:
    status: int | None  # None: no answer (refused, cut at the deadline, dropped)
    body: str
    error: str  # "" for a 2xx
    duration_ms: int


def post(url: str, body: bytes, headers: dict[str, str], *, deadline_s: float) -> Answer:
    """POST `body` to `url` and read the start of the answer, all within `deadline_s`."""
    parts = urlsplit(url)
    connection_class = HTTPSConnection if parts.scheme == "https" else HTTPConnection
    conn = connection_class(parts.hostname, parts.port, timeout=deadline_s)
    cut = threading.Event()

    def watchdog() -> None:
        cut.set()
        sock = conn.sock
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)  # a blocked read returns at once

    timer = threading.Timer(deadline_s, watchdog)
    started = time.monotonic()
    timer.start()
    try:
        target = parts.path or "/"
        if parts.query:
            target += "?" + parts.query
        conn.request(
            "POST",
            target,
            body=body,
            headers=headers,
            preload_content=False,
            decode_content=False,  # no decompression of what anyone sends back
        )
        response = conn.getresponse()
        if cut.is_set():  # its headers ended only because the deadline cut them
            raise TimeoutError
        status = response.status
        data = _start_of(response)
    except (OSError, http.client.HTTPException, urllib3.exceptions.HTTPError) as exc:
        elapsed = round((time.monotonic() - started) * 1000)
        if cut.is_set() or isinstance(exc, TimeoutError | socket.timeout):
            return Answer(None, "", f"No answer within {deadline_s:g} s.", elapsed)
        return Answer(None, "", f"No answer: {type(exc).__name__}: {exc}", elapsed)
    finally:
        timer.cancel()
        conn.close()
    elapsed = round((time.monotonic() - started) * 1000)
    text = data.decode("utf-8", "replace")
    if 200 <= status < 300:
        return Answer(status, text, "", elapsed)
    return Answer(status, text, f"The receiver answered {status}.", elapsed)


def _start_of(response: urllib3.BaseHTTPResponse) -> bytes:
    """Up to READ_AT_MOST bytes of the answer's body: its status already said how the
    try went; a body cut at the deadline or dropped keeps what came."""
    chunks, left = [], READ_AT_MOST
    try:
        while left > 0:
            chunk = response.read(min(left, 1024))
            if not chunk:
                break
            chunks.append(chunk)
            left -= len(chunk)
    except (OSError, http.client.HTTPException, urllib3.exceptions.HTTPError):
        pass
    return b"".join(chunks)
