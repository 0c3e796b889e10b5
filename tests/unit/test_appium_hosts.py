"""Devices may only point at the Appium servers PLAYBACK_APPIUM_ALLOWED_HOSTS allows,
checked when a device is saved and again before a session opens; a run's error
never repeats what a server that is not Appium answered."""

from __future__ import annotations

import http.server
import threading

import pytest

from playback import network
from playback.models import Device

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("url", "allowed"),
    [
        ("http://127.0.0.1:4723", True),
        ("http://localhost:4723/wd/hub", True),
        ("http://10.1.2.3:4723", True),
        ("http://192.168.0.9:4723", True),
        ("http://[::1]:4723", True),
        ("http://169.254.169.254/latest/meta-data/", False),  # cloud metadata
        ("http://8.8.8.8:4723", False),
        ("http://[fe80::1]:4723", False),
        ("http://no-such-host.invalid:4723", False),
    ],
)
def test_the_development_default_allows_loopback_and_private_ranges(url, allowed):
    assert (network.appium_url_problem(url) is None) is allowed


def test_a_listed_host_name_is_allowed_as_it_is(settings):
    settings.PLAYBACK_APPIUM_ALLOWED_HOSTS = ["appium.lab.example", "10.9.0.0/16"]
    assert network.appium_url_problem("http://APPIUM.lab.example:4723") is None
    assert network.appium_url_problem("http://10.9.1.1:4723") is None
    problem = network.appium_url_problem("http://127.0.0.1:4723")
    assert "PLAYBACK_APPIUM_ALLOWED_HOSTS" in problem


def test_a_device_pointing_elsewhere_is_refused_by_the_api_and_the_admin(api, admin_client):
    body = {"device_id": "meta", "platform": "sim", "appium_url": "http://169.254.169.254/"}
    response = api.post("/api/devices/", body, format="json")
    assert response.status_code == 400
    assert "PLAYBACK_APPIUM_ALLOWED_HOSTS" in response.json()["appium_url"][0]
    response = admin_client.post("/admin/playback/device/add/", {**body, "capabilities": "{}"})
    assert (
        response.status_code == 200 and "PLAYBACK_APPIUM_ALLOWED_HOSTS" in response.content.decode()
    )
    assert not Device.objects.exists()


def test_a_session_is_not_opened_to_a_host_no_longer_allowed(flow, make_device, play, settings):
    device = make_device("http://127.0.0.1:9", device_id="d")
    settings.PLAYBACK_APPIUM_ALLOWED_HOSTS = ["appium.lab.example"]
    run = play(flow, device)
    assert run.status == "error"
    assert "is not allowed" in run.error and "PLAYBACK_APPIUM_ALLOWED_HOSTS" in run.error


class NotAppium(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = b"SECRET-METADATA token=abc123"
        self.send_response(404 if "404" in self.server.mode else 200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.mark.parametrize("mode", ["404", "200"])
def test_a_run_error_never_repeats_what_a_server_that_is_not_appium_answered(
    flow, make_device, play, mode
):
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), NotAppium)
    server.mode = mode
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        device = make_device(f"http://127.0.0.1:{server.server_port}", device_id="web")
        run = play(flow, device)
    finally:
        server.shutdown()
    assert run.status == "error"
    assert "SECRET" not in run.error and "abc123" not in run.error
    assert "did not answer as an Appium server" in run.error
