"""How long Ctrl-C takes to stop `make run`'s stack, and the web server alone.

The stack (manage.py run_stack, no demo run) and, apart, the production web command
(gunicorn, 2 uvicorn workers) are started on their own ports, left idle a moment and
sent SIGINT; the time until they have exited, N times each, and the median.

    cd bench && ../.venv/bin/python stop_stack.py [--times 3]
"""

from __future__ import annotations

import argparse
import os
import signal
import statistics
import subprocess
import sys
import threading
import time

from _setup import ROOT
from _stack import wait_for_http

sys.path.insert(0, str(ROOT))
from simulator.server import free_port

VAR = ROOT / "var" / "bench" / "stop"


def env() -> dict[str, str]:
    VAR.mkdir(parents=True, exist_ok=True)
    return {
        **os.environ,
        "PLAYBACK_VAR_DIR": str(VAR),
        "DATABASE_URL": f"sqlite:///{VAR / 'db.sqlite3'}",
        "APPIUM_PORT": str(free_port()),
        "GUNICORN_ACCESSLOG": "",
    }


def stopped(process: subprocess.Popen) -> float:
    asked = time.monotonic()
    os.killpg(process.pid, signal.SIGINT)  # what a terminal's Ctrl-C does
    process.wait(timeout=60)
    return time.monotonic() - asked


def stack_stop(environment: dict[str, str]) -> float:
    command = [sys.executable, "manage.py", "run_stack", "--no-demo", "--addr"]
    stack = subprocess.Popen(
        [*command, f"127.0.0.1:{free_port()}"], cwd=ROOT, env=environment, text=True,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip
    for line in stack.stdout:
        if "Ctrl-C stops everything" in line:
            break
    threading.Thread(target=stack.stdout.read, daemon=True).start()
    time.sleep(2)  # idle, as after starting
    return stopped(stack)


def web_stop(environment: dict[str, str]) -> float:
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", "config/gunicorn.py", "config.asgi:application",
         "--bind", f"127.0.0.1:{port}", "--workers", "2"],
        cwd=ROOT, env=environment, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        start_new_session=True,
    )  # fmt: skip
    wait_for_http(f"http://127.0.0.1:{port}/admin/login/")
    return stopped(server)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--times", type=int, default=3)
    args = parser.parse_args()
    environment = env()
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=environment,
                   check=True)  # fmt: skip
    for name, measure in (("stack (make run)", stack_stop), ("web server alone", web_stop)):
        times = [measure(environment) for _ in range(args.times)]
        shown = " / ".join(f"{t:.2f}" for t in times)
        print(f"{name}: {shown} s, median {statistics.median(times):.2f} s")


if __name__ == "__main__":
    main()
