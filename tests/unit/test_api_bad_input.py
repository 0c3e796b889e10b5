"""Bad input everywhere is a clear 4xx, never a 500; double submits start one run."""

from __future__ import annotations

import json

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from flows.models import Flow
from playback.models import Device, Run

pytestmark = pytest.mark.django_db

TAP = {"action": "tap", "locator": {"using": "id", "value": "ok"}}


@pytest.fixture
def body(make_flow, make_device):
    flow = make_flow([TAP])
    make_device("http://127.0.0.1:4723", device_id="d1")
    return {"flow_id": flow.pk, "device_id": "d1", "settings": {"retryPerStep": 1}}


def start(api, body, key=None, **extra):
    headers = {"HTTP_IDEMPOTENCY_KEY": key} if key is not None else {}
    return api.post("/api/playback/start", body, format="json", **headers, **extra)


# --- Idempotency-Key ----------------------------------------------------------------------
def test_the_same_key_and_body_give_back_the_same_run(api, body):
    first = start(api, body, key="build-42")
    assert first.status_code == 202
    again = start(api, dict(reversed(list(body.items()))), key="build-42")  # key order differs
    assert again.status_code == 200
    assert again.json()["run_id"] == first.json()["run_id"]
    assert Run.objects.count() == 1


def test_the_same_key_with_another_body_is_409(api, body):
    first = start(api, body, key="build-42")
    other = start(api, {**body, "settings": {"retryPerStep": 2}}, key="build-42")
    assert other.status_code == 409
    assert other.json()["detail"] == (
        f"Idempotency-Key 'build-42' was already used for another request "
        f"(run {first.json()['run_id']}); use a new key for a new request."
    )
    assert Run.objects.count() == 1


def test_keys_belong_to_their_user(api, body, member):
    start(api, body, key="k")
    other = APIClient()
    other_user = member("runner", "other")
    other.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=other_user).key}")
    assert start(other, body, key="k").status_code == 202
    assert Run.objects.count() == 2


def test_a_bad_request_with_a_key_does_not_burn_the_key(api, body):
    assert start(api, {**body, "device_id": "nope"}, key="k").status_code == 400
    assert start(api, body, key="k").status_code == 202


@pytest.mark.parametrize("key", ["", "x" * 201, "tab\there"])
def test_a_malformed_key_is_400(api, body, key):
    response = start(api, body, key=key)
    assert response.status_code == 400
    assert response.json() == {"Idempotency-Key": ["Must be 1 to 200 printable characters."]}


# --- bodies ---------------------------------------------------------------------------------
def test_a_body_over_the_limit_is_413(api, settings):
    settings.PLAYBACK_MAX_BODY_BYTES = 1000
    response = api.post("/api/flows/", "x" * 2000, content_type="application/json")
    assert response.status_code == 413
    assert response.json() == {"detail": "The request body is 2000 bytes; the limit is 1000."}


def test_deeply_nested_json_is_400(api):
    response = api.post("/api/flows/", "[" * 50_000 + "]" * 50_000, content_type="application/json")
    assert response.status_code == 400
    assert "nested too deeply" in response.json()["detail"]


def test_a_huge_step_list_is_400(api):
    flow = {"name": "big", "platform": "sim", "app_id": "a", "steps": [TAP] * 1001}
    response = api.post("/api/flows/", flow, format="json")
    assert response.status_code == 400
    assert response.json()["steps"] == ["At most 1000 steps (got 1001)."]


def test_a_strategy_the_flows_platform_cannot_use_is_400_and_nothing_is_stored(api):
    step = {"action": "tap", "locator": {"using": "-android uiautomator", "value": "x"}}
    flow = {"name": "native only", "platform": "sim", "app_id": "a", "steps": [TAP, step]}
    response = api.post("/api/flows/", flow, format="json")
    assert response.status_code == 400
    (message,) = response.json()["steps[1].locator.using"]
    assert message.startswith("A sim flow cannot find elements by '-android uiautomator'")
    assert not Flow.objects.filter(name="native only").exists()


@pytest.mark.parametrize(
    "using", ["-android uiautomator", "class name", "-ios predicate string", "-ios class chain"]
)
def test_a_native_only_locator_on_a_web_flow_is_400(api, using):
    step = {"action": "tap", "locator": {"using": using, "value": "x"}}
    flow = {"name": "web", "platform": "web", "app_id": "https://shop.example/", "steps": [step]}
    response = api.post("/api/flows/", flow, format="json")
    assert response.status_code == 400
    (message,) = response.json()["steps[0].locator.using"]
    assert message == (
        f"A web flow cannot find elements by {using!r}: "
        "use one of css selector, xpath, id, accessibility id, text."
    )
    assert not Flow.objects.filter(name="web").exists()


@pytest.mark.parametrize(
    "app_id",
    ["com.playback.demo", "file:///etc/passwd", "javascript:alert(1)", "https://", "ftp://x/"],
)
def test_a_web_flows_app_id_must_be_an_http_start_url(api, app_id):
    flow = {"name": "web", "platform": "web", "app_id": app_id, "steps": [TAP]}
    response = api.post("/api/flows/", flow, format="json")
    assert response.status_code == 400
    (message,) = response.json()["app_id"]
    assert message.startswith("A web flow's app_id is its start URL: http:// or https://")
    assert not Flow.objects.filter(name="web").exists()


@pytest.mark.parametrize(
    ("content", "content_type", "code"),
    [
        ("flow_id=1&device_id=d1", "application/x-www-form-urlencoded", 415),
        ("<xml/>", "application/xml", 415),
        (b'{"flow_id": "\xff\xfe"}', "application/json", 400),
        ("", "application/json", 400),
    ],
)
def test_wrong_content_types_and_encodings_are_4xx(api, content, content_type, code):
    response = api.post("/api/playback/start", content, content_type=content_type)
    assert response.status_code == code
    assert response.json()  # says what is wrong: {"detail": ...} or per field


@pytest.mark.parametrize(
    "path",
    [
        "/api/playback/runs/99999999999999999999999/",
        "/api/playback/runs/abc/",
        "/api/playback/runs/-1/rerun/",
        "/api/flows/1e9/",
        "/api/playback/runs/1/steps/x/screenshot",
        "/api/nothing-here/",
    ],
)
def test_paths_that_name_nothing_are_json_404(api, path):
    response = api.get(path)
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json()["detail"]


def test_ids_beyond_the_database_range_are_400_not_500(api, body):
    response = start(api, {**body, "flow_id": 2**70})
    assert response.status_code == 400
    assert "less than or equal to" in response.json()["flow_id"][0]
    assert api.get("/api/playback/runs/?flow=99999999999999999999999").status_code == 400


@pytest.mark.parametrize(
    ("path", "payload", "field"),
    [
        ("/api/flows/", {"name": "a\x00b", "platform": "sim", "app_id": "x", "steps": []}, "name"),
        ("/api/flows/", {"name": "a", "platform": "sim", "app_id": "x",
                         "steps": [{"action": "type", "text": "a\x00"}]}, "steps[0].text"),
        ("/api/devices/", {"device_id": "d\x00", "platform": "sim",
                           "appium_url": "http://x:1"}, "device_id"),
        ("/api/devices/", {"device_id": "d9", "platform": "sim", "appium_url": "http://x:1",
                           "capabilities": {"a": "\x00"}}, "capabilities"),
    ],
)  # fmt: skip
def test_nul_characters_are_refused(api, path, payload, field):
    response = api.post(path, payload, format="json")
    assert response.status_code == 400
    assert field in response.json()
    assert not Flow.objects.filter(name__startswith="a").exists()


def test_a_settings_object_nested_in_settings_is_400(api, body):
    response = start(api, {**body, "settings": {"retryPerStep": {"deep": [1, 2]}}})
    assert response.status_code == 400
    assert json.dumps(response.json()).count("Must be a whole number") == 1


# --- what adversarial testing found -----------------------------------------------------
def nested(depth: int) -> dict:
    value: dict = {"leaf": 1}
    for _ in range(depth):
        value = {"a": value}
    return value


DEVICE = {"device_id": "deep", "platform": "sim", "appium_url": "http://127.0.0.1:4723"}


@pytest.mark.parametrize(
    ("capabilities", "message"),
    [
        (nested(900), "nested"),  # the parser's recursion guard may answer first
        (nested(11), "nested deeper than"),
        ({"appium:app": "x" * 70_000}, "larger than"),
        ({"a\ud800": 1}, "lone surrogate"),
    ],
)
def test_device_capabilities_are_bounded_in_depth_and_size(api, capabilities, message):
    raw = json.dumps({**DEVICE, "capabilities": capabilities})  # \ud800 as an escape
    response = api.post("/api/devices/", raw, content_type="application/json")
    assert response.status_code == 400
    assert message in json.dumps(response.json())
    assert not Device.objects.exists()


def test_capabilities_of_reasonable_depth_are_kept(api):
    body = {**DEVICE, "platform": "android", "capabilities": {"bstack:options": nested(5)}}
    response = api.post("/api/devices/", body, format="json")
    assert response.status_code == 201


@pytest.mark.parametrize(
    ("path", "payload"),
    [
        ("/api/flows/", {"name": "a\ud800", "platform": "sim", "app_id": "x", "steps": []}),
        ("/api/flows/", {"name": "a", "platform": "sim", "app_id": "x",
                         "steps": [{"action": "type", "text": "\udfff"}]}),
        ("/api/devices/", {**DEVICE, "name": "\ud800"}),
        ("/api/playback/start", {"flow_id": 1, "device_id": "\ud800"}),
    ],
)  # fmt: skip
def test_a_lone_surrogate_anywhere_in_a_json_body_is_400_and_nothing_is_written(api, path, payload):
    raw = json.dumps(payload)  # ensure_ascii writes the surrogate as \\ud800
    response = api.post(path, raw, content_type="application/json")
    assert response.status_code == 400
    assert "lone surrogate" in json.dumps(response.json())
    assert not Flow.objects.exists() and not Device.objects.exists()
    assert api.get("/api/flows/").status_code == 200
    assert api.get("/api/devices/").status_code == 200


@pytest.mark.parametrize(
    "url",
    [
        "/api/devices/%00/",
        "/api/playback/runs/?device=%00",
        "/api/flows/?x=%00",
        "/admin/playback/run/?q=%00",
        "/admin/playback/device/%00/change/",
    ],
)
def test_a_nul_in_a_path_or_a_query_is_400(admin_client, api, url):
    client = admin_client if url.startswith("/admin/") else api
    response = client.get(url)
    assert response.status_code == 400
    assert "NUL" in response.content.decode()


@pytest.mark.parametrize(
    "query",
    [
        "queued_before=9999-12-31T23:59:59-14:00",
        "queued_after=0001-01-01T00:00:00%2B14:00",
    ],
)
def test_dates_beyond_the_calendar_are_400(api, query):
    response = api.get(f"/api/playback/runs/?{query}")
    assert response.status_code == 400
    assert "queued_" in json.dumps(response.json())


@pytest.mark.parametrize(
    "query",
    ["queued_at__year=9999", "queued_at__year=9999&queued_at__month=12", "queued_at__year=0"],
)
def test_the_admins_calendar_beyond_its_range_is_not_a_500(admin_client, flow, device, query):
    from playback import services

    services.start_run(flow=flow, device=device)
    response = admin_client.get(f"/admin/playback/run/?{query}")
    assert response.status_code in (200, 302)
    if response.status_code == 302:
        assert "e=1" in response["Location"]  # the admin's "wrong filter" answer


BEYOND = "9223372036854775808"  # one more than the largest id a database holds


@pytest.mark.parametrize(
    "url",
    [
        f"/api/insights/flaky-steps/?flow={BEYOND}",
        f"/admin/playback/run/{BEYOND}/steps/1/thumbnail/",
        f"/admin/playback/run/{BEYOND}/steps/1/attempts/1/screenshot/",
        f"/admin/playback/run/1/steps/{BEYOND}/",
        f"/admin/playback/run/{BEYOND}/compare/1/",
        f"/admin/playback/run/{BEYOND}/change/",
    ],
)
def test_ids_beyond_the_database_range_in_the_admin_and_insights_are_not_500(admin_client, url):
    response = admin_client.get(url, follow=True)  # the admin may redirect to its 404
    assert response.status_code in (200, 400, 404)
    if url.startswith("/api/"):
        assert response.status_code == 400 and "flow" in response.json()


@pytest.mark.parametrize(
    "url",
    [f"/admin/playback/run/{BEYOND}/rerun/", f"/admin/playback/device/{BEYOND}/probe/",
     f"/admin/playback/batch/{BEYOND}/cancel/", f"/admin/flows/flow/{BEYOND}/play/",
     f"/admin/playback/webhookdelivery/{BEYOND}/redeliver/"],
)  # fmt: skip
def test_ids_beyond_the_database_range_in_admin_actions_are_not_500(admin_client, url):
    assert admin_client.post(url, follow=True).status_code in (200, 400, 404, 405)
