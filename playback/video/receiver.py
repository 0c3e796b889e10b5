"""Where the Appium host uploads a run's video: a one-time HTTP endpoint on the worker
that plays the run (`stop_recording_screen(remotePath=…)`, a raw PUT as Appium's
drivers send it), written to a temporary file as it arrives, so the worker never
holds a video in memory. A request for any other path, or without a length, is
refused; an upload that breaks off leaves no file behind.
"""

from __future__ import annotations

import contextlib
import logging
import os
import secrets
import tempfile
import threading
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

log = logging.getLogger("playback.video")

CHUNK_BYTES = 1024 * 1024
MAX_VIDEO_BYTES = 4 * 1024**3  # 4 GiB: far beyond 1 Mbit/s for the longest run
# How often the endpoint's loop looks whether it should end: a run's end waits this
# long at most (the default, 0.5 s, was most of what a video added to a short run).
POLL_S = 0.02


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("video upload: " + format, *args)

    def do_PUT(self) -> None:
        self.receive()

    def do_POST(self) -> None:
        self.receive()

    def receive(self) -> None:
        receiver = self.server.receiver
        if not secrets.compare_digest(self.path, f"/{receiver.token}"):
            self.send_error(HTTPStatus.NOT_FOUND)
            return
        length = self.headers.get("Content-Length", "")
        if not length.isdigit() or int(length) > MAX_VIDEO_BYTES:
            self.send_error(HTTPStatus.LENGTH_REQUIRED, "A raw body with its Content-Length")
            return
        try:
            receiver.write(self.rfile, int(length))
        except OSError as exc:
            receiver.problem = f"the upload failed: {exc}"
            self.send_error(HTTPStatus.INSUFFICIENT_STORAGE, str(exc))
            return
        self.send_response(HTTPStatus.CREATED)
        self.send_header("Content-Length", "0")
        self.end_headers()


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    receiver: UploadReceiver


class UploadReceiver:
    """`with UploadReceiver(host) as receiver:` its `url` takes one video; `path` is the
    file once one arrived (removed when the block ends unless `keep()` was called).
    With `discard`, what arrives is read and dropped (a video the run does not keep)."""

    def __init__(self, host: str, *, discard: bool = False):
        self.host = host
        self.discard = discard
        self.token = secrets.token_urlsafe(24)
        self.path: Path | None = None
        self.bytes = 0
        self.problem = ""
        self._kept = False
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        assert self._server is not None
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self._server.server_address[1]}/{self.token}"

    def __enter__(self) -> UploadReceiver:
        self._server = _Server((self.host, 0), _Handler)
        self._server.receiver = self
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            args=(POLL_S,),
            name="video-upload",
            daemon=True,
        )
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if not self._kept:
            self.remove()

    def write(self, stream: Any, length: int) -> None:
        """The body, `length` bytes, to a new temporary file (or nowhere)."""
        out = (
            None
            if self.discard
            else tempfile.NamedTemporaryFile(  # noqa: SIM115
                prefix="playback-video-", suffix=".part", delete=False
            )
        )
        left, size = length, 0
        try:
            while left:
                chunk = stream.read(min(CHUNK_BYTES, left))
                if not chunk:
                    raise OSError(f"the upload ended after {size:,} of {length:,} bytes")
                if out is not None:
                    out.write(chunk)
                left -= len(chunk)
                size += len(chunk)
            if out is not None:
                out.close()
        except BaseException:
            if out is not None:
                out.close()
                os.unlink(out.name)
            raise
        if out is not None:
            self.remove()  # a second upload replaces the first
            self.path = Path(out.name)
        self.bytes = size

    def keep(self) -> Path | None:
        """The file is the caller's to remove from now on."""
        self._kept = True
        return self.path

    def remove(self) -> None:
        if self.path is not None:
            with contextlib.suppress(FileNotFoundError):
                self.path.unlink()
            self.path = None
