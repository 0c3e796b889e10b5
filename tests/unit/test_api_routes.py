"""Every API route answers with or without its trailing slash, and every API 404 is
JSON, in development (DEBUG) as in production."""

from __future__ import annotations

import pytest

from playback import services
from playback.devices import queue as devices_queue

pytestmark = pytest.mark.django_db


@pytest.fixture(params=[True, False], ids=["debug", "production"])
def debug(request, settings):
    settings.DEBUG = request.param


@pytest.fixture
def queued_run(flow, device):
    run = services.start_run(flow=flow, device=device)
    devices_queue.dispatch_next(device_pk=device.pk)
    return run


@pytest.mark.parametrize("slash", ["", "/"], ids=["no slash", "slash"])
@pytest.mark.parametrize(
    ("method", "path", "expected"),
    [
        ("post", "/api/playback/runs/{run}/rerun", 202),
        ("post", "/api/playback/runs/{run}/cancel", 200),
        ("get", "/api/playback/runs/{run}", 200),
        ("get", "/api/playback/runs", 200),
        ("get", "/api/flows", 200),
        ("get", "/api/devices/emulator-5554", 200),
        ("post", "/api/playback/start", 400),
        ("get", "/api/playback/media", 200),
        ("get", "/api/schema", 200),
    ],
)
def test_a_route_answers_with_or_without_its_trailing_slash(
    api, queued_run, debug, method, path, slash, expected
):
    response = getattr(api, method)(path.format(run=queued_run.pk) + slash, {}, format="json")
    assert response.status_code == expected, response.content[:200]


@pytest.mark.parametrize(
    "path",
    [
        "/api/playback/runs/abc/",
        "/api/playback/runs/abc",
        "/api/nothing/",
        "/api/playback/runs/1/nothing",
        "/api/playback/runs/99999/",
    ],
)
def test_every_api_404_is_json(api, debug, path):
    response = api.get(path)
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json()["detail"]


def test_a_wrong_method_is_a_json_405(api, queued_run, debug):
    response = api.get(f"/api/playback/runs/{queued_run.pk}/rerun")
    assert response.status_code == 405
    assert response.json()["detail"]


@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
def test_a_write_to_a_path_that_names_nothing_is_a_json_404_with_a_session_too(admin_user, method):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(admin_user)
    response = getattr(client, method)("/api/flows/-1/")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
