"""Live events through Django's ASGI handler (the real-server path is in
integration/test_live_stack.py): a run's and a batch's Server-Sent Events, their
cursors, who may subscribe, and ?wait held on the event loop."""

from __future__ import annotations

import asyncio
import json
import threading
import time

import pytest
from asgiref.sync import async_to_sync
from django.db import connection
from django.test import AsyncClient
from rest_framework.authtoken.models import Token

from playback import services
from playback.live import links, streams
from playback.models import Run
from tests.helpers import session_of
from tests.scripted_driver import ScriptedDriver

pytestmark = pytest.mark.django_db(transaction=True)


def parse(block: str) -> dict[str, str]:
    fields: dict[str, str] = {}
    for line in block.splitlines():
        if line.startswith(":"):
            continue
        name, _, value = line.partition(": ")
        fields[name] = value
    return fields


async def events_of(response, *, stop_after: int | None = None) -> list[dict]:
    """The events of a stream until it closes (or `stop_after` events)."""
    out, buffer = [], ""
    async for chunk in response.streaming_content:
        buffer += chunk if isinstance(chunk, str) else chunk.decode()
        while "\n\n" in buffer:
            block, buffer = buffer.split("\n\n", 1)
            fields = parse(block)
            if "event" in fields:
                out.append({**fields, "data": json.loads(fields["data"])})
                if stop_after is not None and len(out) >= stop_after:
                    return out
    return out


def get_events(url: str, headers: dict | None = None, **kwargs) -> tuple[int, list[dict]]:
    async def go():
        response = await AsyncClient().get(url, headers=headers or {})
        if not response.streaming:
            return response.status_code, [json.loads(response.content)]
        return response.status_code, await asyncio.wait_for(events_of(response, **kwargs), 20)

    return async_to_sync(go)()


@pytest.fixture
def auth(user) -> dict[str, str]:
    return {"Authorization": f"Token {Token.objects.create(user=user).key}"}


def test_a_finished_runs_stream_gives_its_steps_in_order_then_status_and_end(
    flow, device, play, auth
):
    run = play(flow, device, {"retry_per_step": 1}, driver=ScriptedDriver(find_failures={"b": 1}))
    code, events = get_events(f"/api/playback/runs/{run.pk}/events", auth)
    assert code == 200
    assert [e["event"] for e in events] == ["step", "step", "step", "status", "end"]
    assert [e["data"]["step"] for e in events[:3]] == [1, 2, 3]
    assert events[1]["data"]["status"] == "flaky"  # the step as the run resource shows it
    assert events[3]["data"]["status"] == run.status
    assert events[4]["data"]["run_id"] == run.pk and len(events[4]["data"]["steps"]) == 3
    assert [e["id"] for e in events] == ["1:", "2:", "3:", f"3:{run.status}", f"3:{run.status}"]


def test_a_reconnect_with_last_event_id_gets_the_rest_exactly_once(flow, device, play, auth):
    run = play(flow, device, driver=ScriptedDriver())
    _, events = get_events(f"/api/playback/runs/{run.pk}/events", {**auth, "Last-Event-ID": "1:"})
    assert [(e["event"], e["data"].get("step")) for e in events] == [
        ("step", 2), ("step", 3), ("status", None), ("end", None)
    ]  # fmt: skip
    _, events = get_events(
        f"/api/playback/runs/{run.pk}/events", {**auth, "Last-Event-ID": f"3:{run.status}"}
    )
    assert [e["event"] for e in events] == ["end"]


def test_steps_arrive_as_they_are_committed_while_the_run_plays(flow, device, play, auth):
    run = services.start_run(flow=flow, device=device, foreground=True)

    def play_slowly():
        time.sleep(0.3)
        try:
            services.play_in_foreground(
                run=run, open_session=_session(), on_step=lambda *_: time.sleep(0.1)
            )
        finally:
            connection.close()

    player = threading.Thread(target=play_slowly)
    player.start()
    try:
        code, events = get_events(f"/api/playback/runs/{run.pk}/events", auth)
    finally:
        player.join()
    names = [e["event"] for e in events]
    assert code == 200 and names[0] == "status" and events[0]["data"]["status"] == "queued"
    assert [e["data"]["step"] for e in events if e["event"] == "step"] == [1, 2, 3]
    assert names[-2:] == ["status", "end"] and events[-1]["data"]["status"] == "success"
    assert "running" in [e["data"]["status"] for e in events if e["event"] == "status"]


def _session():
    return session_of(ScriptedDriver())


@pytest.mark.parametrize("bad", ["x", "1:nope", "-1:", "1.5:queued"])
def test_a_last_event_id_the_stream_did_not_send_is_400(flow, device, play, auth, bad):
    run = play(flow, device, driver=ScriptedDriver())
    code, (body,) = get_events(
        f"/api/playback/runs/{run.pk}/events", {**auth, "Last-Event-ID": bad}
    )
    assert code == 400 and "Last-Event-ID" in body


def test_who_may_subscribe(flow, device, play, auth, member, user, client):
    run = play(flow, device, driver=ScriptedDriver())
    url = f"/api/playback/runs/{run.pk}/events"
    assert get_events(url)[0] == 401
    assert get_events(url, {"Authorization": "Token nope"})[0] == 401
    assert get_events("/api/playback/runs/999999/events", auth)[0] == 404
    # The signed events_url of the run resource: no token in the URL, no header.
    signed = client_get_json(auth, f"/api/playback/runs/{run.pk}/")["events_url"]
    assert "sig=" in signed and Token.objects.get(user=user).key not in signed
    assert get_events(signed.split("testserver", 1)[1])[0] == 200
    # ...for that run only, and not forever.
    other = play(flow, device, driver=ScriptedDriver())
    foreign = f"/api/playback/runs/{other.pk}/events?sig=" + signed.split("sig=")[1]
    assert get_events(foreign)[0] == 403
    # The admin's session works as for any API GET.
    client.force_login(member("viewer", "v"))
    assert client.get(url).status_code == 200


def test_a_signed_link_expires(flow, device, play, user, settings):
    run = play(flow, device, driver=ScriptedDriver())
    value = links.events_url(_Req(user), "run", run.pk).split("sig=")[1]
    assert links.signed_for(value, "run", run.pk).user_id == user.pk
    assert links.signed_for(value, "batch", run.pk) is None
    settings.PLAYBACK_EVENTS_LINK_MAX_AGE_S = -1
    assert links.signed_for(value, "run", run.pk) is None


def test_a_signed_link_dies_with_the_token_it_was_made_with(flow, device, play, auth, user):
    run = play(flow, device, driver=ScriptedDriver())
    signed = client_get_json(auth, f"/api/playback/runs/{run.pk}/")["events_url"]
    path = signed.split("testserver", 1)[1]
    assert get_events(path)[0] == 200
    Token.objects.filter(user=user).delete()  # revoked
    code, (body,) = get_events(path)
    assert code == 403 and "token or session it was made with" in body["detail"]
    Token.objects.create(user=user)  # a new token is not the one the link was made with
    assert get_events(path)[0] == 403


def test_a_signed_link_made_in_a_session_needs_that_session(flow, device, play, member):
    from django.test import Client

    run = play(flow, device, driver=ScriptedDriver())
    browser = Client()
    browser.force_login(member("viewer", "lead"))
    signed = browser.get(f"/api/playback/runs/{run.pk}/").json()["events_url"]
    path = signed.split("testserver", 1)[1]

    async def get(client):
        response = await client.get(path)
        return response.status_code

    session = browser.cookies["sessionid"].value
    with_cookie = AsyncClient()
    with_cookie.cookies["sessionid"] = session
    assert async_to_sync(get)(with_cookie) == 200
    assert get_events(path)[0] == 403  # the link alone, without the session
    browser.logout()  # the session ends
    assert async_to_sync(get)(with_cookie) == 403


class _Req:
    def __init__(self, user):
        self.user = user

    def build_absolute_uri(self, url):
        return url


def client_get_json(auth: dict, url: str) -> dict:
    from rest_framework.test import APIClient

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=auth["Authorization"])
    return client.get(url).json()


@pytest.mark.parametrize(
    ("ids", "text"),
    [(set(), ""), ({4}, "4"), ({1, 2, 3, 7}, "1-3.7"), ({5, 6, 9, 10, 11}, "5-6.9-11")],
)
def test_batch_cursors_write_ended_runs_as_ranges_and_read_them_back(ids, text):
    assert streams.ranges(ids) == text
    assert streams.batch_cursor(f"{text}:running") == (ids, "running")


@pytest.mark.parametrize(
    "bad",
    [
        "1-30000000:",  # froze a web worker for seconds at 2.3 GB
        "1-1000000000:",
        "1-50000.60000-110001:",  # each range fine, more than 100,000 together
        ".".join(["1"] * 100_001) + ":",
        "5-3:",
        "\u00b2:",  # "²" passes str.isdigit()
        "1-\u00b2:",
        "\uff11:",  # a full-width 1
        "9" * 5000 + ":",
        "1-" + "9" * 5000 + ":",
        "1:nope",
        "-1:",
    ],
)
def test_a_batch_cursor_is_refused_before_anything_is_expanded(bad):
    with pytest.raises(streams.BadCursor):
        streams.batch_cursor(bad)


def test_a_batch_cursor_of_up_to_100000_runs_is_read():
    ids, status = streams.batch_cursor("1-60000.70001-110000:running")
    assert len(ids) == 100_000 and status == "running"


@pytest.mark.parametrize(
    "bad", ["\u00b2:", "1\u00b2:", "\uff11:", "9" * 5000 + ":", "1:running\n", " 1:", "1"]
)
def test_a_run_cursor_takes_ascii_digits_only(bad):
    with pytest.raises(streams.BadCursor):
        streams.run_cursor(bad)


@pytest.mark.parametrize(
    ("kind", "query", "header"),
    [
        ("runs", "?lastEventId=%C2%B2:", None),
        ("runs", "?lastEventId=%B2:", None),  # the raw byte
        ("runs", "", b"\xb2:"),
        ("runs", "?lastEventId=" + "9" * 5000 + ":", None),
        ("batches", "", b"1-30000000:"),
        ("batches", "?lastEventId=1-1000000000:", None),
    ],
)
def test_a_bad_cursor_is_a_400_on_either_stream(flow, device, play, auth, kind, query, header):
    run = play(flow, device, driver=ScriptedDriver())
    pk = run.pk
    if kind == "batches":
        pk = services.start_batch(flows=[flow.pk], devices=[device.device_id]).pk
    headers = {**auth, **({"Last-Event-ID": header.decode("latin-1")} if header else {})}
    code, (body,) = get_events(f"/api/playback/{kind}/{pk}/events{query}", headers)
    assert code == 400 and "Last-Event-ID" in body


def test_wait_answers_as_soon_as_the_run_ends_without_a_thread_per_wait(flow, device, auth):
    def cancel_soon():
        time.sleep(0.5)
        services.cancel_run(run=Run.objects.get())
        connection.close()

    threading.Thread(target=cancel_soon).start()
    started = time.monotonic()

    async def go():
        body = {"flow_id": flow.pk, "device_id": device.device_id}
        return await AsyncClient().post("/api/playback/start?wait=20", body,
                                        content_type="application/json", headers=auth)  # fmt: skip

    response = async_to_sync(go)()
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "cancelled" and time.monotonic() - started < 5
    assert response["Location"].endswith(f"/api/playback/runs/{Run.objects.get().pk}/")


def test_fifty_subscribers_of_a_run_cost_one_watcher_query_a_tick_and_one_read_a_change(
    flow, device, auth, monkeypatch, settings
):
    from playback.live import hub

    settings.PLAYBACK_LIVE_REDIS_URL = ""  # the embedded default's watcher
    calls = {"watch": 0, "read": 0}
    watch, load = hub.fingerprints, streams.load_run

    def counted(name, fn):
        def wrapper(*args):
            calls[name] += 1
            return fn(*args)

        return wrapper

    monkeypatch.setattr(hub, "fingerprints", counted("watch", watch))
    monkeypatch.setattr(streams, "load_run", counted("read", load))
    run = services.start_run(flow=flow, device=device, foreground=True)

    async def go():
        client = AsyncClient()
        responses = [
            await client.get(f"/api/playback/runs/{run.pk}/events", headers=auth) for _ in range(50)
        ]
        readers = [asyncio.create_task(events_of(r)) for r in responses]
        await asyncio.sleep(0.5)
        ticks = calls["watch"]
        await asyncio.to_thread(_cancel, run)
        return ticks, await asyncio.wait_for(asyncio.gather(*readers), 10)

    ticks, streams_seen = async_to_sync(go)()
    assert all([e["event"] for e in seen][-2:] == ["status", "end"] for seen in streams_seen)
    assert ticks <= 0.5 / settings.PLAYBACK_LIVE_POLL_S + 5  # one query a tick, not 50
    assert calls["read"] <= 6  # the first read, the change (and a first tick's read)


def _cancel(run):
    services.cancel_run(run=Run.objects.get(pk=run.pk))
    connection.close()


def test_a_batchs_stream_gives_each_ended_run_then_status_and_end_and_resumes(
    make_flow, make_device, auth
):
    from tests.batches import drain

    flows = [make_flow([{"action": "tap", "x": 1, "y": 1}], name=f"f{i}") for i in range(3)]
    make_device("http://127.0.0.1:9", device_id="b-1")
    batch = services.start_batch(flows=[f.pk for f in flows], devices=["b-1"])
    drain(batch, {"b-1": ScriptedDriver()})
    code, events = get_events(f"/api/playback/batches/{batch.pk}/events", auth)
    assert code == 200
    assert [e["event"] for e in events] == ["run", "run", "run", "status", "end"]
    runs = sorted(e["data"]["run_id"] for e in events[:3])
    assert events[-1]["data"]["batch_id"] == batch.pk and events[-1]["data"]["status"] == "success"
    assert events[-1]["id"] == f"{streams.ranges(set(runs))}:success"
    _, again = get_events(
        f"/api/playback/batches/{batch.pk}/events", {**auth, "Last-Event-ID": events[0]["id"]}
    )
    assert sorted(e["data"]["run_id"] for e in again if e["event"] == "run") == sorted(
        set(runs) - {events[0]["data"]["run_id"]}
    )
    bad = get_events(f"/api/playback/batches/{batch.pk}/events", {**auth, "Last-Event-ID": "1-x:"})
    assert bad[0] == 400
