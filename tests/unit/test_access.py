"""Who may do what, on every API route and admin page: anonymous, the viewer, runner
and editor groups (staff members), and a superuser. The API asks for the same
model permissions as the admin (playback/access.py)."""

from __future__ import annotations

import pytest
from django.core.files.base import ContentFile
from rest_framework.test import APIClient

from playback import services
from playback.devices import queue as devices_queue
from playback.models import Run, StepResult
from tests.helpers import tap

pytestmark = pytest.mark.django_db

ROLES = ["anonymous", "viewer", "runner", "editor", "superuser"]
# What each route needs: "auth" any signed-in user, else the level of the group.
LEVEL = {"auth": 1, "view": 1, "run": 2, "edit": 3}
RANK = {"anonymous": 0, "viewer": 1, "runner": 2, "editor": 3, "superuser": 4}

FLOW = {"name": "New", "platform": "sim", "app_id": "a", "steps": [tap("ok")]}
DEVICE = {"device_id": "new-1", "platform": "sim", "appium_url": "http://127.0.0.1:4723"}

# (route, needs, method, path, body, the answer when allowed)
API = [
    ("runs list", "view", "get", "/api/playback/runs/", None, 200),
    ("a run", "view", "get", "/api/playback/runs/{run}/", None, 200),
    ("a screenshot", "view", "get", "/api/playback/runs/{run}/steps/1/screenshot", None, 200),
    ("start", "run", "post", "/api/playback/start", "start", 202),
    ("rerun", "run", "post", "/api/playback/runs/{run}/rerun/", None, 202),
    ("cancel", "run", "post", "/api/playback/runs/{queued}/cancel/", None, 200),
    ("flows list", "view", "get", "/api/flows/", None, 200),
    ("a flow", "view", "get", "/api/flows/{flow}/", None, 200),
    ("create a flow", "edit", "post", "/api/flows/", FLOW, 201),
    ("replace a flow", "edit", "put", "/api/flows/{spare_flow}/", FLOW, 200),
    ("delete a flow", "edit", "delete", "/api/flows/{spare_flow}/", None, 204),
    ("devices list", "view", "get", "/api/devices/", None, 200),
    ("create a device", "edit", "post", "/api/devices/", DEVICE, 201),
    ("change a device", "edit", "patch", "/api/devices/spare/", {"name": "x"}, 200),
    ("delete a device", "edit", "delete", "/api/devices/spare/", None, 204),
    ("batches list", "view", "get", "/api/playback/batches/", None, 200),
    ("a batch", "view", "get", "/api/playback/batches/{batch}/", None, 200),
    ("the schema", "auth", "get", "/api/schema/", None, 200),
    ("the docs", "auth", "get", "/api/docs/", None, 200),
]
ADMIN = [
    ("admin: runs", "view", "get", "/admin/playback/run/", None, 200),
    ("admin: a run", "view", "get", "/admin/playback/run/{run}/change/", None, 200),
    ("admin: a thumbnail", "view", "get", "/admin/playback/run/{run}/steps/1/thumbnail/",
     None, 200),
    ("admin: re-run", "run", "post", "/admin/playback/run/{run}/rerun/", None, 302),
    ("admin: cancel", "run", "post", "/admin/playback/run/{queued}/cancel/", None, 302),
    ("admin: flows", "view", "get", "/admin/flows/flow/", None, 200),
    ("admin: a flow", "view", "get", "/admin/flows/flow/{flow}/change/", None, 200),
    ("admin: play a flow", "run", "get", "/admin/flows/flow/{flow}/play/", None, 200),
    ("admin: add a flow", "edit", "get", "/admin/flows/flow/add/", None, 200),
    ("admin: devices", "view", "get", "/admin/playback/device/", None, 200),
    ("admin: a device", "view", "get", "/admin/playback/device/{device}/change/", None, 200),
    ("admin: add a device", "edit", "get", "/admin/playback/device/add/", None, 200),
    ("admin: batches", "view", "get", "/admin/playback/batch/", None, 200),
    ("admin: a batch", "view", "get", "/admin/playback/batch/{batch}/change/", None, 200),
    ("admin: cancel a batch", "run", "post", "/admin/playback/batch/{batch}/cancel/", None, 302),
    ("admin: re-run a batch's failed", "run", "post",
     "/admin/playback/batch/{batch}/rerun-failed/", None, 302),
]  # fmt: skip


@pytest.fixture(autouse=True)
def private_api_docs(settings):
    """As in production: the schema and docs need a sign-in too."""
    settings.PLAYBACK_PUBLIC_API_DOCS = False


@pytest.fixture
def world(flow, device, make_flow, make_device):
    finished = services.start_run(flow=flow, device=device, foreground=True)
    Run.objects.filter(pk=finished.pk).update(status="failed")
    result = StepResult(run=finished, step_number=1, action="tap", status="fail")
    result.screenshot.save("s.png", ContentFile(b"\x89PNG"), save=False)
    result.save()
    queued = services.start_run(flow=flow, device=device)
    devices_queue.dispatch_next(device_pk=device.pk)
    return {
        "run": finished.pk,
        "queued": queued.pk,
        "flow": flow.pk,
        "device": device.pk,
        "spare_flow": make_flow([tap("ok")], name="Spare").pk,
        "spare_device": make_device("http://127.0.0.1:4723", device_id="spare").pk,
        "start": {"flow_id": flow.pk, "device_id": device.device_id},
        "batch": services.start_batch(flows=[flow.pk], devices=[device.device_id]).pk,
    }


@pytest.fixture
def as_role(member, django_user_model):
    def client_for(role: str, *, admin: bool) -> APIClient:
        client = APIClient()
        if role == "superuser":
            client.force_login(django_user_model.objects.create_superuser("root"))
        elif role != "anonymous":
            client.force_login(member(role, staff=True))
        return client

    return client_for


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(
    ("needs", "method", "path", "body", "allowed"),
    [route[1:] for route in API + ADMIN],
    ids=[route[0] for route in API + ADMIN],
)
def test_each_role_may_do_what_its_group_allows(
    world, as_role, role, needs, method, path, body, allowed
):
    admin = path.startswith("/admin/")
    client = as_role(role, admin=admin)
    url = path.format(**world)
    data = world[body] if isinstance(body, str) else body
    response = getattr(client, method)(url, data, format="json")
    if role == "anonymous":
        expected = 302 if admin else 401  # the admin sends people to its login page
    elif RANK[role] >= LEVEL[needs]:
        expected = allowed
    else:
        expected = 403
    assert response.status_code == expected, response.content[:300]


def test_a_staff_user_without_a_group_can_change_nothing_through_the_api(django_user_model, world):
    client = APIClient()
    client.force_login(django_user_model.objects.create_user("staff", is_staff=True))
    assert client.post("/api/flows/", FLOW, format="json").status_code == 403
    assert client.get("/api/playback/runs/").status_code == 403
    assert client.get("/admin/playback/run/").status_code == 403
