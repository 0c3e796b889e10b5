"""The production web command (config/gunicorn.py: gunicorn + uvicorn workers on
config.asgi) as a process for integration tests, and a plain Server-Sent Events
reader over http.client (what any client does)."""

from __future__ import annotations

import http.client
import json
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

from django.conf import settings

from simulator.server import free_port
from tests.cluster import database_url, stop_process


class AsgiServer:
    """`with AsgiServer(media_root=...) as web: web.url` — stopped on exit."""

    def __init__(self, *, media_root: Path, workers: int = 2, extra_env: dict | None = None):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {
            **os.environ,
            "DATABASE_URL": database_url(),
            "PLAYBACK_MEDIA_ROOT": str(media_root),
            "GUNICORN_BIND": f"127.0.0.1:{self.port}",
            "GUNICORN_WORKERS": str(workers),
            "GUNICORN_ACCESSLOG": "",
            "PYTHONUNBUFFERED": "1",
            **(extra_env or {}),
        }
        self.lines: list[str] = []
        self.process: subprocess.Popen[str] | None = None

    def __enter__(self) -> AsgiServer:
        config = str(settings.BASE_DIR / "config" / "gunicorn.py")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", config, "config.asgi:application"],
            cwd=settings.BASE_DIR, env=self.env, stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT, text=True, start_new_session=True,
        )  # fmt: skip
        threading.Thread(target=lambda: self.lines.extend(self.process.stdout), daemon=True).start()
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(self.url + "/api/schema/?format=json", timeout=5)
                return self
            except OSError:
                if self.process.poll() is not None:
                    break
                time.sleep(0.2)
        self.__exit__()
        raise RuntimeError("the web server did not start:\n" + "".join(self.lines[-30:]))

    def __exit__(self, *exc: object) -> None:
        stop_process(self.process, signal.SIGINT)


def sse(url: str, headers: dict[str, str] | None = None, timeout_s: float = 60) -> Iterator[dict]:
    """Each event of a stream as {"id", "event", "data"} (data parsed), until it closes."""
    parts = urllib.request.urlparse(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout_s)
    try:
        conn.request("GET", parts.path + (f"?{parts.query}" if parts.query else ""),
                     headers=headers or {})  # fmt: skip
        response = conn.getresponse()
        if response.status != 200:
            raise AssertionError(f"{response.status}: {response.read()[:500]!r}")
        assert response.getheader("Content-Type", "").startswith("text/event-stream")
        fields: dict[str, str] = {}
        for raw in response:
            line = raw.decode().rstrip("\n")
            if not line:
                if "event" in fields:
                    yield {**fields, "data": json.loads(fields.get("data", "null"))}
                fields = {}
            elif not line.startswith(":"):
                name, _, value = line.partition(": ")
                fields[name] = value
    finally:
        conn.close()
