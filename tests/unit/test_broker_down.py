"""The broker is down when a run is started: the run is kept and played once the
broker is back; no 500, no device held by a run nobody will play."""

from __future__ import annotations

import pytest
from django_q.conf import Conf

from playback.models import Device, Run
from playback.runs import sweeper

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def dead_broker(monkeypatch):
    """django-q2's Redis broker, pointed at a port where nothing listens."""
    monkeypatch.setattr(Conf, "ORM", None)
    monkeypatch.setattr(Conf, "REDIS", "redis://127.0.0.1:1/0")


def test_a_start_while_the_broker_is_down_is_accepted_and_frees_the_device(
    api, flow, device, dead_broker
):
    response = api.post(
        "/api/playback/start", {"flow_id": flow.pk, "device_id": device.device_id}, format="json"
    )
    assert response.status_code == 202
    run = Run.objects.get()
    assert (run.status, run.dispatched_at) == ("queued", None)
    # Nobody will play it yet: it does not hold the device.
    assert Device.objects.get(pk=device.pk).current_run is None


def test_the_sweeper_gives_it_its_device_once_the_broker_is_back(
    api, flow, device, dead_broker, monkeypatch
):
    api.post(
        "/api/playback/start", {"flow_id": flow.pk, "device_id": device.device_id}, format="json"
    )
    monkeypatch.undo()  # the broker is back
    run = Run.objects.get()
    assert sweeper.sweep_runs()["dispatched"] == [run.pk]
    assert Device.objects.get(pk=device.pk).current_run_id == run.pk
