"""`make run`'s stack (manage.py run_stack): it plays the demo on the first start
only, and Ctrl-C (or a SIGTERM to its group) stops everything within 5 s with its
ports free."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings

from simulator.server import free_port

pytestmark = [pytest.mark.appium]
MANAGE = str(Path(settings.BASE_DIR) / "manage.py")


def port_is_free(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) != 0


@pytest.fixture
def stack_env(tmp_path):
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "PLAYBACK_VAR_DIR": str(tmp_path / "var"),
        "APPIUM_PORT": str(free_port()),
        "PYTHONUNBUFFERED": "1",
    }
    env.pop("REDIS_URL", None)
    subprocess.run([sys.executable, MANAGE, "migrate", "-v0"], env=env, check=True)
    return env


def start(
    env: dict[str, str], web_port: int, *, until: str = "Ctrl-C stops everything"
) -> tuple[subprocess.Popen[str], list[str]]:
    stack = subprocess.Popen(
        [sys.executable, MANAGE, "run_stack", "--addr", f"127.0.0.1:{web_port}"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        start_new_session=True,  # its own group, as a terminal's foreground job
    )  # fmt: skip
    lines: list[str] = []
    deadline = time.monotonic() + 120
    assert stack.stdout is not None
    for line in stack.stdout:
        lines.append(line)
        if until in line or time.monotonic() > deadline:
            break
    return stack, lines


def stopped_within(stack: subprocess.Popen[str], sig: int) -> float:
    asked = time.monotonic()
    os.killpg(stack.pid, sig)  # what a terminal's Ctrl-C does: the whole group
    stack.wait(timeout=30)
    return time.monotonic() - asked


def test_ctrl_c_stops_the_stack_within_5_s_and_the_demo_plays_on_the_first_start_only(
    stack_env,
):
    web, appium = free_port(), int(stack_env["APPIUM_PORT"])
    stack, lines = start(stack_env, web, until="Demo run 1:")
    assert any("Demo run 1: success" in line for line in lines), "".join(lines[-20:])
    took = stopped_within(stack, signal.SIGINT)
    assert took < 5, took
    assert port_is_free(web) and port_is_free(appium)

    stack, lines = start(stack_env, web)  # the second start: no demo run again
    assert not any("Demo run" in line for line in lines), "".join(lines[-20:])
    took = stopped_within(stack, signal.SIGTERM)  # a supervisor's stop
    assert took < 5, took
    assert port_is_free(web) and port_is_free(appium)
