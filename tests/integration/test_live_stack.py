"""Live events through the production web command (gunicorn + uvicorn workers), with
the run played by a real qcluster in another process on a real Appium server: on
the embedded default (the watcher) and, in the second pass, on PostgreSQL + Redis
(pub/sub)."""

from __future__ import annotations

import json
import threading
import time
import urllib.request

import pytest
from rest_framework.authtoken.models import Token

from tests.asgi_server import AsgiServer, sse
from tests.cluster import QCluster
from tests.helpers import tap

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.appium]


@pytest.fixture
def web(media_root):
    with AsgiServer(media_root=media_root) as server:
        yield server


@pytest.fixture
def token(member) -> str:
    return Token.objects.create(user=member("runner", "live")).key


def post(web: AsgiServer, token: str, path: str, body: dict) -> tuple[int, dict]:
    request = urllib.request.Request(
        web.url + path, method="POST", data=json.dumps(body).encode(),
        headers={"Authorization": f"Token {token}", "Content-Type": "application/json"},
    )  # fmt: skip
    try:
        with urllib.request.urlopen(request, timeout=120) as response:
            return response.status, json.load(response)
    except urllib.error.HTTPError as exc:
        return exc.code, json.load(exc)


def start(web: AsgiServer, token: str, flow, device, query: str = "") -> tuple[int, dict]:
    body = {"flow_id": flow.pk, "device_id": device.device_id}
    return post(web, token, f"/api/playback/start{query}", body)


def twenty_steps(make_flow):
    return make_flow([tap("ok" if i % 2 else "ok-2") for i in range(20)], name="Twenty")


def test_a_subscriber_gets_every_step_of_a_20_step_run_in_order_then_end(
    web, token, make_flow, sim_device, media_root
):
    flow = twenty_steps(make_flow)
    code, run = start(web, token, flow, sim_device)
    assert code == 202
    url = f"{web.url}/api/playback/runs/{run['run_id']}/events"
    got: list[dict] = []
    reader = threading.Thread(
        target=lambda: got.extend(sse(url, {"Authorization": f"Token {token}"}))
    )
    reader.start()  # subscribed while the run waits for a worker
    time.sleep(0.5)
    with QCluster(workers=2, media_root=media_root):
        reader.join(timeout=120)
    steps = [e["data"]["step"] for e in got if e["event"] == "step"]
    assert steps == list(range(1, 21))
    assert got[0]["event"] == "status" and got[0]["data"]["status"] == "queued"
    assert got[-1]["event"] == "end" and got[-1]["data"]["status"] == "success"
    assert len(got[-1]["data"]["steps"]) == 20
    statuses = [e["data"]["status"] for e in got if e["event"] == "status"]
    assert statuses == ["queued", "running", "success"]


def test_a_reconnect_with_last_event_id_mid_run_gets_the_rest_exactly_once(
    web, token, make_flow, sim_device, media_root
):
    flow = twenty_steps(make_flow)
    with QCluster(workers=2, media_root=media_root):
        _, run = start(web, token, flow, sim_device)
        url = f"{web.url}/api/playback/runs/{run['run_id']}/events"
        auth = {"Authorization": f"Token {token}"}
        first: list[dict] = []
        for event in sse(url, auth):
            first.append(event)
            if event["event"] == "step" and event["data"]["step"] == 5:
                break  # the connection drops mid-run
        rest = list(sse(url, {**auth, "Last-Event-ID": first[-1]["id"]}))
    steps = [e["data"]["step"] for e in first + rest if e["event"] == "step"]
    assert steps == list(range(1, 21))
    assert rest[-1]["event"] == "end" and [e["event"] for e in rest].count("end") == 1


def test_a_browser_style_subscriber_uses_the_signed_events_url(
    web, token, make_flow, sim_device, media_root
):
    flow = make_flow([tap("ok"), tap("ok-2")])
    with QCluster(workers=2, media_root=media_root):
        code, run = start(web, token, flow, sim_device, "?wait=60")
        assert code == 200 and run["status"] == "success"
    assert run["events_url"].startswith(web.url) and "sig=" in run["events_url"]
    events = list(sse(run["events_url"]))  # no header at all
    assert [e["event"] for e in events] == ["step", "step", "status", "end"]


def test_a_batch_stream_tells_each_run_that_ended_then_end(
    web, token, make_flow, sim_device, media_root
):
    flows = [make_flow([tap("ok")], name=f"B{i}") for i in range(3)]
    with QCluster(workers=2, media_root=media_root):
        body = {"flows": [f.pk for f in flows], "devices": [sim_device.device_id]}
        code, batch = post(web, token, "/api/playback/batches", body)
        assert code == 202, batch
        events = list(sse(batch["events_url"]))
    runs = [e["data"]["run_id"] for e in events if e["event"] == "run"]
    assert len(runs) == 3 == len(set(runs))
    assert events[-1]["event"] == "end" and events[-1]["data"]["status"] == "success"


def worker_threads(web: AsgiServer) -> list[str]:
    """The names of the web server's worker processes' threads."""
    from pathlib import Path

    master = web.process.pid
    names = []
    for pid in Path(f"/proc/{master}/task/{master}/children").read_text().split():
        for task in Path(f"/proc/{pid}/task").iterdir():
            names.append((task / "comm").read_text().strip())
    return sorted(names)


def open_stream(web: AsgiServer, path: str, token: str):
    """A subscriber connected (its first event came) and left open."""
    import socket

    sock = socket.create_connection(("127.0.0.1", web.port), timeout=30)
    request = f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Token {token}\r\n\r\n"
    sock.sendall(request.encode())
    seen = b""
    while b"event: status" not in seen:
        chunk = sock.recv(65536)
        assert chunk, seen
        seen += chunk
    return sock


def test_open_streams_and_waits_hold_no_thread(web, token, make_flow, make_device):
    """Streams and waits open on 2 web workers: 40 more streams and 7 more waits add
    at most what bounded pools may still start as they are needed (a worker's 4 for
    waiting requests' sync parts, 2 for live reads, asgiref's 1, asyncio's default
    of 6, the database pool's): before, each added a thread of its own (+47)."""
    device = make_device("http://127.0.0.1:9", device_id="idle")  # nothing plays: runs wait
    flow = make_flow([tap("ok")])
    _, run = start(web, token, flow, device, "")
    path = f"/api/playback/runs/{run['run_id']}/events"
    held, waits = [], []

    def open_more(streams: int, waiting: int) -> list[str]:
        held.extend(open_stream(web, path, token) for _ in range(streams))
        for _ in range(waiting):
            waits.append(threading.Thread(target=start, args=(web, token, flow, device, "?wait=4")))
            waits[-1].start()
        time.sleep(1.5)
        return worker_threads(web)

    try:
        some = open_more(30, 7)
        more = open_more(40, 7)
    finally:
        for sock in held:
            sock.close()
        for wait in waits:
            wait.join()

    assert len(more) - len(some) <= 2 * 6, (some, more)
