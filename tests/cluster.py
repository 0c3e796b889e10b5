"""A real `manage.py qcluster` process for integration tests, on the test database."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import quote

from django.conf import settings
from django.db import connection


def database_url() -> str:
    """The test database as a DATABASE_URL another process can use."""
    db = connection.settings_dict
    if db["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{db['NAME']}"
    if db["ENGINE"].endswith("postgresql"):
        auth = quote(db["USER"] or "")
        if db["PASSWORD"]:
            auth += ":" + quote(db["PASSWORD"])
        host = db["HOST"] or "127.0.0.1"
        return f"postgres://{auth}@{host}:{db['PORT'] or 5432}/{db['NAME']}"
    raise RuntimeError(f"No DATABASE_URL for {db['ENGINE']}")


def stop_process(process: subprocess.Popen | None, sig: int) -> None:
    """Ask a child started in its own session to stop (`sig`, what it stops cleanly
    on); its whole group is killed if it has not within 20 s."""
    if process is None or process.poll() is not None:
        return
    process.send_signal(sig)
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


class QCluster:
    """`with QCluster(workers=4, media_root=...) as cluster:` — stops it on exit."""

    def __init__(self, *, workers: int, media_root: Path, extra_env: dict[str, str] | None = None):
        self.env = {
            **os.environ,
            "DATABASE_URL": database_url(),
            "PLAYBACK_WORKERS": str(workers),
            "PLAYBACK_MEDIA_ROOT": str(media_root),
            "PLAYBACK_RETRY_PAUSE_S": "0.05",
            "PLAYBACK_ELEMENT_TIMEOUT_MS": "300",
            "PYTHONUNBUFFERED": "1",
            **(extra_env or {}),
        }
        self.lines: list[str] = []
        self.process: subprocess.Popen[str] | None = None

    def start(self, timeout_s: float = 60) -> QCluster:
        self.process = subprocess.Popen(
            [sys.executable, str(settings.BASE_DIR / "manage.py"), "qcluster"],
            cwd=settings.BASE_DIR,
            env=self.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )
        threading.Thread(target=self._read, daemon=True).start()
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if any("running." in line for line in self.lines):
                return self
            if self.process.poll() is not None:
                break
            time.sleep(0.05)
        self.stop()
        raise RuntimeError("qcluster did not start:\n" + "".join(self.lines[-30:]))

    def _read(self) -> None:
        assert self.process is not None and self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.append(line)

    def stop(self) -> None:
        stop_process(self.process, signal.SIGTERM)

    def __enter__(self) -> QCluster:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
