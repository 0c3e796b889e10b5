from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand

from simulator.server import AppiumServer, is_ready


class Command(BaseCommand):
    help = (
        "What `make run` starts: the Appium server (simulated device), the django-q2 "
        "worker cluster and the web server; plays the demo flow once. Ctrl-C stops all."
    )

    def add_arguments(self, parser):
        parser.add_argument("--addr", default="127.0.0.1:8000", help="Web server address.")
        parser.add_argument("--no-demo", action="store_true", help="Do not play the demo flow.")

    def handle(self, *args: Any, addr: str, no_demo: bool, **opts: Any) -> None:
        from io import StringIO

        # A SIGTERM (from a supervisor or `timeout`) stops the stack like Ctrl-C does.
        signal.signal(signal.SIGTERM, _raise_keyboard_interrupt)
        out = StringIO()
        call_command("seed_demo", stdout=out)
        demo = json.loads(out.getvalue())
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
            children.append(subprocess.Popen([*manage, "qcluster"]))
            children.append(subprocess.Popen([*manage, "runserver", addr, "--noreload"]))
            self.banner(addr, demo)
            if not no_demo:
                self.play_demo(addr, demo)
            while all(child.poll() is None for child in children):
                time.sleep(0.5)
            self.stderr.write("A service stopped; stopping the others.")
        except KeyboardInterrupt:
            self.stdout.write("\nStopping...")
        finally:
            for child in children:
                if child.poll() is None:
                    child.send_signal(signal.SIGINT)
            for child in children:
                try:
                    child.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    child.kill()
            if appium is not None:
                appium.stop()

    def play_demo(self, addr: str, demo: dict[str, Any]) -> None:
        """Queue the demo flow like the API does and show how the worker plays it."""
        from flows.models import Flow
        from playback import services
        from playback.models import Device

        run = services.start_run(
            flow=Flow.objects.get(pk=demo["flow_id"]),
            device=Device.objects.get(device_id=demo["device_id"]),
        )
        self.stdout.write(
            f"Demo run {run.pk} queued; the worker plays it on {demo['device_id']}..."
        )
        run = services.wait_for_run(run_id=run.pk, timeout_s=120)
        for result in run.step_results.all():
            self.stdout.write(f"  step {result.step_number} {result.action}: {result.status}")
        self.stdout.write(
            f"Demo run {run.pk}: {run.status} ({run.successful_steps}/{run.total_steps} steps). "
            f"See it at http://{addr}/api/playback/runs/{run.pk}/ or in the admin. "
            "Ctrl-C stops everything."
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
            "",
        ]
        self.stdout.write("\n".join(lines))


def _raise_keyboard_interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt
