"""The production web command (README: gunicorn + uvicorn workers on config.asgi): a
request that waits (`?wait`) outlives gunicorn's worker timeout, and many waits on
one worker do not slow an unrelated request (they hold no thread), and Ctrl-C stops it
at once."""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from rest_framework.authtoken.models import Token

from playback.models import Run
from simulator.server import free_port
from tests.cluster import database_url

pytestmark = pytest.mark.django_db(transaction=True)
CONFIG = Path(settings.BASE_DIR) / "config" / "gunicorn.py"


def test_the_gunicorn_config_outlives_the_longest_wait():
    from playback.api.views import MAX_WAIT_S

    namespace: dict = {}
    exec(CONFIG.read_text(), namespace)
    assert namespace["timeout"] > MAX_WAIT_S
    # uvicorn's worker (ours stops on gunicorn's quick shutdown: config/web_worker.py).
    assert namespace["worker_class"] == "config.web_worker.Worker"
    from uvicorn_worker import UvicornWorker

    from config.web_worker import Worker

    assert issubclass(Worker, UvicornWorker)


def test_waits_longer_than_the_worker_timeout_neither_die_nor_block_others(flow, device, tmp_path):
    token = Token.objects.create(user=get_user_model().objects.create_superuser("ops")).key
    port = free_port()
    env = {
        "DATABASE_URL": database_url(),
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "GUNICORN_WORKERS": "1",
        "GUNICORN_TIMEOUT": "2",  # shorter than the waits below
        "GUNICORN_ACCESSLOG": "",
        "PATH": "/usr/bin:/bin",
    }
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", str(CONFIG), "config.asgi:application"],
        cwd=settings.BASE_DIR,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"

    def call(method: str, path: str, body: dict | None = None) -> tuple[int, float]:
        request = urllib.request.Request(
            base + path,
            method=method,
            data=json.dumps(body).encode() if body else None,
            headers={"Authorization": f"Token {token}", "Content-Type": "application/json"},
        )
        started = time.monotonic()
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return response.status, time.monotonic() - started
        except urllib.error.HTTPError as exc:
            return exc.code, time.monotonic() - started

    try:
        for _ in range(100):
            try:
                call("GET", "/api/devices/")
                break
            except OSError:
                time.sleep(0.1)
        # No worker plays runs here: each run stays queued and each POST waits 4 s;
        # 20 of them on the one worker (a threaded worker had 16 threads in all).
        waits: list[tuple[int, float]] = []
        body = {"flow_id": flow.pk, "device_id": device.device_id}
        threads = [
            threading.Thread(
                target=lambda: waits.append(call("POST", "/api/playback/start?wait=4", body))
            )
            for _ in range(20)
        ]
        for thread in threads:
            thread.start()
        time.sleep(1.0)
        other = call("GET", "/api/devices/")
        for thread in threads:
            thread.join()
    finally:
        server.terminate()
        server.wait(timeout=20)
    assert [code for code, _ in waits] == [202] * 20, server.stderr.read()
    assert all(seconds >= 4 for _, seconds in waits)
    assert other[0] == 200 and other[1] < 1.5, other


def test_the_access_log_never_shows_an_events_links_signature(flow, device, play, tmp_path):
    from tests.asgi_server import AsgiServer, sse
    from tests.scripted_driver import ScriptedDriver

    run = play(flow, device, driver=ScriptedDriver())
    user = get_user_model().objects.create_superuser("ops")
    token = Token.objects.create(user=user).key
    with AsgiServer(media_root=tmp_path, workers=1, extra_env={"GUNICORN_ACCESSLOG": "-"}) as web:
        request = urllib.request.Request(
            f"{web.url}/api/playback/runs/{run.pk}/", headers={"Authorization": f"Token {token}"}
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            events_url = json.load(response)["events_url"]
        signature = events_url.split("sig=")[1]
        assert [e["event"] for e in sse(events_url)][-1] == "end"
        time.sleep(0.5)
        logged = "".join(web.lines)
    assert f"/api/playback/runs/{run.pk}/events?sig=[hidden]" in logged
    assert signature not in logged


def test_the_production_command_serves_the_admins_styles_after_collectstatic(tmp_path):
    """PLAYBACK_ENV=production behind the README's production recipe: collectstatic, then
    gunicorn; the admin's stylesheet (hashed, compressed) comes from the app server."""
    import re
    import secrets

    port = free_port()
    env = {
        "PLAYBACK_ENV": "production",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(60),
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
        "DJANGO_BEHIND_TLS_PROXY": "1",
        "PLAYBACK_APPIUM_ALLOWED_HOSTS": "10.0.0.0/8",
        "PLAYBACK_STATIC_ROOT": str(tmp_path / "static"),
        "DATABASE_URL": database_url(),
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "GUNICORN_WORKERS": "1",
        "GUNICORN_ACCESSLOG": "",
        "PATH": "/usr/bin:/bin",
    }
    manage = [sys.executable, str(Path(settings.BASE_DIR) / "manage.py")]
    collected = subprocess.run(
        [*manage, "collectstatic", "--noinput"], env=env, capture_output=True, text=True
    )
    assert collected.returncode == 0, collected.stderr[-2000:]
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", str(CONFIG), "config.asgi:application"],
        cwd=settings.BASE_DIR, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        text=True,
    )  # fmt: skip

    def get(path: str) -> tuple[int, str, bytes]:
        request = urllib.request.Request(
            f"http://127.0.0.1:{port}{path}",
            headers={"X-Forwarded-Proto": "https", "Accept-Encoding": "gzip"},
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.headers.get("Content-Type", ""), response.read()

    try:
        for _ in range(100):
            try:
                status, _, page = get("/admin/login/")
                break
            except OSError:
                time.sleep(0.1)
        assert status == 200
        (css,) = re.findall(r'href="(/static/admin/css/base\.[0-9a-f]+\.css)"', page.decode())
        status, kind, body = get(css)
        assert (status, kind.split(";")[0]) == (200, "text/css")
        assert len(body) > 1000
    finally:
        server.terminate()
        server.wait(timeout=10)


def test_ctrl_c_stops_the_production_server_at_once_even_with_a_request_waiting(flow, device):
    """gunicorn's quick stop (SIGINT) reaches its uvicorn workers (config/web_worker.py):
    it does not wait out graceful_timeout (10 s) for a `?wait` still open."""
    token = Token.objects.create(user=get_user_model().objects.create_superuser("ops")).key
    port = free_port()
    env = {
        "DATABASE_URL": database_url(),
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "GUNICORN_WORKERS": "2",
        "GUNICORN_ACCESSLOG": "",
        "PATH": "/usr/bin:/bin",
    }
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", str(CONFIG), "config.asgi:application"],
        cwd=settings.BASE_DIR, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        text=True,
    )  # fmt: skip
    waiting = None
    try:
        for _ in range(200):
            try:
                waiting = socket.create_connection(("127.0.0.1", port), timeout=30)
                break
            except OSError:
                time.sleep(0.05)
        assert waiting is not None
        body = json.dumps({"flow_id": flow.pk, "device_id": device.device_id}).encode()
        waiting.sendall(
            b"POST /api/playback/start?wait=60 HTTP/1.1\r\nHost: x\r\n"
            + f"Authorization: Token {token}\r\nContent-Type: application/json\r\n".encode()
            + f"Content-Length: {len(body)}\r\n\r\n".encode()
            + body
        )
        # The run is queued (no worker plays it): the request waits on the server.
        for _ in range(200):
            if Run.objects.filter(flow=flow).exists():
                break
            time.sleep(0.05)
        asked = time.monotonic()
        server.send_signal(signal.SIGINT)
        server.wait(timeout=15)
        took = time.monotonic() - asked
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()
        if waiting is not None:
            waiting.close()
    assert took < 5, (took, server.stderr.read()[-2000:])
    assert "Finished server process" in server.stderr.read()
