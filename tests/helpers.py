"""Small builders the tests share (fixtures are in conftest.py)."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from io import StringIO
from typing import Any

from django.core.management import call_command

from playback.drivers import registry
from playback.drivers.protocol import Driver
from simulator.server import APPS_DIR

DEMO_FLOW = APPS_DIR.parent / "flows" / "demo.json"


def tap(target: str, using: str = "accessibility id", **extra: Any) -> dict[str, Any]:
    """A tap step on the element `target` (the staged and demo apps name theirs so)."""
    return {"action": "tap", "locator": {"using": using, "value": target}, **extra}


def session_of(driver: Driver) -> Callable[..., contextlib.AbstractContextManager[Driver]]:
    """A session opener (the drivers registry's signature) that yields `driver`."""

    @contextlib.contextmanager
    def open_session(device: Any, app_id: str) -> Iterator[Driver]:
        yield driver

    return open_session


def run_command(*args: str) -> tuple[int, str, str]:
    """Call a command as the CLI would; returns (exit code, stdout, stderr)."""
    out, err = StringIO(), StringIO()
    try:
        call_command(*args, stdout=out, stderr=err)
        code = 0
    except SystemExit as exc:
        code = exc.code
    return code, out.getvalue(), err.getvalue()


class RealSession:
    """Opens the device's real session as the service does (the drivers registry) and
    lets a test act on it: `before(remote)` ahead of the run, `after(remote)` once the
    engine is done with it; `remote` is the Appium client while it is open."""

    def __init__(
        self,
        before: Callable[[Any], None] | None = None,
        after: Callable[[Any], None] | None = None,
    ):
        self.before, self.after = before, after
        self.remote: Any = None

    @contextlib.contextmanager
    def __call__(self, device: Any, app_id: str) -> Iterator[Driver]:
        with registry.open_session(device, app_id) as driver:
            self.remote = driver.remote
            if self.before:
                self.before(driver.remote)
            yield driver
            if self.after:
                self.after(driver.remote)
