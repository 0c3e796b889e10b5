"""Webhooks: who gets which event, how a delivery is signed, tried again with backoff
and kept; the admin's receivers and deliveries (the real cluster's path is in
integration/test_webhooks_stack.py)."""

from __future__ import annotations

import hashlib
import hmac
import http.server
import json
import threading
from collections.abc import Iterator

import pytest
from django.core.exceptions import ValidationError
from django_q.models import Schedule

from playback import services
from playback.webhooks import delivery
from playback.webhooks.models import WebhookDelivery, WebhookEndpoint
from tests.scripted_driver import ScriptedDriver

pytestmark = pytest.mark.django_db


class Receiver:
    """A receiver on 127.0.0.1 that answers the codes it is given, in turn."""

    def __init__(self, codes: list[int]):
        self.codes, self.got = list(codes), []
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.got.append((dict(self.headers), body))
                code = receiver.codes.pop(0) if receiver.codes else 200
                self.send_response(code)
                self.end_headers()
                self.wfile.write(b"thanks" if code < 300 else b"broken")

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    made: list[Receiver] = []

    def make(codes=()):
        made.append(Receiver(list(codes)))
        return made[-1]

    yield make
    for one in made:
        one.server.shutdown()


@pytest.fixture
def queued(monkeypatch) -> list[tuple]:
    """The tasks queued (task name, args), whatever the broker."""
    from playback import queue

    calls: list[tuple] = []
    monkeypatch.setattr(queue, "enqueue", lambda task, *args, name: calls.append((task, args)))
    return calls


def verify(secret: str, headers: dict, body: bytes) -> bool:
    """The README's verification snippet."""
    signed = headers["X-Playback-Timestamp"].encode() + b"." + body
    expected = "sha256=" + hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, headers["X-Playback-Signature"])


def ended_run(flow, device, play, fail=False):
    return play(flow, device, driver=ScriptedDriver(find_failures={"b": 9} if fail else {}))


@pytest.mark.parametrize(
    ("status", "events"),
    [
        ("success", ["run.finished"]),
        ("failed", ["run.finished", "run.failed"]),
        ("partial_success", ["run.finished", "run.failed"]),
        ("error", ["run.finished", "run.failed"]),
        ("cancelled", ["run.finished"]),
    ],
)
def test_which_events_a_run_end_raises(status, events):
    assert delivery.run_events(status) == events


def test_a_run_end_queues_webhooks_only_when_an_active_receiver_wants_them(
    flow, device, play, django_capture_on_commit_callbacks, queued
):
    WebhookEndpoint.objects.create(url="http://127.0.0.1:9/", events=["run.failed"])
    WebhookEndpoint.objects.create(url="http://127.0.0.1:9/", events=["run.finished"], active=False)
    with django_capture_on_commit_callbacks(execute=True):
        ended_run(flow, device, play)
    assert queued == []
    with django_capture_on_commit_callbacks(execute=True):
        run = ended_run(flow, device, play, fail=True)
    assert queued == [("send_webhooks", ("run", run.pk, ["run.finished", "run.failed"]))]


def test_a_delivery_is_signed_and_carries_the_run_resource(flow, device, play, receiver, queued):
    hook = receiver([200])
    endpoint = WebhookEndpoint.objects.create(url=hook.url, events=["run.finished"])
    run = ended_run(flow, device, play)
    from playback.webhooks import payloads

    (pk,) = delivery.fan_out(["run.finished", "run.failed"], payloads.resource("run", run.pk))
    assert delivery.deliver(pk) == "delivered"
    headers, body = hook.got[0]
    assert verify(endpoint.secret, headers, body)
    assert not verify("another secret", headers, body)
    sent = json.loads(body)
    assert sent["event"] == "run.finished" and sent["delivery_id"] == pk
    assert sent["data"]["run_id"] == run.pk and len(sent["data"]["steps"]) == 3
    assert headers["X-Playback-Event"] == "run.finished" and headers["X-Playback-Delivery"] == str(
        pk
    )
    kept = WebhookDelivery.objects.get(pk=pk)
    assert (kept.status, kept.attempts, kept.response_code, kept.response_body) == (
        "delivered",
        1,
        200,
        "thanks",
    )


def test_a_receiver_answering_500_twice_gets_it_on_the_third_try_after_backoff(receiver, settings):
    settings.PLAYBACK_WEBHOOK_BACKOFF_S = 10
    hook = receiver([500, 500, 200])
    endpoint = WebhookEndpoint.objects.create(url=hook.url, events=["batch.finished"])
    item = WebhookDelivery.objects.create(
        endpoint=endpoint, event="batch.finished", payload={"a": 1}
    )
    assert delivery.deliver(item.pk) == "retrying"
    first = Schedule.objects.get(name=f"webhook-{item.pk}-2")
    item.refresh_from_db()
    assert item.error == "The receiver answered 500." and item.next_try_at == first.next_run
    assert delivery.deliver(item.pk) == "retrying"
    second = Schedule.objects.get(name=f"webhook-{item.pk}-3")
    gap = (second.next_run - first.next_run).total_seconds()
    assert gap >= 10  # 10 s, then 20 s after the second try
    assert delivery.deliver(item.pk) == "delivered"
    item.refresh_from_db()
    assert [t["status_code"] for t in item.tries] == [500, 500, 200] and item.error == ""
    assert delivery.deliver(item.pk) == "not pending"  # a late duplicate sends nothing
    assert len(hook.got) == 3


def test_after_five_failed_tries_a_delivery_has_failed(receiver):
    hook = receiver([503] * 9)
    endpoint = WebhookEndpoint.objects.create(url=hook.url, events=["run.finished"])
    item = WebhookDelivery.objects.create(endpoint=endpoint, event="run.finished", payload={})
    results = [delivery.deliver(item.pk) for _ in range(6)]
    assert results == ["retrying"] * 4 + ["failed", "not pending"]
    assert len(hook.got) == 5


def test_a_receiver_that_does_not_answer_in_time_is_a_failed_try(settings):
    import socket

    settings.PLAYBACK_WEBHOOK_TIMEOUT_S = 0.3
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(5)  # accepts, never answers
    port = silent.getsockname()[1]
    endpoint = WebhookEndpoint.objects.create(
        url=f"http://127.0.0.1:{port}/", events=["run.finished"]
    )
    item = WebhookDelivery.objects.create(endpoint=endpoint, event="run.finished", payload={})
    assert delivery.deliver(item.pk) == "retrying"
    item.refresh_from_db()
    assert item.error.startswith("No answer:") and item.tries[0]["duration_ms"] < 3000
    silent.close()


@pytest.mark.parametrize(
    "url",
    ["http://169.254.169.254/latest/meta-data/", "http://[fe80::1]/", "ftp://127.0.0.1/x"],
)
def test_a_receiver_url_outside_the_rules_is_refused(url):
    with pytest.raises(ValidationError):
        WebhookEndpoint(url=url, events=["run.finished"]).full_clean()


def test_a_receiver_no_longer_allowed_is_not_sent_to(receiver, settings):
    hook = receiver([200])
    endpoint = WebhookEndpoint.objects.create(url=hook.url, events=["run.finished"])
    item = WebhookDelivery.objects.create(endpoint=endpoint, event="run.finished", payload={})
    settings.PLAYBACK_WEBHOOK_ALLOWED_HOSTS = ["public"]
    assert delivery.deliver(item.pk) == "failed"
    item.refresh_from_db()
    assert "PLAYBACK_WEBHOOK_ALLOWED_HOSTS" in item.error and hook.got == []


def test_events_must_be_known_and_not_empty():
    for events in ([], ["run.started"], "run.finished"):
        with pytest.raises(ValidationError):
            WebhookEndpoint(url="http://127.0.0.1/", events=events).full_clean()


def test_the_admin_manages_receivers_and_redelivers(
    admin_client, receiver, django_capture_on_commit_callbacks, queued
):
    hook = receiver([200, 200])
    response = admin_client.post(
        "/admin/playback/webhookendpoint/add/",
        {"url": hook.url, "events": ["run.failed", "batch.finished"], "secret": "s3cret",
         "active": "on"},
    )  # fmt: skip
    assert response.status_code == 302, response.content.decode()[:2000]
    endpoint = WebhookEndpoint.objects.get()
    assert endpoint.events == ["run.failed", "batch.finished"]
    refused = admin_client.post(
        "/admin/playback/webhookendpoint/add/",
        {"url": "http://169.254.169.254/", "events": ["run.failed"], "secret": "x"},
    )
    assert refused.status_code == 200 and "link-local" in refused.content.decode()
    item = WebhookDelivery.objects.create(endpoint=endpoint, event="run.failed", payload={"x": 1})
    delivery.deliver(item.pk)
    assert admin_client.get("/admin/playback/webhookendpoint/").status_code == 200
    page = admin_client.get("/admin/playback/webhookdelivery/")
    assert page.status_code == 200 and "delivered" in page.content.decode()
    detail = admin_client.get(f"/admin/playback/webhookdelivery/{item.pk}/change/")
    assert detail.status_code == 200 and "thanks" in detail.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(
            "/admin/playback/webhookdelivery/",
            {"action": "redeliver", "_selected_action": [item.pk]},
        )
    again = WebhookDelivery.objects.exclude(pk=item.pk).get()
    assert again.redelivery_of == item and again.payload == {"x": 1, "delivery_id": again.pk}
    assert queued == [("deliver_webhook", (again.pk,))]
    # The delivery's own page has the button too.
    assert 'id="pb-redeliver"' in detail.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        answer = admin_client.post(f"/admin/playback/webhookdelivery/{item.pk}/redeliver/")
    third = WebhookDelivery.objects.order_by("-pk").first()
    assert answer.status_code == 302 and answer["Location"].endswith(f"/{third.pk}/change/")
    assert third.redelivery_of == item and len(queued) == 2


def test_only_who_manages_webhooks_may_redeliver(client, member, receiver):
    endpoint = WebhookEndpoint.objects.create(url="http://127.0.0.1:9/", events=["run.failed"])
    item = WebhookDelivery.objects.create(endpoint=endpoint, event="run.failed", payload={})
    client.force_login(member("runner", "r", staff=True))
    assert client.post(f"/admin/playback/webhookdelivery/{item.pk}/redeliver/").status_code == 403
    assert WebhookDelivery.objects.count() == 1


def test_a_cancel_while_queued_also_announces_the_end(
    flow, device, django_capture_on_commit_callbacks, queued
):
    WebhookEndpoint.objects.create(url="http://127.0.0.1:9/", events=["run.finished"])
    run = services.start_run(flow=flow, device=device, foreground=True)
    with django_capture_on_commit_callbacks(execute=True):
        services.cancel_run(run=run)
    assert queued == [("send_webhooks", ("run", run.pk, ["run.finished"]))]
