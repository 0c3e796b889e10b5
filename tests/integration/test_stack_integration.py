"""Through the real stack: a live HTTP server, a real qcluster process and a real
Appium server with the simulated device."""

from __future__ import annotations

import itertools
import json
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from rest_framework.authtoken.models import Token

from playback.models import Run
from playback.words import ACTIVE_RUN_STATUSES
from tests.cluster import QCluster
from tests.helpers import tap

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.appium]


class Api:
    def __init__(self, base: str, token: str):
        self.base = base
        self.token = token

    def call(self, method: str, path: str, body: Any = None) -> tuple[int, dict, dict]:
        request = urllib.request.Request(
            self.base + path,
            method=method,
            data=json.dumps(body).encode() if body is not None else None,
            headers={"Authorization": f"Token {self.token}", "Content-Type": "application/json"},
        )
        try:
            with urllib.request.urlopen(request, timeout=120) as response:
                return response.status, json.load(response), dict(response.headers)
        except urllib.error.HTTPError as exc:
            return exc.code, json.load(exc), dict(exc.headers)

    def start(self, flow, device, settings=None, wait: int | None = None):
        body = {"flow_id": flow.pk, "device_id": device.device_id}
        if settings is not None:
            body["settings"] = settings
        query = f"?wait={wait}" if wait is not None else ""
        return self.call("POST", f"/api/playback/start{query}", body)


@pytest.fixture
def api(live_server, member) -> Api:
    return Api(live_server.url, Token.objects.create(user=member("runner", "ci")).key)


@pytest.fixture
def cluster(media_root):
    with QCluster(workers=2, media_root=media_root) as running:
        yield running


def test_a_synchronous_answer_with_wait(api, cluster, make_flow, sim_device):
    flow = make_flow([tap("ok"), tap("find-once", timeout_ms=0), tap("ok-2")])
    code, body, headers = api.start(
        flow, sim_device, {"retryPerStep": 1, "captureScreenshots": True}, wait=60
    )
    assert code == 200, body
    assert body["status"] == "success"
    assert [s["status"] for s in body["steps"]] == ["pass", "flaky", "pass"]
    assert body["steps"][1]["attempts"] == 2
    assert body["flaky_steps"] == 1 and body["successful_steps"] == 3
    assert headers["Location"].endswith(f"/api/playback/runs/{body['run_id']}/")
    # The screenshot URL is served, authenticated, by the same server.
    request = urllib.request.Request(
        body["steps"][0]["screenshot"], headers={"Authorization": f"Token {api.token}"}
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        assert response.read(8) == b"\x89PNG\r\n\x1a\n"


@pytest.mark.parametrize(
    ("behaviour", "expected", "run_status"),
    [
        ("stop", ["pass", "fail", "blocked"], "partial_success"),
        ("skip", ["pass", "fail", "skipped"], "partial_success"),
        ("continue", ["pass", "fail", "pass"], "partial_success"),
    ],
)
def test_failure_behaviours_through_the_worker(
    api, cluster, make_flow, sim_device, behaviour, expected, run_status
):
    flow = make_flow([tap("ok"), tap("hidden"), tap("ok-2")])
    code, body, _ = api.start(
        flow, sim_device, {"failureBehaviour": behaviour, "retryPerStep": 2}, wait=60
    )
    assert code == 200, body
    assert [s["status"] for s in body["steps"]] == expected
    assert body["steps"][1]["attempts"] == 3
    assert body["status"] == run_status


def test_a_run_is_202_then_polled_to_its_end_and_rerun(api, cluster, make_flow, sim_device):
    flow = make_flow([tap("ok"), tap("late", timeout_ms=2000)])
    code, body, headers = api.start(flow, sim_device)
    assert code == 202 and body["status"] == "queued"
    location = headers["Location"].removeprefix(api.base)
    deadline = time.monotonic() + 60
    while body["status"] in ("queued", "running") and time.monotonic() < deadline:
        time.sleep(0.1)
        _, body, _ = api.call("GET", location)
    assert body["status"] == "success"
    code, again, _ = api.call("POST", f"/api/playback/runs/{body['run_id']}/rerun/?wait=60")
    assert code == 200
    assert again["rerun_of"] == body["run_id"]
    assert again["status"] == "success"


def test_twenty_runs_on_two_devices_with_four_workers_never_overlap(
    live_server, api, make_flow, make_device, appium_server, media_root
):
    flow = make_flow([tap("ok"), tap("ok-2"), {"action": "tap", "x": 10, "y": 10}])
    devices = [make_device(appium_server.url, device_id=f"lab-{i}") for i in (1, 2)]
    with QCluster(workers=4, media_root=media_root):
        with ThreadPoolExecutor(max_workers=20) as pool:
            answers = list(
                pool.map(
                    lambda i: api.start(flow, devices[i % 2], {"captureScreenshots": False}),
                    range(20),
                )
            )
        assert [code for code, _, _ in answers] == [202] * 20
        deadline = time.monotonic() + 120
        while Run.objects.filter(status__in=ACTIVE_RUN_STATUSES).exists():
            assert time.monotonic() < deadline, "runs did not finish"
            time.sleep(0.2)
    runs = list(Run.objects.order_by("pk"))
    assert len(runs) == 20
    assert {run.status for run in runs} == {"success"}
    for device in devices:
        mine = sorted((r for r in runs if r.device_id == device.pk), key=lambda r: r.started_at)
        assert len(mine) == 10
        for before, after in itertools.pairwise(mine):
            assert before.finished_at <= after.started_at, "two runs drove one device at once"
    for device in devices:
        device.refresh_from_db()
        assert device.current_run is None


def test_runs_for_a_busy_device_start_in_the_order_they_were_queued(
    api, make_flow, sim_device, media_root
):
    flow = make_flow([tap("ok"), tap("late", timeout_ms=2000)])  # ~0.5 s each
    with QCluster(workers=4, media_root=media_root):
        run_ids = [api.start(flow, sim_device)[1]["run_id"] for _ in range(5)]
        deadline = time.monotonic() + 60
        while Run.objects.filter(status__in=ACTIVE_RUN_STATUSES).exists():
            assert time.monotonic() < deadline, "runs did not finish"
            time.sleep(0.2)
    started = Run.objects.order_by("started_at").values_list("pk", flat=True)
    assert list(started) == run_ids
