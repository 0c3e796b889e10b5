"""An unhandled error is logged, once, as one JSON line with its request id, and the
answer names that id; every response carries one."""

from __future__ import annotations

import io
import json
import logging
from unittest import mock

import pytest

from playback import services

pytestmark = pytest.mark.django_db


@pytest.fixture
def production_errors(settings, client):
    settings.DEBUG = False
    client.raise_request_exception = False


@pytest.fixture
def stderr_log():
    """What the stderr handler of our logging config writes."""
    handler = logging.getLogger("django.request").handlers[0]
    stream = io.StringIO()
    previous = handler.setStream(stream)
    yield stream
    handler.setStream(previous)


def error_lines(text: str) -> list[dict]:
    return [
        json.loads(line)
        for line in text.splitlines()
        if line.startswith("{") and '"level": "ERROR"' in line
    ]


def test_an_unhandled_error_is_logged_with_its_request_id(
    api, flow, device, production_errors, stderr_log
):
    api.raise_request_exception = False
    with mock.patch.object(
        services, "start_run", autospec=True, side_effect=RuntimeError("the disk is gone")
    ):
        response = api.post(
            "/api/playback/start",
            {"flow_id": flow.pk, "device_id": device.device_id},
            format="json",
            HTTP_X_REQUEST_ID="ci-run-77",
        )
    assert response.status_code == 500
    assert response["X-Request-ID"] == "ci-run-77"
    assert "ci-run-77" in response.json()["detail"]
    lines = error_lines(stderr_log.getvalue())
    assert len(lines) == 1, lines
    line = lines[0]
    assert line["request_id"] == "ci-run-77"
    assert line["logger"] == "django.request"
    assert "RuntimeError: the disk is gone" in line["exc"]
    assert "/api/playback/start" in line["message"]


def test_every_answer_carries_a_request_id_and_a_bad_one_is_replaced(api):
    first = api.get("/api/devices/")
    assert len(first["X-Request-ID"]) == 32
    assert api.get("/api/devices/", HTTP_X_REQUEST_ID="x" * 500)["X-Request-ID"] != "x" * 500
    assert api.get("/api/devices/", HTTP_X_REQUEST_ID="ok-1")["X-Request-ID"] == "ok-1"
