"""Signing in and calling the API cannot be hammered: failed admin logins are counted
per user and per address (django-axes, in the database), logged, and locked out
with a 429; passwords must not be common, numeric or like the user's name; the API
throttles per user, and what queues runs on its own `start` rate."""

from __future__ import annotations

import json
import logging

import pytest
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from rest_framework.throttling import SimpleRateThrottle

pytestmark = pytest.mark.django_db

LOGIN = "/admin/login/"


@pytest.fixture
def lead(django_user_model):
    return django_user_model.objects.create_user(
        "lead", password="a-long-Unusual-passphrase", is_staff=True, is_superuser=True
    )


def sign_in(client, username: str, password: str, address: str = "10.0.0.7"):
    return client.post(LOGIN, {"username": username, "password": password},
                       REMOTE_ADDR=address)  # fmt: skip


class Kept(logging.Handler):
    def __init__(self):
        super().__init__()
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


def test_after_five_wrong_passwords_the_right_one_is_refused_and_each_failure_logged(
    client, lead, settings
):
    from config.logs import JsonLineFormatter

    kept = Kept()
    kept.setFormatter(JsonLineFormatter())
    logging.getLogger("axes").addHandler(kept)  # beside the stderr one settings give it
    try:
        answers = [sign_in(client, "lead", "guess").status_code for _ in range(5)]
    finally:
        logging.getLogger("axes").removeHandler(kept)
    assert answers == [200] * 4 + [429]  # the form again, then locked at the fifth
    logged = [json.loads(line) for line in kept.lines]
    failures = [line for line in logged if "login failure by" in line["message"]]
    assert len(failures) == 5 and all(line["level"] == "WARNING" for line in failures)
    assert '"lead"' in failures[0]["message"] and "10.0.0.7" in failures[0]["message"]
    assert "guess" not in json.dumps(logged)
    locked = sign_in(client, "lead", "a-long-Unusual-passphrase")
    assert locked.status_code == 429
    assert int(locked["Retry-After"]) == settings.AXES_COOLOFF_TIME.total_seconds()
    assert "Too many failed sign-ins" in locked.content.decode()
    assert "_auth_user_id" not in client.session
    # From another address too: the user is locked, not only the address.
    assert sign_in(client, "lead", "a-long-Unusual-passphrase", "10.9.9.9").status_code == 429


def test_one_address_trying_many_users_is_locked_out(client, lead):
    for n in range(5):
        sign_in(client, f"user{n}", "guess", "10.0.0.8")
    assert sign_in(client, "lead", "a-long-Unusual-passphrase", "10.0.0.8").status_code == 429
    assert sign_in(client, "lead", "a-long-Unusual-passphrase", "10.0.0.9").status_code == 302


def test_a_right_password_before_the_limit_signs_in(client, lead):
    for _ in range(3):
        sign_in(client, "lead", "guess")
    assert sign_in(client, "lead", "a-long-Unusual-passphrase").status_code == 302


@pytest.mark.parametrize("password", ["password", "12345678", "qwerty123", "lead-lead-lead"])
def test_common_numeric_and_name_like_passwords_are_refused(lead, password):
    lead.username = "lead-lead-lead"
    with pytest.raises(ValidationError):
        validate_password(password, user=lead)


def test_a_sound_password_is_accepted(lead):
    validate_password("a-long-Unusual-passphrase", user=lead)


@pytest.fixture
def rates(monkeypatch):
    def set_rates(**rates: str) -> None:
        merged = {**SimpleRateThrottle.THROTTLE_RATES, **rates}
        monkeypatch.setattr(SimpleRateThrottle, "THROTTLE_RATES", merged)

    return set_rates


def test_the_api_answers_429_with_retry_after_past_a_users_rate(api, rates):
    rates(user="3/min")
    answers = [api.get("/api/flows/") for _ in range(4)]
    assert [a.status_code for a in answers] == [200, 200, 200, 429]
    assert int(answers[-1]["Retry-After"]) > 0
    assert "throttled" in answers[-1].json()["detail"].lower()


def test_starting_runs_has_its_own_rate_and_reading_goes_on(api, rates, flow, device):
    rates(start="2/min")
    body = {"flow_id": flow.pk, "device_id": device.device_id, "queue_if_unreachable": True}
    codes = [api.post("/api/playback/start", body, format="json").status_code for _ in range(3)]
    assert codes == [202, 202, 429]
    assert api.get("/api/playback/runs/").status_code == 200
