"""Who a worker process is (`host:pid`), written on what it holds (a run it plays, a
webhook slot it sends from), and whether such a process is gone."""

from __future__ import annotations

import os
import socket
from pathlib import Path


def identity() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def is_gone(worker: str) -> bool:
    """True when `worker` (host:pid) is a process of this host that no longer runs:
    it does not exist, or it is a zombie (killed, and not reaped: a container
    without an init process leaves killed workers so)."""
    host, _, pid = worker.rpartition(":")
    if host != socket.gethostname() or not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False  # no /proc here: it exists, as far as we can tell
    return stat.rpartition(")")[2].split()[:1] == ["Z"]
