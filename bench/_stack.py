"""Start the service's processes for a benchmark: gunicorn and qcluster on the
benchmark's database, with a broker of choice."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager

from _setup import ROOT

REDIS_URL = "redis://127.0.0.1:6379/0"


def stack_env(*, broker: str, workers: int, queue_name: str) -> dict[str, str]:
    env = {
        **os.environ,
        "PLAYBACK_WORKERS": str(workers),
        "PYTHONUNBUFFERED": "1",
        "PLAYBACK_Q_NAME": queue_name,
        # One benchmark user sends thousands of requests a minute: what is measured is
        # each request's cost, the throttles' own included, never a 429.
        "PLAYBACK_API_RATE": "1000000/min",
        "PLAYBACK_API_START_RATE": "1000000/min",
    }
    env.pop("REDIS_URL", None)
    if broker == "redis":
        env["REDIS_URL"] = REDIS_URL
    return env


@contextmanager
def processes(*commands: tuple[list[str], dict[str, str]]) -> Iterator[list[subprocess.Popen]]:
    children = [
        subprocess.Popen(cmd, env=env, cwd=ROOT, stdout=subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL)
        for cmd, env in commands
    ]  # fmt: skip
    try:
        yield children
    finally:
        for child in children:
            child.terminate()
        for child in children:
            try:
                child.wait(timeout=30)
            except subprocess.TimeoutExpired:
                child.kill()


def qcluster(env: dict[str, str]) -> tuple[list[str], dict[str, str]]:
    return [sys.executable, str(ROOT / "manage.py"), "qcluster"], env


def gunicorn(port: int, env: dict[str, str], workers: int = 2) -> tuple[list[str], dict[str, str]]:
    return [sys.executable, "-m", "gunicorn", "-c", str(ROOT / "config" / "gunicorn.py"),
            "config.asgi:application", "-b", f"127.0.0.1:{port}", "-w", str(workers),
            "--log-level", "warning"], {**env, "GUNICORN_ACCESSLOG": ""}  # fmt: skip


def wait_for_http(url: str, timeout_s: float = 30) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(url, timeout=2)
            return
        except urllib.error.HTTPError:
            return  # it answers (401 is an answer)
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"{url} did not answer")


def post_json(url: str, token: str, body: dict) -> dict:
    request = urllib.request.Request(
        url, data=json.dumps(body).encode(), method="POST",
        headers={"Authorization": f"Token {token}", "Content-Type": "application/json"},
    )  # fmt: skip
    with urllib.request.urlopen(request, timeout=60) as response:
        return json.load(response)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


def bench_token() -> str:
    """An API token of a fresh benchmark user who may do everything (a user of no group
    gets 403s, which a benchmark would time instead of the work)."""
    from django.contrib.auth import get_user_model
    from rest_framework.authtoken.models import Token

    user = get_user_model().objects.create_superuser("bench")
    return Token.objects.create(user=user).key


def tap_flow(name: str, steps: int):
    """A flow of `steps` taps on the demo app's login button."""
    from flows.definitions import parse_flow
    from flows.models import Flow

    tap = {"action": "tap", "locator": {"using": "accessibility id", "value": "login"}}
    return Flow.save_definition(parse_flow({
        "name": name, "platform": "sim", "app_id": "com.playback.demo", "steps": [tap] * steps,
    }))  # fmt: skip


def busy_device_with_a_finished_run(flow):
    """A device held by a finished run of `flow` with 100 flaky steps (each with its
    screenshot): the run GET benchmarks read, and a device later runs queue on."""
    from django.core.files.base import ContentFile

    from playback import services
    from playback.devices import queue as devices_queue
    from playback.models import Device, Run, StepResult

    device = Device.objects.create(device_id="busy", platform="sim", appium_url="http://x:1")
    big = services.start_run(flow=flow, device=device, foreground=True)
    devices_queue.dispatch_next(device_pk=device.pk)  # it holds the device: later runs queue
    Run.objects.filter(pk=big.pk).update(status="partial_success")
    for number in range(1, 101):
        result = StepResult(
            run=big, step_number=number, action="tap", status="flaky", attempts=2,
            attempt_errors=["Element not found"],
            error="Passed on attempt 2; attempt 1 failed: Element not found",
        )  # fmt: skip
        result.screenshot.save("s.png", ContentFile(b"png"), save=False)
        result.save()
    return device, big


def running_run(flow, device):
    """A run of `flow` on `device`, claimed as a worker claims it: running, its steps
    for the benchmark to record (`step_recorder.StepRecorder` with `passed`)."""
    from playback import services
    from playback.devices import queue as devices_queue
    from playback.runs import lifecycle

    run = services.start_run(flow=flow, device=device, foreground=True)
    devices_queue.dispatch_next(device_pk=device.pk)
    assert lifecycle.claim(run.pk, worker="bench")
    run.refresh_from_db()
    return run


def passed(step: int):
    """A step that passed on its first attempt, as the engine reports it."""
    from playback.outcomes import StepOutcome
    from playback.words import StepStatus

    return StepOutcome(step=step, action="tap", status=StepStatus.PASS, attempts=1)
