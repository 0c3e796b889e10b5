"""Our middlewares run in the async chain as in the sync one: under an ASGI server no
middleware is adapted onto the shared thread (issue 15's first step)."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.test import AsyncClient
from django.utils.module_loading import import_string

from config.logs import current_request_id


def test_every_middleware_runs_in_the_async_chain_unadapted():
    sync_only = [path for path in settings.MIDDLEWARE
                 if not getattr(import_string(path), "async_capable", False)]  # fmt: skip
    assert sync_only == []


@pytest.mark.django_db
def test_request_ids_slashes_and_limits_through_the_asgi_handler(user):
    from asgiref.sync import async_to_sync
    from rest_framework.authtoken.models import Token

    token = Token.objects.create(user=user).key
    async_to_sync(through_asgi)(AsyncClient(), {"Authorization": f"Token {token}"})


async def through_asgi(client: AsyncClient, auth: dict[str, str]) -> None:
    answer = await client.get("/api/flows", headers={**auth, "X-Request-ID": "abc-123"})
    assert answer.status_code == 200, answer.content  # served as /api/flows/ (no redirect)
    assert answer["X-Request-ID"] == "abc-123"
    assert current_request_id.get() is None  # reset once the request ended
    fresh = await client.get("/api/flows/", headers=auth)
    assert len(fresh["X-Request-ID"]) == 32
    assert (await client.get("/api/flows/%00", headers=auth)).status_code == 400
    big = await client.post("/api/flows/", data=b"x" * (settings.PLAYBACK_MAX_BODY_BYTES + 1),
                            content_type="application/json", headers=auth)  # fmt: skip
    assert big.status_code == 413
