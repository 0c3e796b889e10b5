"""The REST API: every status code and validation message, the documented shapes."""

from __future__ import annotations

from dataclasses import replace

import pytest
from django.core.files.base import ContentFile
from django.core.management import call_command
from django.test import RequestFactory
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from flows.models import Flow
from playback import services
from playback.devices import queue as devices_queue
from playback.models import Device, Run, StepResult
from playback.runs import lifecycle

pytestmark = pytest.mark.django_db

SEED_SETTINGS = {
    "restartApp": True,
    "clearData": False,
    "retryPerStep": 1,
    "failureBehaviour": "stop",
    "captureScreenshots": True,
}
TAP = {"action": "tap", "locator": {"using": "id", "value": "ok"}}


def start(api, body, query=""):
    return api.post(f"/api/playback/start{query}", body, format="json")


# --- POST /api/playback/start ------------------------------------------------------------
def test_the_seeds_request_queues_a_run_202_with_location(api, flow, device, user):
    response = start(
        api, {"flow_id": flow.pk, "device_id": "emulator-5554", "settings": SEED_SETTINGS}
    )
    assert response.status_code == 202
    body = response.json()
    run = Run.objects.get()
    assert response["Location"] == f"http://testserver/api/playback/runs/{run.pk}/"
    assert body["run_id"] == run.pk
    assert body["status"] == "queued"
    assert body["settings"] == {
        **SEED_SETTINGS,
        "runTimeoutSeconds": 1800,
        "recordVideo": "off",
        "updateBaselines": False,
    }
    assert body["flow_id"] == flow.pk and body["device_id"] == "emulator-5554"
    assert body["total_steps"] == 3
    assert body["steps"] == []
    assert run.requested_by == user


def test_the_old_request_without_settings_takes_the_defaults(api, flow, device):
    response = start(api, {"flow_id": flow.pk, "device_id": "emulator-5554"})
    assert response.status_code == 202
    assert response.json()["settings"] == {
        "restartApp": True,
        "clearData": False,
        "retryPerStep": 0,
        "failureBehaviour": "stop",
        "captureScreenshots": True,
        "runTimeoutSeconds": 1800,
        "recordVideo": "off",  # the server's default (PLAYBACK_RECORD_VIDEO; tests: off)
        "updateBaselines": False,
    }


def test_a_run_timeout_can_be_set_per_run_up_to_the_servers_limit(api, flow, device, settings):
    body = {"flow_id": flow.pk, "device_id": device.device_id}
    ok = start(api, {**body, "settings": {"runTimeoutSeconds": 90}})
    assert ok.json()["settings"]["runTimeoutSeconds"] == 90
    settings.PLAYBACK_MAX_RUN_TIMEOUT_S = 600
    too_long = start(api, {**body, "settings": {"runTimeoutSeconds": 601}})
    assert too_long.status_code == 400
    assert too_long.json()["settings"]["runTimeoutSeconds"] == [
        "Must be from 1 to 600 seconds (got 601)."
    ]


def test_the_path_with_a_trailing_slash_works_too(api, flow, device):
    response = api.post(
        "/api/playback/start/", {"flow_id": flow.pk, "device_id": device.device_id}, format="json"
    )
    assert response.status_code == 202


def test_retries_above_three_are_capped(api, flow, device):
    body = {"flow_id": flow.pk, "device_id": device.device_id, "settings": {"retryPerStep": 7}}
    assert start(api, body).json()["settings"]["retryPerStep"] == 3


@pytest.mark.parametrize(
    ("given", "key", "message"),
    [
        ({"failureBehavior": "stop"}, "failureBehavior", "did you mean 'failureBehaviour'?"),
        ({"retryPerStep": -1}, "retryPerStep", "Must be 0 or more (got -1)"),
        ({"retryPerStep": "2"}, "retryPerStep", "Must be a whole number from 0 to 3 (got '2')"),
        ({"retryPerStep": 1.5}, "retryPerStep", "Must be a whole number from 0 to 3 (got 1.5)"),
        ({"restartApp": "yes"}, "restartApp", "Must be true or false (got 'yes')"),
        ({"clearData": 0}, "clearData", "Must be true or false (got 0)"),
        ({"captureScreenshots": "false"}, "captureScreenshots", "Must be true or false"),
        ({"failureBehaviour": "halt"}, "failureBehaviour", "Must be one of stop, skip, continue"),
        ({"recordVideo": "sometimes"}, "recordVideo", "Must be one of off, failed, always"),
        ({"recordVideo": True}, "recordVideo", "Must be one of off, failed, always (got True)"),
        ({"recordVideos": "off"}, "recordVideos", "did you mean 'recordVideo'?"),
    ],
)
def test_bad_settings_are_400_with_a_field_level_message(api, flow, device, given, key, message):
    response = start(api, {"flow_id": flow.pk, "device_id": device.device_id, "settings": given})
    assert response.status_code == 400
    errors = response.json()["settings"][key]
    assert len(errors) == 1 and message in errors[0]
    assert not Run.objects.exists()


def test_settings_that_are_not_an_object_are_400(api, flow, device):
    response = start(api, {"flow_id": flow.pk, "device_id": device.device_id, "settings": [1]})
    assert response.status_code == 400
    assert "Must be an object" in response.json()["settings"]["settings"][0]


@pytest.mark.parametrize(
    ("body", "key", "message"),
    [
        ({"device_id": "emulator-5554"}, "flow_id", "This field is required."),
        ({"flow_id": 1}, "device_id", "This field is required."),
        ({"flow_id": "abc", "device_id": "emulator-5554"}, "flow_id", "A valid integer"),
        ({"flow_id": 0, "device_id": "emulator-5554"}, "flow_id", "greater than or equal to 1"),
        ({"flow_id": 999, "device_id": "emulator-5554"}, "flow_id", "No flow with id 999."),
        ({"flow_id": "{flow}", "device_id": "nope"}, "device_id", "No device with device id 'n"),
        ({"flow_id": "{flow}", "device_id": "emulator-5554", "flowId": 1}, "flowId",
         "Unknown field. Allowed: flow_id, device_id, settings, queue_if_unreachable."),
        # Ids are JSON integers and strings exactly as stored, as strict as settings.
        ({"flow_id": "{flow}.0", "device_id": "emulator-5554"}, "flow_id", "A valid integer"),
        ({"flow_id": " {flow} ", "device_id": "emulator-5554"}, "flow_id", "A valid integer"),
        ({"flow_id": "{flow}str", "device_id": "emulator-5554"}, "flow_id", "A valid integer"),
        ({"flow_id": True, "device_id": "emulator-5554"}, "flow_id", "A valid integer"),
        ({"flow_id": "{flow}", "device_id": " emulator-5554 "}, "device_id",
         "no surrounding spaces"),
        ({"flow_id": "{flow}", "device_id": 4.0}, "device_id", "a JSON string (got 4.0)"),
        ({"flow_id": "{flow}", "device_id": None}, "device_id", "a JSON string (got None)"),
    ],
)  # fmt: skip
def test_bad_requests_are_400_naming_the_field(api, flow, device, body, key, message):
    shapes = {"{flow}": flow.pk, "{flow}.0": float(flow.pk), " {flow} ": f" {flow.pk} ",
              "{flow}str": str(flow.pk)}  # fmt: skip
    body = {k: (shapes[v] if isinstance(v, str) and v in shapes else v) for k, v in body.items()}
    response = start(api, body)
    assert response.status_code == 400
    assert message in response.json()[key][0]


def test_a_disabled_device_is_400(api, flow, device):
    Device.objects.filter(pk=device.pk).update(enabled=False)
    response = start(api, {"flow_id": flow.pk, "device_id": device.device_id})
    assert response.status_code == 400
    assert response.json()["device_id"] == [
        "Device emulator-5554 is disabled; enable it or pick another."
    ]


def test_a_flow_with_no_steps_is_400(api, flow, device):
    flow.steps.all().delete()
    response = start(api, {"flow_id": flow.pk, "device_id": device.device_id})
    assert response.status_code == 400
    assert "has no steps to play" in response.json()["flow_id"][0]


def test_a_device_of_another_platform_is_400(api, flow, make_device):
    make_device("http://127.0.0.1:4723", device_id="iphone", platform="ios")
    response = start(api, {"flow_id": flow.pk, "device_id": "iphone"})
    assert response.status_code == 400
    assert "is a ios device but flow" in response.json()["device_id"][0]


@pytest.mark.parametrize(
    ("content", "content_type"),
    [
        ("{not json", "application/json"),
        ("[1, 2]", "application/json"),
        ('"a string"', "application/json"),
    ],
)
def test_malformed_bodies_are_400(api, content, content_type):
    response = api.post("/api/playback/start", content, content_type=content_type)
    assert response.status_code == 400


@pytest.mark.parametrize("wait", ["abc", "-1", "301", "1.5"])
def test_a_bad_wait_is_400(api, flow, device, wait):
    response = start(api, {"flow_id": flow.pk, "device_id": device.device_id}, f"?wait={wait}")
    assert response.status_code == 400
    assert response.json()["wait"] == ["Must be a whole number of seconds from 0 to 300."]
    assert not Run.objects.exists()


def test_wait_answers_202_with_the_run_as_it_stands_when_time_runs_out(api, flow, device):
    response = start(api, {"flow_id": flow.pk, "device_id": device.device_id}, "?wait=1")
    assert response.status_code == 202
    assert response.json()["status"] == "queued"


# --- runs --------------------------------------------------------------------------------
def finished_run(flow, device, statuses=("pass", "flaky", "fail"), **fields) -> Run:
    run = services.start_run(flow=flow, device=device, foreground=True)
    Run.objects.filter(pk=run.pk).update(status=fields.pop("status", "partial_success"), **fields)
    for number, status in enumerate(statuses, start=1):
        result = StepResult(
            run=run, step_number=number, action="tap", status=status, attempts=2,
            attempt_errors=["Element not found"] if status != "pass" else [],
            error="Passed on attempt 2; attempt 1 failed: Element not found",
        )  # fmt: skip
        result.screenshot.save("s.png", ContentFile(b"\x89PNG\r\n\x1a\nfake"), save=False)
        result.save()
    return Run.objects.get(pk=run.pk)


def test_a_run_has_the_seeds_fields_and_ours(api, flow, device):
    run = finished_run(flow, device)
    body = api.get(f"/api/playback/runs/{run.pk}/").json()
    assert set(body) >= {
        "run_id", "flow_id", "device_id", "status", "settings", "total_steps",
        "successful_steps", "flaky_steps", "failed_steps", "skipped_steps", "blocked_steps",
        "duration_ms", "queued_at", "started_at", "finished_at", "error", "steps",
        "cancel_requested", "flow_name", "device_name", "media_bytes", "media_pruned_at",
    }  # fmt: skip
    assert (body["flow_name"], body["device_id"]) == (flow.name, device.device_id)
    step = body["steps"][1]
    assert set(step) == {
        "step", "action", "summary", "definition", "status", "attempts", "duration_ms",
        "error", "attempt_errors", "attempt_log", "screenshot", "screenshot_pruned",
        "screenshot_simulated", "quarantined", "visual",
    }  # fmt: skip
    assert step["status"] == "flaky"
    assert step["attempt_errors"] == ["Element not found"]
    shot = f"http://testserver/api/playback/runs/{run.pk}/steps/2/screenshot?sig="
    assert step["screenshot"].startswith(shot)  # signed: an <img src> needs no token


def test_a_missing_run_is_404(api):
    assert api.get("/api/playback/runs/999/").status_code == 404


def test_runs_are_listed_newest_first_without_steps_and_paginated(api, flow, device):
    runs = [finished_run(flow, device) for _ in range(3)]
    body = api.get("/api/playback/runs/").json()
    assert body["count"] == 3
    assert [r["run_id"] for r in body["results"]] == [r.pk for r in reversed(runs)]
    assert "steps" not in body["results"][0]


def test_runs_filter_by_status_flow_device_and_dates(api, flow, device, make_flow, make_device):
    other_flow = make_flow([TAP])
    other_device = make_device("http://127.0.0.1:4723", device_id="other")
    failed = finished_run(flow, device, status="failed", queued_at="2026-01-02T00:00:00Z")
    ok = finished_run(other_flow, device, status="success", queued_at="2026-02-02T00:00:00Z")
    error = finished_run(flow, other_device, status="error", queued_at="2026-03-02T00:00:00Z")

    def ids(query):
        response = api.get(f"/api/playback/runs/?{query}")
        assert response.status_code == 200, response.json()
        return {r["run_id"] for r in response.json()["results"]}

    assert ids("status=failed") == {failed.pk}
    assert ids("status=failed&status=error") == {failed.pk, error.pk}
    assert ids(f"flow={flow.pk}") == {failed.pk, error.pk}
    assert ids("device=other") == {error.pk}
    assert ids("queued_after=2026-01-15T00:00:00Z") == {ok.pk, error.pk}
    assert ids("queued_after=2026-01-15T00:00:00Z&queued_before=2026-03-01T00:00:00Z") == {ok.pk}


@pytest.mark.parametrize("query", ["status=exploded", "flow=abc", "queued_after=yesterday"])
def test_bad_run_filters_are_400(api, query):
    response = api.get(f"/api/playback/runs/?{query}")
    assert response.status_code == 400
    assert response.json()


def test_rerun_queues_the_same_flow_device_and_settings(api, flow, device, user):
    run = finished_run(flow, device)
    Run.objects.filter(pk=run.pk).update(settings=replace(run.settings, retry_per_step=2))
    response = api.post(f"/api/playback/runs/{run.pk}/rerun/")
    assert response.status_code == 202
    body = response.json()
    assert body["rerun_of"] == run.pk
    assert body["settings"]["retryPerStep"] == 2
    new = Run.objects.get(pk=body["run_id"])
    assert (new.flow_id, new.device_id, new.requested_by) == (flow.pk, device.pk, user)


def test_rerun_on_a_now_disabled_device_is_400(api, flow, device):
    run = finished_run(flow, device)
    Device.objects.filter(pk=device.pk).update(enabled=False)
    response = api.post(f"/api/playback/runs/{run.pk}/rerun/")
    assert response.status_code == 400
    assert "disabled" in response.json()["device_id"][0]


def test_cancel_a_queued_run_then_again_is_409(api, flow, device):
    run = services.start_run(flow=flow, device=device)
    response = api.post(f"/api/playback/runs/{run.pk}/cancel/")
    assert response.status_code == 200
    assert response.json()["status"] == "cancelled"
    assert response.json()["cancel_requested"] is True
    assert response.json()["error"] == "Cancelled by qa before it started"
    assert {s["status"] for s in response.json()["steps"]} == {"skipped"}
    again = api.post(f"/api/playback/runs/{run.pk}/cancel/")
    assert again.status_code == 409
    assert again.json() == {
        "detail": f"Run {run.pk} has already ended (cancelled); nothing to cancel."
    }


def test_cancelling_a_running_run_answers_while_the_step_in_flight_finishes(api, flow, device):
    run = services.start_run(flow=flow, device=device, foreground=True)
    devices_queue.dispatch_next(device_pk=device.pk)
    lifecycle.claim(run.pk)
    response = api.post(f"/api/playback/runs/{run.pk}/cancel/")
    assert response.status_code == 200
    body = response.json()
    assert (body["status"], body["cancel_requested"], body["error"]) == ("running", True, None)
    assert Run.objects.get(pk=run.pk).cancelled_by.username == "qa"


def test_a_bad_settings_body_and_a_disabled_device_are_reported_together(api, flow, device):
    Device.objects.filter(pk=device.pk).update(enabled=False)
    body = {"flow_id": flow.pk, "device_id": device.device_id, "settings": {"retryPerStep": -1}}
    errors = start(api, body).json()
    assert set(errors) == {"settings", "device_id"}
    assert "is disabled" in errors["device_id"][0]


def test_screenshots_are_served_to_authenticated_users_only(api, flow, device):
    run = finished_run(flow, device)
    url = f"/api/playback/runs/{run.pk}/steps/1/screenshot"
    response = api.get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert b"".join(response.streaming_content).startswith(b"\x89PNG")
    assert APIClient().get(url).status_code == 401
    assert api.get(f"/api/playback/runs/{run.pk}/steps/9/screenshot").status_code == 404


def test_a_screenshot_whose_file_is_gone_is_404_not_500(api, flow, device):
    run = finished_run(flow, device)
    result = run.step_results.get(step_number=1)
    result.screenshot.storage.delete(result.screenshot.name)
    assert api.get(f"/api/playback/runs/{run.pk}/steps/1/screenshot").status_code == 404


# --- flows -------------------------------------------------------------------------------
FLOW = {
    "name": "Checkout",
    "platform": "android",
    "app_id": "com.example.shop",
    "steps": [TAP, {"action": "swipe", "start_x": 1, "start_y": 2, "end_x": 3, "end_y": 4}],
}


def test_flows_crud_with_nested_ordered_steps(api):
    created = api.post("/api/flows/", FLOW, format="json")
    assert created.status_code == 201, created.json()
    flow_id = created.json()["id"]
    assert created.json()["steps"][1] == {
        "step": 2, "action": "swipe", "start_x": 1, "start_y": 2, "end_x": 3, "end_y": 4,
        "duration": 500,
    }  # fmt: skip
    assert api.get(f"/api/flows/{flow_id}/").json()["name"] == "Checkout"
    assert api.get("/api/flows/").json()["count"] == 1

    patched = api.patch(f"/api/flows/{flow_id}/", {"steps": [TAP]}, format="json")
    assert patched.status_code == 200
    assert len(patched.json()["steps"]) == 1 and patched.json()["name"] == "Checkout"

    replaced = api.put(f"/api/flows/{flow_id}/", {**FLOW, "name": "Checkout v2"}, format="json")
    assert replaced.status_code == 200
    assert Flow.objects.get().name == "Checkout v2"

    assert api.delete(f"/api/flows/{flow_id}/").status_code == 204
    assert not Flow.objects.exists()


@pytest.mark.parametrize(
    ("steps", "path", "message"),
    [
        ([{"action": "tap"}], "steps[0]", "A tap needs a locator or x and y screen coordinates."),
        ([{"action": "type"}], "steps[0].text", "Required: the text to type"),
        ([{"action": "fly"}], "steps[0].action", "Must be one of tap, swipe, type"),
    ],
)
def test_a_bad_step_is_400_with_its_path(api, steps, path, message):
    response = api.post("/api/flows/", {**FLOW, "steps": steps}, format="json")
    assert response.status_code == 400
    assert message in response.json()[path][0]
    assert not Flow.objects.exists()


def test_a_flows_tags_are_kept_patched_and_bad_ones_refused(api):
    created = api.post("/api/flows/", {**FLOW, "tags": ["Smoke", "checkout"]}, format="json")
    assert created.status_code == 201, created.json()
    flow_id = created.json()["id"]
    assert created.json()["tags"] == ["checkout", "smoke"]
    patched = api.patch(f"/api/flows/{flow_id}/", {"steps": [TAP]}, format="json")
    assert patched.json()["tags"] == ["checkout", "smoke"]  # a patch keeps what it omits
    patched = api.patch(f"/api/flows/{flow_id}/", {"tags": ["nightly"]}, format="json")
    assert patched.json()["tags"] == ["nightly"]
    bad = api.patch(f"/api/flows/{flow_id}/", {"tags": ["no spaces"]}, format="json")
    assert bad.status_code == 400 and "Tag 'no spaces'" in bad.json()["tags"][0]
    assert Flow.objects.get().tag_names() == ["nightly"]


def test_flow_names_are_unique(api):
    api.post("/api/flows/", FLOW, format="json")
    response = api.post("/api/flows/", FLOW, format="json")
    assert response.status_code == 400
    assert "already has this name" in response.json()["name"][0]


def test_a_flow_with_runs_cannot_be_deleted_409(api, flow, device):
    finished_run(flow, device)
    response = api.delete(f"/api/flows/{flow.pk}/")
    assert response.status_code == 409
    assert "run history" in response.json()["detail"]


# --- devices -----------------------------------------------------------------------------
def test_devices_crud_by_device_id(api):
    body = {
        "device_id": "192.168.1.5:5555",
        "platform": "android",
        "appium_url": "http://10.0.0.9:4723",
        "capabilities": {"appium:systemPort": 8201},
    }
    created = api.post("/api/devices/", body, format="json")
    assert created.status_code == 201, created.json()
    assert created.json()["enabled"] is True
    url = "/api/devices/192.168.1.5:5555/"
    assert api.get(url).json()["capabilities"] == {"appium:systemPort": 8201}
    assert api.patch(url, {"enabled": False}, format="json").json()["enabled"] is False
    assert api.delete(url).status_code == 204


@pytest.mark.parametrize(
    ("change", "key", "message"),
    [
        ({"platform": "tv"}, "platform", '"tv" is not a valid choice.'),
        ({"appium_url": "not a url"}, "appium_url", "Enter a valid URL."),
        ({"capabilities": [1]}, "capabilities", "Must be a JSON object of capabilities"),
        ({"device_id": ""}, "device_id", "This field may not be blank."),
    ],
)
def test_bad_devices_are_400(api, change, key, message):
    body = {"device_id": "d", "platform": "sim", "appium_url": "http://127.0.0.1:4723", **change}
    response = api.post("/api/devices/", body, format="json")
    assert response.status_code == 400
    assert message in response.json()[key][0]


def test_a_device_with_runs_cannot_be_deleted_409(api, flow, device):
    finished_run(flow, device)
    assert api.delete(f"/api/devices/{device.device_id}/").status_code == 409


def test_a_missing_device_is_404(api):
    assert api.get("/api/devices/nope/").status_code == 404


# --- auth, CORS, schema, docs --------------------------------------------------------------
@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("post", "/api/playback/start"),
        ("get", "/api/playback/runs/"),
        ("get", "/api/playback/runs/1/"),
        ("post", "/api/playback/runs/1/rerun/"),
        ("post", "/api/playback/runs/1/cancel/"),
        ("get", "/api/playback/runs/1/steps/1/screenshot"),
        ("get", "/api/flows/"),
        ("post", "/api/flows/"),
        ("get", "/api/devices/"),
    ],
)
def test_anonymous_requests_are_401(method, url):
    response = getattr(APIClient(), method)(url)
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"


def test_a_revoked_token_is_401(api, user):
    Token.objects.filter(user=user).delete()
    assert api.get("/api/flows/").status_code == 401


def test_session_auth_works_for_a_logged_in_user(user):
    client = APIClient()
    signing_in = RequestFactory().post("/admin/login/")  # django-axes counts by request
    assert client.login(request=signing_in, username="qa", password="pw")
    assert client.get("/api/flows/").status_code == 200


@pytest.mark.parametrize(
    "origin", ["http://localhost:5173", "http://127.0.0.1:5173", "http://localhost:3000",
               "http://127.0.0.1"],
)  # fmt: skip
def test_in_development_a_local_dev_server_may_start_runs_with_an_idempotency_key(client, origin):
    response = client.options(
        "/api/playback/start",
        HTTP_ORIGIN=origin,
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST",
        HTTP_ACCESS_CONTROL_REQUEST_HEADERS="authorization,content-type,idempotency-key",
    )
    assert response["Access-Control-Allow-Origin"] == origin
    assert "idempotency-key" in response["Access-Control-Allow-Headers"]


@pytest.mark.parametrize(
    "origin", ["http://localhost.evil.example", "https://127.0.0.1.nip.io", "http://10.0.0.5:5173"]
)
def test_origins_that_only_look_local_are_not_let_in(client, origin):
    response = client.options(
        "/api/playback/start", HTTP_ORIGIN=origin, HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST"
    )
    assert "Access-Control-Allow-Origin" not in response


def test_cors_lets_the_frontend_origin_in_and_exposes_location(client, settings):
    response = client.options(
        "/api/playback/start",
        HTTP_ORIGIN="http://localhost:5173",
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST",
        HTTP_ACCESS_CONTROL_REQUEST_HEADERS="authorization,content-type",
    )
    assert response["Access-Control-Allow-Origin"] == "http://localhost:5173"
    assert "authorization" in response["Access-Control-Allow-Headers"]
    other = client.options(
        "/api/playback/start",
        HTTP_ORIGIN="http://evil.example",
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST",
    )
    assert "Access-Control-Allow-Origin" not in other


def test_the_openapi_schema_validates_and_describes_every_endpoint(api):
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", "/dev/null")
    schema = api.get("/api/schema/?format=json").json()
    paths = schema["paths"]
    assert set(paths) == {
        "/api/playback/start/",
        "/api/devices/{device_id}/probe/",
        "/api/playback/media/",
        "/api/playback/runs/",
        "/api/playback/runs/{id}/",
        "/api/playback/runs/{id}/rerun/",
        "/api/playback/runs/{id}/cancel/",
        "/api/playback/runs/{run_id}/video",
        *(
            f"/api/playback/runs/{{run_id}}/steps/{{step}}/{attempt}visual/{kind}"
            for kind in ("baseline", "actual", "diff")
            for attempt in ("", "attempts/{attempt}/")
        ),
        "/api/baselines/",
        "/api/baselines/{id}/",
        "/api/baselines/{id}/approve/",
        "/api/baselines/{id}/image",
        "/api/playback/runs/{run_id}/steps/{step}/screenshot",
        "/api/playback/runs/{run_id}/steps/{step}/attempts/{attempt}/screenshot",
        "/api/playback/runs/{run_id}/steps/{step}/attempts/{attempt}/source",
        "/api/flows/",
        "/api/flows/{id}/",
        "/api/flows/{id}/export/maestro/",
        "/api/flows/import/maestro/",
        "/api/flows/{id}/stats/",
        "/api/insights/flaky-steps/",
        "/api/insights/failure-groups/",
        "/api/insights/failure-groups/{key}/",
        "/api/insights/categories/",
        "/api/quarantines/",
        "/api/quarantines/{id}/",
        "/api/flows/{id}/verify/",
        "/api/playback/runs/{id}/allure.zip",
        "/api/playback/batches/{id}/allure.zip",
        "/api/devices/",
        "/api/devices/{device_id}/",
        "/api/playback/runs/{id}/junit.xml",
        "/api/playback/runs/{id}/report.html",
        "/api/playback/batches/{id}/report.html",
        "/api/playback/batches/",
        "/api/playback/batches/{id}/",
        "/api/playback/batches/{id}/cancel/",
        "/api/playback/batches/{id}/rerun-failed/",
        "/api/playback/batches/{id}/junit.zip",
        "/api/playback/runs/{id}/events",
        "/api/playback/batches/{id}/events",
    }
    start_op = paths["/api/playback/start/"]["post"]
    assert start_op["requestBody"]["content"]["application/json"]["schema"]["$ref"].endswith(
        "StartRunRequest"
    )
    assert {"200", "202", "400"} <= set(start_op["responses"])
    run_schema = schema["components"]["schemas"]["Run"]["properties"]
    assert {"run_id", "flaky_steps", "blocked_steps", "steps", "settings"} <= set(run_schema)
    for path, operations in paths.items():
        for method, operation in operations.items():
            assert operation["responses"], f"{method} {path} has no response"


def test_swagger_ui_is_served_from_local_assets():
    page = APIClient().get("/api/docs/").content.decode()
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/" in page
    assert "cdn." not in page and "unpkg" not in page


def test_the_docs_and_schema_are_public_in_development_and_need_a_sign_in_otherwise(api, settings):
    anonymous = APIClient()
    assert anonymous.get("/api/docs/").status_code == 200
    assert anonymous.get("/api/schema/").status_code == 200
    settings.PLAYBACK_PUBLIC_API_DOCS = False
    assert anonymous.get("/api/schema/").status_code == 401
    assert anonymous.get("/api/docs/").status_code == 401
    assert api.get("/api/schema/").status_code == 200  # a token is enough
    assert api.get("/api/docs/").status_code == 200


def test_a_rerun_body_overrides_the_settings_it_names(api, flow, device):
    run = finished_run(flow, device)
    response = api.post(
        f"/api/playback/runs/{run.pk}/rerun/",
        {"settings": {"retryPerStep": 2, "failureBehaviour": "continue"}},
        format="json",
    )
    assert response.status_code == 202
    settings = response.json()["settings"]
    assert (settings["retryPerStep"], settings["failureBehaviour"]) == (2, "continue")
    assert settings["restartApp"] is run.settings.restart_app  # the others are the original's


@pytest.mark.parametrize(
    ("body", "key"),
    [
        ({"settings": {"retryPerStep": -1}}, "settings"),
        ({"settings": {"retryPerStap": 1}}, "settings"),
        ({"device_id": "other"}, "device_id"),
        ([1], "non_field_errors"),
    ],
)
def test_a_rerun_body_that_cannot_be_used_is_a_400_not_ignored(api, flow, device, body, key):
    run = finished_run(flow, device)
    response = api.post(f"/api/playback/runs/{run.pk}/rerun/", body, format="json")
    assert response.status_code == 400
    assert key in response.json()
    assert not Run.objects.filter(rerun_of=run).exists()


def test_runs_filter_by_flakiness_order_and_page_size(api, flow, device):
    flaky = finished_run(flow, device, ("pass", "flaky"), duration_ms=500)
    clean = finished_run(flow, device, ("pass", "pass"), duration_ms=100)
    Run.objects.filter(pk=flaky.pk).update(flaky_steps=1)

    def ids(query):
        return [r["run_id"] for r in api.get(f"/api/playback/runs/?{query}").json()["results"]]

    assert ids("flaky=true") == [flaky.pk]
    assert ids("flaky=false") == [clean.pk]
    assert ids("ordering=duration_ms") == [clean.pk, flaky.pk]
    assert ids("ordering=-duration_ms") == [flaky.pk, clean.pk]
    page = api.get("/api/playback/runs/?page_size=1").json()
    assert len(page["results"]) == 1 and page["count"] == 2 and page["next"]


@pytest.mark.parametrize(
    ("query", "key"),
    [
        ("flaky=maybe", "flaky"),
        ("ordering=colour", "ordering"),
        ("page_size=201", "page_size"),
        ("page_size=0", "page_size"),
        ("page_size=ten", "page_size"),
        ("colour=red", "colour"),
        ("statuss=failed", "statuss"),
    ],
)
def test_an_unknown_filter_or_value_is_a_400_not_ignored(api, query, key):
    response = api.get(f"/api/playback/runs/?{query}")
    assert response.status_code == 400
    assert key in response.json()


def test_a_queued_run_says_why_it_waits(api, flow, device):
    first = services.start_run(flow=flow, device=device)
    devices_queue.dispatch_next(device_pk=device.pk)
    second = services.start_run(flow=flow, device=device)
    body = api.get(f"/api/playback/runs/{second.pk}/").json()
    assert body["waiting"] == (
        f"Device emulator-5554 is given to run #{first.pk}, which waits for a worker to start it."
    )
    lifecycle.claim(first.pk)
    body = api.get(f"/api/playback/runs/{second.pk}/").json()
    assert body["waiting"] == f"Device emulator-5554 is playing run #{first.pk}."
    assert api.get(f"/api/playback/runs/{first.pk}/").json()["waiting"] is None
