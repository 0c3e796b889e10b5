"""The services' errors become HTTP answers in one place (playback/http/errors.py),
not in each view."""

from __future__ import annotations

import pytest
from django.db.models import ProtectedError
from rest_framework.exceptions import ValidationError

from playback import services
from playback.http.errors import Conflict, as_http, exception_handler


@pytest.mark.parametrize(
    ("error", "status", "body"),
    [
        (
            services.RunRequestError({"flow_id": "No flow with id 9."}),
            400,
            {"flow_id": ["No flow with id 9."]},
        ),
        (
            services.RunRequestError({"settings": {"retry_per_step": "Must be 0 or more."}}),
            400,
            {"settings": {"retryPerStep": ["Must be 0 or more."]}},
        ),
        (services.RunConflict("Run 3 has ended."), 409, {"detail": "Run 3 has ended."}),
        (services.DeviceUnreachable("No answer."), 409, None),
        (services.IdempotencyConflict("Key used."), 409, {"detail": "Key used."}),
        (ProtectedError("used", set()), 409, None),
    ],
    ids=["request", "settings by key", "conflict", "unreachable", "idempotency", "protected"],
)
def test_each_service_error_has_one_answer(error, status, body):
    answer = exception_handler(error, {})
    assert answer.status_code == status
    if body is not None:
        assert answer.data == body
    assert isinstance(as_http(error), ValidationError if status == 400 else Conflict)


def test_any_other_error_is_left_to_the_server_error_page():
    assert exception_handler(KeyError("x"), {}) is None


def test_no_api_view_catches_a_service_error_itself():
    from pathlib import Path

    api = Path(__file__).resolve().parents[2] / "playback" / "api"
    for module in api.glob("*.py"):
        assert "except services." not in module.read_text(), module.name
