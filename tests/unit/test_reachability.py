"""Whether a device's Appium answers: probed (GET /status) by the sweeper and before a
run starts, shown in the API and the admin; a start on a device that does not answer
is refused at once unless the caller insists."""

from __future__ import annotations

import http.server
import json
import threading
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from playback.devices import reachability
from playback.models import Device, Run
from playback.runs import sweeper
from simulator.server import free_port

pytestmark = pytest.mark.django_db


class AnswersStatus(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        body = json.dumps({"value": {"ready": True, "message": "stub"}}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def answering_url():
    """A server that answers GET /status as Appium does."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), AnswersStatus)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


@pytest.fixture
def silent(make_device):
    """A device never asked, whose Appium is not running."""
    return make_device(
        f"http://127.0.0.1:{free_port()}", device_id="silent", reachable=None, probed_at=None
    )


def test_a_probe_keeps_whether_the_device_answers_and_how_fast(make_device, answering_url):
    device = reachability.probe(make_device(answering_url, reachable=None, probed_at=None))
    stored = Device.objects.get(pk=device.pk)
    assert (stored.reachable, stored.probe_error) == (True, "")
    assert stored.probe_latency_ms is not None and stored.probed_at is not None


def test_a_probe_of_a_server_that_is_not_running_says_so(silent):
    reachability.probe(silent)
    silent.refresh_from_db()
    assert (silent.reachable, silent.probe_error) == (
        False,
        "connection refused (is Appium running?)",
    )


def test_a_start_on_a_device_that_does_not_answer_is_refused_at_once_unless_asked(
    api, flow, silent
):
    body = {"flow_id": flow.pk, "device_id": "silent"}
    refused = api.post("/api/playback/start", body, format="json")
    assert refused.status_code == 409
    assert refused.json()["detail"].startswith("Device silent is unreachable: its Appium at")
    assert "queue_if_unreachable" in refused.json()["detail"]
    assert not Run.objects.exists()
    queued = api.post("/api/playback/start", {**body, "queue_if_unreachable": True}, format="json")
    assert queued.status_code == 202


def test_a_fresh_probe_is_trusted_and_a_stale_one_asked_again(api, flow, make_device, settings):
    settings.PLAYBACK_PROBE_MAX_AGE_S = 30
    device = make_device(f"http://127.0.0.1:{free_port()}", device_id="d")  # answered just now
    body = {"flow_id": flow.pk, "device_id": "d"}
    assert api.post("/api/playback/start", body, format="json").status_code == 202
    Device.objects.filter(pk=device.pk).update(probed_at=timezone.now() - timedelta(minutes=5))
    assert api.post("/api/playback/start", body, format="json").status_code == 409


def test_devices_show_their_probe_in_the_api_and_a_viewer_may_ask_again(
    member, silent, answering_url
):
    client = APIClient()
    client.force_authenticate(member("viewer"))
    answer = client.post("/api/devices/silent/probe/")
    assert answer.status_code == 200
    assert (answer.json()["reachable"], answer.json()["probe_error"]) == (
        False,
        "connection refused (is Appium running?)",
    )
    Device.objects.filter(pk=silent.pk).update(appium_url=answering_url)
    assert client.post("/api/devices/silent/probe").json()["reachable"] is True
    listed = client.get("/api/devices/").json()["results"][0]
    assert {"reachable", "probe_latency_ms", "probed_at", "probe_error"} <= set(listed)


@pytest.mark.django_db(transaction=True)  # the probes write from their own threads
def test_the_minute_sweep_asks_every_enabled_device(silent, make_device, answering_url):
    up = make_device(answering_url, device_id="up", reachable=None, probed_at=None)
    make_device(answering_url, device_id="off", enabled=False, reachable=None, probed_at=None)
    report = sweeper.sweep_runs(probe=True)
    assert sorted(report["probed"]) == sorted([silent.pk, up.pk])
    assert Device.objects.get(pk=up.pk).reachable is True
    assert Device.objects.get(device_id="off").probed_at is None


def test_the_admin_shows_whether_devices_answer_and_checks_on_request(admin_client, silent, flow):
    reachability.probe(silent)
    page = admin_client.get(reverse("admin:playback_device_changelist")).content.decode()
    assert "does not answer" in page and "connection refused" in page
    response = admin_client.post(reverse("admin:playback_device_probe", args=[silent.pk]))
    assert response.status_code == 302
    play = admin_client.post(
        reverse("admin:flows_flow_play", args=[flow.pk]),
        {"device": silent.pk, "retry_per_step": "0", "failure_behaviour": "stop"},
    )
    assert play.status_code == 200
    assert "Device silent is unreachable" in play.content.decode()
    assert not Run.objects.exists()
