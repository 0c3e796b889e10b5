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
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone
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


def due(item: WebhookDelivery) -> int:
    """Its next try's time has come (as when the scheduler fires it)."""
    WebhookDelivery.objects.filter(pk=item.pk).update(next_try_at=timezone.now())
    return item.pk


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
    assert delivery.deliver(item.pk) == "not due"  # a duplicate before its time
    assert delivery.deliver(due(item)) == "retrying"
    second = Schedule.objects.get(name=f"webhook-{item.pk}-3")
    assert (second.next_run - timezone.now()).total_seconds() > 15  # 10 s, then 20 s
    assert delivery.deliver(due(item)) == "delivered"
    item.refresh_from_db()
    assert [t["status_code"] for t in item.tries] == [500, 500, 200] and item.error == ""
    assert delivery.deliver(item.pk) == "not pending"  # a late duplicate sends nothing
    assert len(hook.got) == 3


def test_after_five_failed_tries_a_delivery_has_failed(receiver):
    hook = receiver([503] * 9)
    endpoint = WebhookEndpoint.objects.create(url=hook.url, events=["run.finished"])
    item = WebhookDelivery.objects.create(endpoint=endpoint, event="run.finished", payload={})
    results = [delivery.deliver(due(item)) for _ in range(6)]
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
    assert item.error == "No answer within 0.3 s." and item.tries[0]["duration_ms"] < 3000
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


# --- a try is bounded; deliveries never take the workers runs need -------------------------
class Dripping:
    """A receiver that answers `head` at once, then one byte every `every_s` for as
    long as the client reads (or sends `size` bytes as fast as it can)."""

    def __init__(self, head: bytes, *, every_s: float = 0.0, size: int = 0):
        import socket

        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}/hook"
        self.sent = 0
        self.head, self.every_s, self.size = head, every_s, size
        threading.Thread(target=self.serve, daemon=True).start()

    def serve(self):
        import time

        conn, _ = self.sock.accept()
        try:
            conn.recv(65536)
            conn.sendall(self.head)
            while True:
                if self.size:
                    conn.sendall(b"x" * 65536)
                    self.sent += 65536
                    if self.sent >= self.size:
                        return
                else:
                    time.sleep(self.every_s)
                    conn.sendall(b"x")
                    self.sent += 1
        except OSError:
            return
        finally:
            conn.close()


def pending_to(url: str) -> WebhookDelivery:
    endpoint = WebhookEndpoint.objects.create(url=url, events=["run.finished"])
    return WebhookDelivery.objects.create(
        endpoint=endpoint, event="run.finished", payload={}, next_try_at=timezone.now()
    )


@pytest.mark.parametrize(
    "head",
    [b"HTTP/1.1 200 OK\r\n", b"H"],  # headers, or the status line itself, a byte at a time
)
def test_a_receiver_dripping_its_answer_costs_a_try_its_time_and_no_more(settings, head):
    settings.PLAYBACK_WEBHOOK_TIMEOUT_S = 0.5
    drip = Dripping(head, every_s=0.1)
    item = pending_to(drip.url)
    assert delivery.deliver(item.pk) == "retrying"
    item.refresh_from_db()
    assert item.error == "No answer within 0.5 s."
    assert item.tries[0]["duration_ms"] < 2000  # not as long as the receiver likes


def test_a_try_never_takes_longer_than_ten_seconds_whatever_the_setting(settings):
    settings.PLAYBACK_WEBHOOK_TIMEOUT_S = 300
    assert delivery.try_seconds() == 10


def test_a_2xx_whose_body_drips_is_delivered_once_its_status_came(settings):
    settings.PLAYBACK_WEBHOOK_TIMEOUT_S = 0.5
    drip = Dripping(b"HTTP/1.1 202 Accepted\r\nContent-Length: 100\r\n\r\nok", every_s=0.1)
    item = pending_to(drip.url)
    assert delivery.deliver(item.pk) == "delivered"
    item.refresh_from_db()
    assert item.response_body.startswith("ok") and item.tries[0]["duration_ms"] < 2000


def test_a_huge_answer_is_read_no_further_than_its_start():
    from playback.webhooks import transport

    huge = Dripping(b"HTTP/1.1 500 Oops\r\nContent-Length: 400000000\r\n\r\n", size=400_000_000)
    item = pending_to(huge.url)
    assert delivery.deliver(item.pk) == "retrying"
    item.refresh_from_db()
    assert item.response_code == 500 and len(item.response_body) == delivery.ANSWER_KEPT
    assert huge.sent < 50 * transport.READ_AT_MOST * 64  # cut long before 400 MB


def test_with_every_slot_taken_a_delivery_waits_and_is_queued_when_one_frees(
    receiver, queued, settings
):
    from playback.webhooks import slots

    settings.PLAYBACK_WEBHOOK_CONCURRENCY = 1
    hook = receiver([200, 200])
    first, second = pending_to(hook.url), pending_to(hook.url)
    assert slots.take(first.pk, until=timezone.now() + timedelta(seconds=30)) == 1
    assert delivery.deliver(second.pk) == "waiting" and hook.got == []
    slots.free(first.pk)
    assert delivery.deliver(first.pk) == "delivered"
    # The try that freed the slot queued the delivery that waited.
    assert queued == [("deliver_webhook", (second.pk,))]
    assert delivery.deliver(second.pk) == "delivered" and len(hook.got) == 2


def test_a_paused_webhooks_pending_delivery_is_not_sent(receiver):
    hook = receiver([500, 200])
    item = pending_to(hook.url)
    assert delivery.deliver(item.pk) == "retrying" and len(hook.got) == 1
    WebhookEndpoint.objects.update(active=False)
    assert delivery.deliver(due(item)) == "paused"
    item.refresh_from_db()
    assert item.status == "failed" and "paused" in item.error and len(hook.got) == 1


def test_a_try_whose_worker_died_is_counted_lost_and_tried_again(settings, queued):
    from playback.runs import sweeper

    settings.PLAYBACK_WEBHOOK_BACKOFF_S = 30
    item = pending_to("http://127.0.0.1:9/hook")
    # As a worker left it when it was killed mid-try: claimed, nothing recorded.
    WebhookDelivery.objects.filter(pk=item.pk).update(
        attempts=1, next_try_at=timezone.now() - timedelta(seconds=1)
    )
    report = sweeper.sweep_runs()
    assert report["webhook_tries_lost"] == [item.pk]
    item.refresh_from_db()
    assert item.status == "pending" and item.attempts == 1 and len(item.tries) == 1
    assert "worker sending this try was lost" in item.tries[0]["error"]
    assert item.next_try_at > timezone.now()  # the next try is scheduled
    assert Schedule.objects.filter(name=f"webhook-{item.pk}-2").exists()
    assert sweeper.sweep_runs()["webhook_tries_lost"] == []  # once


def test_a_try_whose_worker_process_is_gone_is_lost_before_its_time_is_up(queued):
    from playback.runs import sweeper
    from playback.webhooks import slots

    item = pending_to("http://127.0.0.1:9/hook")
    lease = timezone.now() + timedelta(seconds=60)
    WebhookDelivery.objects.filter(pk=item.pk).update(
        attempts=WebhookDelivery.objects.get(pk=item.pk).attempts + 1, next_try_at=lease
    )
    import socket

    slots.take(item.pk, until=lease, worker=f"{socket.gethostname()}:999999999")
    assert sweeper.sweep_runs()["webhook_tries_lost"] == [item.pk]


def test_a_new_failure_group_and_an_expired_quarantine_are_announced_once(
    flow, device, play, django_capture_on_commit_callbacks, queued
):
    from datetime import timedelta

    from playback import quarantines
    from playback.insights.models import FailureGroup, Quarantine
    from playback.runs import sweeper
    from playback.webhooks import payloads

    WebhookEndpoint.objects.create(
        url="http://127.0.0.1:9/", events=["failure_group.created", "quarantine.expired"]
    )
    with django_capture_on_commit_callbacks(execute=True):
        ended_run(flow, device, play, fail=True)
    group = FailureGroup.objects.get()
    assert queued == [("send_webhooks", ("failure_group", group.pk, ["failure_group.created"]))]
    with django_capture_on_commit_callbacks(execute=True):
        ended_run(flow, device, play, fail=True)  # the same group: nothing new
    assert len(queued) == 1
    assert payloads.resource("failure_group", group.pk)["key"] == group.key

    item = quarantines.quarantine(flow_id=flow.pk, reason="SHOP-1")
    Quarantine.objects.filter(pk=item.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    sweeper.sweep_runs()
    sweeper.sweep_runs()  # once
    assert queued[1:] == [("send_webhooks", ("quarantine", item.pk, ["quarantine.expired"]))]
    assert payloads.resource("quarantine", item.pk)["status"] == "expired"
