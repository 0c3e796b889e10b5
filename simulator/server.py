"""Start and stop a local Appium server with the fake driver and the playback-sim plugin.

Used by `make run`, the test suite and the benchmarks, so all three run the
simulated device the same way.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

from playback.network import free_local_port as free_port  # its users import it from here

ROOT = Path(__file__).resolve().parent.parent
APPIUM_BIN = ROOT / "node_modules" / ".bin" / "appium"
APPS_DIR = Path(__file__).resolve().parent / "apps"


def appium_command(port: int, log_level: str = "warn") -> list[str]:
    return [
        str(APPIUM_BIN),
        "--address",
        "127.0.0.1",
        "--port",
        str(port),
        "--use-drivers",
        "fake,chromium",
        "--use-plugins",
        "playback-sim",
        "--log-level",
        log_level,
        "--log-no-colors",
    ]


def is_ready(url: str, timeout_s: float = 1.0) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/status", timeout=timeout_s) as response:
            return bool(json.load(response)["value"].get("ready"))
    except (OSError, ValueError, KeyError, urllib.error.URLError):
        return False


class AppiumServer:
    """A child Appium process on 127.0.0.1; `with AppiumServer() as server: server.url`."""

    def __init__(
        self,
        port: int | None = None,
        log_path: Path | None = None,
        env: dict[str, str] | None = None,
        log_level: str = "warn",
    ):
        self.port = port or free_port()
        self.log_level = log_level  # "info" logs each session it opens and closes
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = log_path
        self.env = env or {}  # more environment (PLAYBACK_FFMPEG: the plugin's ffmpeg)
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, timeout_s: float = 60.0) -> AppiumServer:
        if not APPIUM_BIN.exists():
            raise RuntimeError(f"{APPIUM_BIN} is missing: run `make install` (npm ci) first.")
        if shutil.which("node") is None:
            raise RuntimeError("Node.js is not installed: run `make install`.")
        log = open(self.log_path, "ab") if self.log_path else subprocess.DEVNULL  # noqa: SIM115
        self.process = subprocess.Popen(
            appium_command(self.port, self.log_level),
            cwd=ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
            env={**os.environ, "APPIUM_HOME": str(ROOT), **self.env},
            start_new_session=True,  # stopped by its owner, not by a terminal's Ctrl-C
        )
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"Appium exited with code {self.process.returncode} at start")
            if is_ready(self.url):
                return self
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"Appium did not answer on {self.url} within {timeout_s:g} s")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None

    def __enter__(self) -> AppiumServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
