"""What integration tests share: `make run`'s stack on a database of its own, and the
web device on the demo web app."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.db import connections

from simulator.server import free_port

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


def start_stack(
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
    # Keep reading: its children write to the same pipe and would block on a full one.
    reader = threading.Thread(target=lambda: lines.extend(stack.stdout), daemon=True)
    reader.start()
    stack.reader = reader  # type: ignore[attr-defined]  # joined to read its last words
    return stack, lines


def stopped_within(stack: subprocess.Popen[str], sig: int) -> float:
    asked = time.monotonic()
    os.killpg(stack.pid, sig)  # what a terminal's Ctrl-C does: the whole group
    stack.wait(timeout=30)
    return time.monotonic() - asked


# --- the web device on the demo web app (served by the test's live server) ---------
@pytest.fixture
def demo_app(live_server) -> str:
    return f"{live_server.url}/demo-app/"


@pytest.fixture
def web_device(appium_server, make_device, settings, tmp_path):
    settings.PLAYBACK_WEB_PROFILES_DIR = tmp_path / "web-profiles"  # app data of this test
    return make_device(appium_server.url, platform="web", device_id="web-1", capabilities={})


@pytest.fixture
def web_flow(make_flow, demo_app):
    def make(steps: list[dict[str, Any]], query: str = "") -> Any:
        return make_flow(steps, platform="web", app_id=f"{demo_app}?{query}")

    return make


# --- a real browser: Debian's Chromium driven by Playwright ---------------------------
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
ARTIFACTS = Path(settings.BASE_DIR) / "test-artifacts" / "browser"


@pytest.fixture
def browser_page(live_server):
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in this thread; the test's own ORM
    # calls stay synchronous.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        page = browser.new_page(viewport={"width": 1366, "height": 900})
        page.set_default_timeout(15_000)
        yield page
        browser.close()
        # ORM calls made while Playwright's loop ran used connections of that
        # context: close them here, or the test database cannot be dropped.
        connections.close_all()
    os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)


_CONTRASTS = """() => {
  const parse = c => c.match(/[\\d.]+/g).map(Number);
  const lum = ([r, g, b]) => {
    const f = v => (v /= 255) <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4);
    return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
  };
  const background = el => {
    for (let e = el; e; e = e.parentElement) {
      const c = parse(getComputedStyle(e).backgroundColor);
      if (c.length < 4 || c[3] > 0) return c.slice(0, 3);
    }
    return [255, 255, 255];
  };
  return [...document.querySelectorAll(SELECTOR)]
    .filter(el => el.offsetParent !== null)
    .map(el => {
      const [a, b] = [lum(parse(getComputedStyle(el).color)), lum(background(el))]
        .sort((x, y) => y - x);
      return {text: el.innerText.slice(0, 40), ratio: (a + 0.05) / (b + 0.05)};
    });
}"""


def contrasts(selector: str) -> str:
    """A page function: each visible element of `selector` with the contrast ratio of
    its text colour against the background it is drawn on (WCAG's formula)."""
    return _CONTRASTS.replace("SELECTOR", json.dumps(selector))
