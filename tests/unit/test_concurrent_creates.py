"""The same flow name or device id created at once: one is created, the rest are told
it already exists (no 500, nothing replaced)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection
from rest_framework.test import APIClient

from flows.models import Flow
from playback.models import Device

pytestmark = pytest.mark.django_db(transaction=True)


def post_at_once(user, path: str, bodies: list[dict]) -> list[tuple[int, dict]]:
    def post(body):
        client = APIClient()
        client.force_authenticate(user)
        try:
            response = client.post(path, body, format="json")
            return response.status_code, response.json()
        finally:
            connection.close()  # this thread's own connection

    with ThreadPoolExecutor(max_workers=len(bodies)) as pool:
        return list(pool.map(post, bodies))


def test_one_flow_of_a_name_is_created_the_rest_are_told_it_exists(user):
    bodies = [
        {"name": "Login", "platform": "sim", "app_id": "a",
         "steps": [{"action": "tap", "x": i, "y": i}]}
        for i in range(8)
    ]  # fmt: skip
    answers = post_at_once(user, "/api/flows/", bodies)
    codes = sorted(code for code, _ in answers)
    assert codes == [201] + [400] * 7, answers
    created = next(body for code, body in answers if code == 201)
    assert all("already" in str(body["name"]) for code, body in answers if code == 400)
    flow = Flow.objects.get()
    assert flow.pk == created["id"]
    step = flow.steps.get()  # the created flow's own step, not another request's
    assert step.params == {k: v for k, v in created["steps"][0].items() if k in ("x", "y")}


def test_one_device_of_an_id_is_created_the_rest_are_told_it_exists(user):
    bodies = [
        {"device_id": "pixel", "platform": "sim", "appium_url": f"http://127.0.0.1:{4700 + i}"}
        for i in range(8)
    ]
    answers = post_at_once(user, "/api/devices/", bodies)
    assert sorted(code for code, _ in answers) == [201] + [400] * 7, answers
    assert all("already" in str(body["device_id"]) for code, body in answers if code == 400)
    created = next(body for code, body in answers if code == 201)
    assert Device.objects.get().appium_url == created["appium_url"]
