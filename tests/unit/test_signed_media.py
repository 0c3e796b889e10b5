"""A run's media by a signed link (<img src> sends no token): the run resource's
media URLs carry a signature for that run, its reader and their credential, for
PLAYBACK_MEDIA_LINK_MAX_AGE_S; expired, tampered, foreign or revoked: refused."""

from __future__ import annotations

import pytest
from django.core import signing
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from tests.unit.test_api import finished_run

pytestmark = pytest.mark.django_db


def signed_screenshot(api, run) -> str:
    url = api.get(f"/api/playback/runs/{run.pk}/").json()["steps"][0]["screenshot"]
    assert "?sig=" in url
    return url.removeprefix("http://testserver")


def test_a_signed_screenshot_url_opens_without_the_token(api, flow, device):
    url = signed_screenshot(api, finished_run(flow, device))
    response = APIClient().get(url)  # no credentials: what an <img src> sends
    assert response.status_code == 200
    assert b"".join(response.streaming_content).startswith(b"\x89PNG")
    assert APIClient().get(url.split("?")[0]).status_code == 401  # unsigned: the token


def test_a_tampered_expired_foreign_or_revoked_link_is_refused(api, user, flow, device, settings):
    run, other = finished_run(flow, device), finished_run(flow, device)
    url = signed_screenshot(api, run)
    path, sig = url.split("?sig=")
    anonymous = APIClient()
    assert anonymous.get(f"{path}?sig={sig[:-2]}xx").status_code == 401  # tampered
    foreign = f"/api/playback/runs/{other.pk}/steps/1/screenshot?sig={sig}"
    assert anonymous.get(foreign).status_code == 401  # another run's media
    events = signing.dumps(["run", run.pk, user.pk, "u"], salt="playback.live.events")
    assert anonymous.get(f"{path}?sig={events}").status_code == 401  # not a media link
    settings.PLAYBACK_MEDIA_LINK_MAX_AGE_S = -1
    assert anonymous.get(url).status_code == 401  # expired
    settings.PLAYBACK_MEDIA_LINK_MAX_AGE_S = 3600
    assert anonymous.get(url).status_code == 200
    Token.objects.filter(user=user).delete()  # the credential it was read with is gone
    answer = anonymous.get(url)
    assert answer.status_code == 401
    assert "read the run again" in answer.json()["detail"]


def test_a_runs_attempt_evidence_is_signed_too(api, flow, device):
    from playback.models import StepResult

    run = finished_run(flow, device)
    StepResult.objects.filter(run=run, step_number=2).update(
        attempt_log=[{"attempt": 1, "error": "x", "screenshot": "a.png", "source": "a.xml"}]
    )
    (entry,) = api.get(f"/api/playback/runs/{run.pk}/").json()["steps"][1]["attempt_log"]
    assert "?sig=" in entry["screenshot"] and "?sig=" in entry["source"]
