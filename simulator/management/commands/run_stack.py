from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand

from playback.models import Run
from simulator.server import AppiumServer, is_ready

# How long each child has to stop once asked, before it is killed: Ctrl-C stops
# everything within 5 s.
STOP_WITHIN_S = 4.0


class Command(BaseCommand):
    help = (
        "What `make run` starts: the Appium server (simulated device), the django-q2 "
        "worker cluster and the web server; plays the demo flow on the first start (or "
        "with --demo). Ctrl-C stops all within 5 s."
    )

    def add_arguments(self, parser):
        parser.add_argument("--addr", default="127.0.0.1:8000", help="Web server address.")
        parser.add_argument(
            "--demo", action="store_true", help="Play the demo flow even if it has runs."
        )
        parser.add_argument("--no-demo", action="store_true", help="Do not play the demo flow.")

    def handle(self, *args: Any, addr: str, demo: bool, no_demo: bool, **opts: Any) -> None:
        from io import StringIO

        # A SIGTERM (from a supervisor or `timeout`) stops the stack like Ctrl-C does.
        signal.signal(signal.SIGTERM, _raise_keyboard_interrupt)
        out = StringIO()
        call_command("seed_demo", web_url=f"http://{addr}", stdout=out)
        seeded = json.loads(out.getvalue())
        manage = [sys.executable, str(settings.BASE_DIR / "manage.py")]
        children: list[subprocess.Popen[bytes]] = []
        appium = None
        appium_url = f"http://127.0.0.1:{settings.APPIUM_PORT}"
        try:
            if is_ready(appium_url):
                self.stdout.write(f"Appium already answers on {appium_url}; using it.")
            else:
                log_path = settings.VAR_DIR / "appium.log"
                appium = AppiumServer(port=settings.APPIUM_PORT, log_path=log_path).start()
                self.stdout.write(f"Appium (simulated device) on {appium.url}, log in {log_path}")
            # Each child in its own session: a terminal's Ctrl-C (or a SIGTERM to this
            # process group) reaches only this command, which stops each child the way
            # it stops cleanly (django-q2's cluster hangs on a SIGTERM to its group).
            children.append(subprocess.Popen([*manage, "qcluster"], start_new_session=True))
            children.append(subprocess.Popen(web_server(addr), start_new_session=True))
            self.banner(addr, seeded)
            first_start = not Run.objects.filter(flow_id=seeded["flow_id"]).exists()
            if (first_start or demo) and not no_demo:
                self.play_demo(addr, seeded)
            while all(child.poll() is None for child in children):
                time.sleep(0.5)
            self.stderr.write("A service stopped; stopping the others.")
        except KeyboardInterrupt:
            self.stdout.write("\nStopping...")
            stopped = stop_runs_in_progress()
            if stopped:
                self.stdout.write(f"Runs stopped (cancelled): {', '.join(map(str, stopped))}")
        finally:
            killed = stop(children, appium)
            if killed:
                self.stderr.write(f"Killed after {STOP_WITHIN_S:g} s: {', '.join(killed)}")

    def play_demo(self, addr: str, demo: dict[str, Any]) -> None:
        """Queue the demo flows like the API does and show how the worker plays them."""
        self.play_one(addr, demo["flow_id"], demo["device_id"])
        if "web_flow_id" in demo:
            # With the default settings, as a QA lead plays it: the flow clears its own
            # state, and its first tap meets the loading overlay (a flaky step and its
            # evidence, through the step's own retries).
            self.play_one(addr, demo["web_flow_id"], demo["web_device_id"])

    def play_one(self, addr: str, flow_id: int, device_id: str, **settings: Any) -> None:
        from flows.models import Flow
        from playback import services
        from playback.models import Device
        from playback.words import RunSettings

        run = services.start_run(
            flow=Flow.objects.get(pk=flow_id),
            device=Device.objects.get(device_id=device_id),
            settings=RunSettings(**settings),
        )
        self.stdout.write(f"Demo run {run.pk} queued; the worker plays it on {device_id}...")
        run = services.wait_for_run(run_id=run.pk, timeout_s=120)
        for result in run.step_results.all():
            self.stdout.write(f"  step {result.step_number} {result.action}: {result.status}")
        self.stdout.write(
            f"Demo run {run.pk}: {run.status} ({run.successful_steps}/{run.total_steps} steps). "
            f"See it at http://{addr}/api/playback/runs/{run.pk}/ or in the admin."
        )

    def banner(self, addr: str, demo: dict[str, Any]) -> None:
        lines = [
            "",
            "Playback is running:",
            f"  Admin     http://{addr}/admin/",
            f"  User      {demo['username']}",
            f"  Password  {demo['password']}",
            f"  API token {demo['token']}",
            f"  API docs  http://{addr}/api/docs/",
            f"  Device    {demo['device_id']} via {demo['appium_url']}",
            *(
                [
                    f"  Device    {demo['web_device_id']} (the demo web app at http://{addr}/demo-app/)"
                ]
                if "web_device_id" in demo
                else []
            ),
            f"  CORS      {cors_origins()}",
            "",
            "Ctrl-C stops everything.",
        ]
        self.stdout.write("\n".join(lines))


def web_server(addr: str) -> list[str]:
    """The README's production command (gunicorn + uvicorn workers on config.asgi), on
    this address with two workers: what `make run` serves is what production serves."""
    config = settings.BASE_DIR / "config" / "gunicorn.py"
    return [
        sys.executable,
        "-m",
        "gunicorn",
        "-c",
        str(config),
        "config.asgi:application",
        "--chdir",
        str(settings.BASE_DIR),  # started from anywhere (a CI job's folder)
        "--bind",
        addr,
        "--workers",
        os.environ.get("GUNICORN_WORKERS", "2"),
    ]


def stop(children: list[subprocess.Popen[bytes]], appium: AppiumServer | None) -> list[str]:
    """SIGINT to each child (what the cluster and gunicorn stop quickly on: about 1 s
    idle, the cluster the slowest) and to Appium, all at once; whatever still runs
    after STOP_WITHIN_S is killed with its group (their commands are returned). The
    ports are free when this returns."""
    for child in children:
        if child.poll() is None:
            child.send_signal(signal.SIGINT)
    if appium is not None and appium.process is not None:
        appium.process.send_signal(signal.SIGINT)
        children = [*children, appium.process]
    deadline = time.monotonic() + STOP_WITHIN_S
    killed = []
    for child in children:
        try:
            child.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(child.pid, signal.SIGKILL)
            child.wait()
            killed.append(" ".join(map(str, child.args))[:80])
    return killed


def _raise_keyboard_interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def cors_origins() -> str:
    """Which browser pages may call the API (PLAYBACK_CORS_ORIGINS), in words."""
    from django.conf import settings

    if settings.CORS_ALLOWED_ORIGINS:
        return f"{', '.join(settings.CORS_ALLOWED_ORIGINS)} (PLAYBACK_CORS_ORIGINS)"
    if settings.CORS_ALLOWED_ORIGIN_REGEXES:
        return (
            "pages on http://localhost:* and http://127.0.0.1:* may call the API "
            "(PLAYBACK_CORS_ORIGINS names others)"
        )
    return "no other origin may call the API (PLAYBACK_CORS_ORIGINS names them)"


def stop_runs_in_progress() -> list[int]:
    """The runs this stack's workers are playing end `cancelled` before the workers
    and Appium stop: stopped by their operator, not failed ("Appium session ended"
    would be a new failure group). The ids of those it ended."""
    from playback.runs import lifecycle
    from playback.words import RunStatus

    why = "make run was stopped (Ctrl-C) while it played"
    running = Run.objects.filter(status=RunStatus.RUNNING).select_related("device")
    return [run.pk for run in running if lifecycle.end_stopped(run, why=why)]
