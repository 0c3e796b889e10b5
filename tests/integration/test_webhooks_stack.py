"""Webhooks through a real qcluster: a run played by a worker ends, a receiver on
127.0.0.1 gets a signed delivery (on the third try when it answers 500 twice), and a
receiver that hangs does not delay the next run."""

from __future__ import annotations

import socket
import time

import pytest
from django_q.brokers import get_broker
from django_q.scheduler import scheduler

from playback import services
from playback.models import Run
from playback.webhooks.models import WebhookDelivery, WebhookEndpoint
from tests.cluster import QCluster
from tests.helpers import tap
from tests.unit.test_webhooks import Receiver, verify

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.appium]


def ended(run: Run, timeout_s: float = 60) -> Run:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        run.refresh_from_db()
        if not run.is_active:
            return run
        time.sleep(0.05)
    raise AssertionError(f"run {run.pk} is still {run.status}")


def silent_receiver(backlog: int = 16) -> tuple[socket.socket, str]:
    """A receiver that takes connections and never answers: (its socket, its URL)."""
    hanging = socket.socket()
    hanging.bind(("127.0.0.1", 0))
    hanging.listen(backlog)
    return hanging, f"http://127.0.0.1:{hanging.getsockname()[1]}/hook"


def fire_retries_until(receiver: Receiver, tries: int, deadline: float) -> None:
    """Run the scheduler until the receiver got `tries` POSTs (the cluster's own fires
    due retries every 30 s; here, sooner), then wait for the delivery to be kept."""
    while len(receiver.got) < tries and time.monotonic() < deadline:
        scheduler(broker=get_broker())
        time.sleep(0.3)
    while (
        time.monotonic() < deadline
        and not WebhookDelivery.objects.filter(status="delivered").exists()
    ):
        time.sleep(0.1)


def test_a_receiver_answering_500_twice_gets_the_signed_delivery_on_the_third_try(
    make_flow, sim_device, media_root
):
    receiver = Receiver([500, 500, 200])
    endpoint = WebhookEndpoint.objects.create(url=receiver.url, events=["run.finished"])
    flow = make_flow([tap("ok")])
    env = {"PLAYBACK_WEBHOOK_BACKOFF_S": "0.2"}
    try:
        with QCluster(workers=2, media_root=media_root, extra_env=env):
            run = ended(services.start_run(flow=flow, device=sim_device))
            fire_retries_until(receiver, 3, time.monotonic() + 60)
    finally:
        receiver.server.shutdown()
    assert len(receiver.got) == 3
    assert all(verify(endpoint.secret, headers, body) for headers, body in receiver.got)
    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.attempts) == ("delivered", 3)
    assert [t["status_code"] for t in delivery.tries] == [500, 500, 200]
    assert delivery.payload["data"]["run_id"] == run.pk


def test_a_receiver_that_hangs_does_not_delay_the_next_run(make_flow, sim_device, media_root):
    hanging, url = silent_receiver()
    WebhookEndpoint.objects.create(url=url, events=["run.finished"])
    flow = make_flow([tap("ok")])
    env = {"PLAYBACK_WEBHOOK_TIMEOUT_S": "8"}
    try:
        with QCluster(workers=2, media_root=media_root, extra_env=env):
            ended(services.start_run(flow=flow, device=sim_device))
            time.sleep(1)  # its delivery now hangs on a worker
            started = time.monotonic()
            second = ended(services.start_run(flow=flow, device=sim_device))
            took = time.monotonic() - started
            assert WebhookDelivery.objects.filter(attempts=1, status="pending").exists()
    finally:
        hanging.close()
    assert second.status == "success" and took < 10, took


def test_a_burst_of_deliveries_to_slow_receivers_leaves_a_worker_for_runs(
    make_flow, sim_device, media_root
):
    """Five receivers that take the whole of each try (8 s): without a cap their
    deliveries held both workers and the next run waited; with one slot, one does."""
    hanging, url = silent_receiver(64)
    for _ in range(5):
        WebhookEndpoint.objects.create(url=url, events=["run.finished"])
    flow = make_flow([tap("ok")])
    env = {"PLAYBACK_WEBHOOK_TIMEOUT_S": "8", "PLAYBACK_WEBHOOK_CONCURRENCY": "1"}
    try:
        with QCluster(workers=2, media_root=media_root, extra_env=env):
            ended(services.start_run(flow=flow, device=sim_device))
            deadline = time.monotonic() + 30
            while WebhookDelivery.objects.count() < 5 and time.monotonic() < deadline:
                time.sleep(0.05)
            time.sleep(1)  # the deliveries' tasks have been taken by now
            second = ended(services.start_run(flow=flow, device=sim_device))
            in_flight = WebhookDelivery.objects.filter(status="pending", attempts=1).count()
    finally:
        hanging.close()
    waited = (second.started_at - second.queued_at).total_seconds()
    assert second.status == "success" and waited < 4, waited
    assert in_flight <= 1  # one try at a time, the others wait for the slot


def test_a_delivery_whose_worker_is_killed_mid_try_is_tried_again(
    make_flow, sim_device, media_root
):
    import os
    import signal

    from playback.webhooks.models import WebhookSlot

    first, first_url = silent_receiver()  # the first try hangs here
    receiver = Receiver([200])
    endpoint = WebhookEndpoint.objects.create(url=first_url, events=["run.finished"])
    flow = make_flow([tap("ok")])
    env = {"PLAYBACK_WEBHOOK_TIMEOUT_S": "8", "PLAYBACK_WEBHOOK_BACKOFF_S": "0.1"}
    try:
        with QCluster(workers=2, media_root=media_root, extra_env=env):
            ended(services.start_run(flow=flow, device=sim_device))
            deadline = time.monotonic() + 30
            slot = None
            while slot is None and time.monotonic() < deadline:
                slot = WebhookSlot.objects.filter(delivery__isnull=False).first()
                time.sleep(0.05)
            assert slot is not None, "no try started"
            WebhookEndpoint.objects.filter(pk=endpoint.pk).update(url=receiver.url)
            os.kill(int(slot.worker.rpartition(":")[2]), signal.SIGKILL)
            # The cluster starts a new worker, which sweeps: the lost try is counted
            # and the next one scheduled; the scheduler then fires it.
            fire_retries_until(receiver, 1, deadline)
    finally:
        first.close()
        receiver.server.shutdown()
    item = WebhookDelivery.objects.get()
    assert (item.status, item.attempts) == ("delivered", 2)
    assert "worker sending this try was lost" in item.tries[0]["error"]
    assert item.tries[1]["status_code"] == 200
