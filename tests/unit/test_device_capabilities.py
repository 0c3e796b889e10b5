"""A device may set only the capabilities a lab legitimately sets, per platform
(playback/drivers/capabilities.py): nothing that runs a program, loads code, reads
files or reaches other hosts on the Appium server's host. Refused by name in the API,
the admin and `add_device`, and again before a session opens. Its credentials are
seen masked by whoever may not edit devices."""

from __future__ import annotations

import base64
import http.server
import threading

import pytest
from django.urls import reverse

from playback.drivers import capabilities
from playback.models import Device

pytestmark = pytest.mark.django_db

RENDERER = "--renderer-cmd-prefix=/usr/bin/python3 -c 'import os; os.system(\"id\")'"


@pytest.mark.parametrize(
    ("platform", "caps", "named"),
    [
        ("web", {"goog:chromeOptions": {"args": [RENDERER]}}, "--renderer-cmd-prefix"),
        ("web", {"goog:chromeOptions": {"args": ["--utility-cmd-prefix=/x"]}}, "utility-cmd"),
        ("web", {"goog:chromeOptions": {"args": ["--gpu-launcher=/x"]}}, "--gpu-launcher"),
        ("web", {"goog:chromeOptions": {"args": ["--browser-subprocess-path=/x"]}}, "subprocess"),
        ("web", {"goog:chromeOptions": {"args": ["--load-extension=/tmp/x"]}}, "load-extension"),
        ("web", {"goog:chromeOptions": {"args": ["--user-data-dir=/root"]}}, "--user-data-dir"),
        ("web", {"goog:chromeOptions": {"args": ["-renderer-cmd-prefix=/x"]}}, "renderer-cmd"),
        ("web", {"goog:chromeOptions": {"args": ["renderer-cmd-prefix=/x"]}}, "renderer-cmd"),
        ("web", {"goog:chromeOptions": {"args": [{"x": 1}]}}, "args"),
        ("web", {"goog:chromeOptions": {"binary": "/tmp/script"}}, "goog:chromeOptions.binary"),
        ("web", {"goog:chromeOptions": {"extensions": ["AAAA"]}}, "extensions"),
        ("web", {"goog:chromeOptions": {"prefs": {"download.default_directory": "/"}}}, "prefs"),
        ("web", {"goog:chromeOptions": "x"}, "goog:chromeOptions must be an object"),
        ("web", {"appium:executable": "/tmp/script"}, "'appium:executable'"),
        ("web", {"executable": "/tmp/script"}, "'executable'"),  # the client prefixes it
        ("web", {"appium:chromedriverPort": 9600}, "appium:chromedriverPort"),
        ("web", {"appium:autodownloadEnabled": True}, "autodownloadEnabled"),
        ("web", {"proxy": {"proxyType": "manual"}}, "'proxy'"),
        ("android", {"appium:chromedriverExecutable": "/tmp/x"}, "chromedriverExecutable"),
        ("android", {"appium:remoteAdbHost": "10.0.0.1"}, "remoteAdbHost"),
        ("android", {"appium:options": {"executable": "/x"}}, "appium:options"),
        ("android", {"goog:chromeOptions": {"binary": "/x"}}, "goog:chromeOptions"),
        ("ios", {"appium:agentPath": "/x"}, "agentPath"),
        ("ios", {"appium:webDriverAgentUrl": "http://10.0.0.1:8100"}, "webDriverAgentUrl"),
        ("sim", {"appium:automationName": "Other"}, "automationName"),
        ("sim", {"bstack:options": {}}, "bstack:options"),
        ("sim", {"a": 1}, "'a'"),
    ],
)
def test_what_would_run_a_program_or_reach_elsewhere_is_refused_by_name(platform, caps, named):
    problems = capabilities.capabilities_problems(platform, caps)
    assert len(problems) == 1 and named in problems[0], problems


@pytest.mark.parametrize(
    ("platform", "caps"),
    [
        ("android", {"appium:deviceName": "Pixel 8", "appium:udid": "emulator-5554",
                     "appium:platformVersion": "14", "appium:automationName": "UiAutomator2",
                     "appium:app": "/apps/shop.apk", "appium:locale": "FR",
                     "appium:language": "fr", "appium:newCommandTimeout": 300,
                     "appium:systemPort": 8201, "appium:autoGrantPermissions": True}),
        ("android", {"deviceName": "Pixel 8", "appPackage": "com.shop"}),
        ("android", {"bstack:options": {"userName": "u", "accessKey": "k"}}),
        ("ios", {"appium:bundleId": "com.shop", "appium:wdaLocalPort": 8101,
                 "platformVersion": "17.2", "timeouts": {"implicit": 0}}),
        ("sim", {"appium:app": "/apps/demo.xml"}),
        ("web", {"goog:chromeOptions": {
            "mobileEmulation": {"deviceMetrics": {"width": 360, "height": 740, "pixelRatio": 3},
                                "userAgent": "UA"},
            "args": ["--lang=fr", "--window-size=360,740", "--ignore-certificate-errors"]},
            "acceptInsecureCerts": True, "pageLoadStrategy": "eager"}),
        ("web", {}),
    ],
)  # fmt: skip
def test_what_a_lab_sets_is_allowed(platform, caps):
    assert capabilities.capabilities_problems(platform, caps) == []


def test_each_refused_key_is_named_in_one_answer():
    problems = capabilities.capabilities_problems(
        "web",
        {"appium:executable": "/x", "goog:chromeOptions": {"binary": "/y", "args": [RENDERER]}},
    )
    assert len(problems) == 3


WEB_DEVICE = {"device_id": "web-9", "platform": "web", "appium_url": "http://127.0.0.1:4723"}


def test_the_api_refuses_a_launcher_switch_with_a_400_naming_it(api):
    body = {**WEB_DEVICE, "capabilities": {"goog:chromeOptions": {"args": [RENDERER]}}}
    response = api.post("/api/devices/", body, format="json")
    assert response.status_code == 400
    (message,) = response.json()["capabilities"]
    assert "--renderer-cmd-prefix" in message and "run a program" in message
    assert not Device.objects.exists()


def test_the_api_checks_capabilities_against_a_changed_platform(api):
    body = {**WEB_DEVICE, "platform": "android", "capabilities": {"appium:appPackage": "com.x"}}
    assert api.post("/api/devices/", body, format="json").status_code == 201
    response = api.patch("/api/devices/web-9/", {"platform": "web"}, format="json")
    assert response.status_code == 400 and "appPackage" in response.json()["capabilities"][0]
    response = api.patch(
        "/api/devices/web-9/", {"capabilities": {"appium:executable": "/x"}}, format="json"
    )
    assert response.status_code == 400 and "appium:executable" in str(response.json())
    assert Device.objects.get().capabilities == {"appium:appPackage": "com.x"}


def test_the_admin_refuses_a_binary_naming_it(admin_client):
    response = admin_client.post(
        reverse("admin:playback_device_add"),
        {**WEB_DEVICE, "capabilities": '{"goog:chromeOptions": {"binary": "/tmp/script"}}',
         "enabled": "on"},
    )  # fmt: skip
    assert response.status_code == 200
    assert "goog:chromeOptions.binary is not allowed" in response.content.decode()
    assert not Device.objects.exists()


def test_a_row_saved_before_the_rule_is_refused_at_run_time(flow, make_device, play):
    device = make_device("http://127.0.0.1:9", device_id="old")
    Device.objects.filter(pk=device.pk).update(capabilities={"appium:executable": "/tmp/x"})
    device.refresh_from_db()
    run = play(flow, device)  # through the registry: refused before any connection
    assert run.status == "error"
    assert "capabilities are not allowed" in run.error and "appium:executable" in run.error
    assert "unreachable" not in run.error and run.blocked_steps == 3


def test_the_web_device_never_merges_more_than_it_may(settings):
    from playback.drivers import web_session

    caps = web_session.build_web_capabilities(
        device_id="web-1",
        extra={"appium:executable": "/x",
               "goog:chromeOptions": {"binary": "/y", "args": ["--lang=fr"]}},
        chromedriver_port=40123,
    )  # fmt: skip
    assert caps["appium:executable"] == settings.PLAYBACK_WEB_CHROMEDRIVER
    assert caps["goog:chromeOptions"]["binary"] == settings.PLAYBACK_WEB_CHROMIUM
    assert "--lang=fr" in caps["goog:chromeOptions"]["args"]


# --- credentials ---------------------------------------------------------------------------
FARM = {
    "device_id": "pixel-farm",
    "platform": "android",
    "appium_url": "http://alice:s3cr3tkey@10.0.0.9:4444/wd/hub",
    "capabilities": {"bstack:options": {"userName": "alice", "accessKey": "s3cr3tkey",
                                        "buildName": "nightly"},
                     "appium:deviceName": "Pixel 8"},
}  # fmt: skip


@pytest.mark.parametrize("role", ["viewer", "runner"])
def test_device_credentials_are_masked_for_who_may_not_edit_devices(api, member, role):
    from rest_framework.test import APIClient

    assert api.post("/api/devices/", FARM, format="json").status_code == 201
    reader = APIClient()
    reader.force_authenticate(member(role))
    for answer in (reader.get("/api/devices/pixel-farm/"), reader.get("/api/devices/")):
        text = answer.content.decode()
        assert answer.status_code == 200 and "s3cr3tkey" not in text and "alice" not in text
    device = reader.get("/api/devices/pixel-farm/").json()
    assert device["appium_url"] == "http://****@10.0.0.9:4444/wd/hub"
    assert device["capabilities"]["bstack:options"] == {
        "userName": "****", "accessKey": "****", "buildName": "nightly"
    }  # fmt: skip
    assert device["capabilities"]["appium:deviceName"] == "Pixel 8"


def test_who_may_edit_devices_reads_them_in_full(api):
    api.post("/api/devices/", FARM, format="json")
    device = api.get("/api/devices/pixel-farm/").json()
    assert device["appium_url"] == FARM["appium_url"]
    assert device["capabilities"] == FARM["capabilities"]


def test_the_admin_masks_credentials_for_a_viewer_and_does_not_search_by_them(client, member, api):
    api.post("/api/devices/", FARM, format="json")
    pk = Device.objects.get().pk
    client.force_login(member("viewer", "watcher", staff=True))
    for url in (
        reverse("admin:playback_device_changelist"),
        reverse("admin:playback_device_change", args=[pk]),
    ):
        response = client.get(url)
        text = response.content.decode()
        assert response.status_code == 200 and "s3cr3tkey" not in text, url
    assert "****@10.0.0.9" in text
    found = client.get(reverse("admin:playback_device_changelist") + "?q=s3cr3t")
    assert "pixel-farm" not in found.content.decode()


def test_a_run_error_never_shows_the_appium_urls_credentials(flow, make_device, play):
    device = make_device("http://alice:s3cr3tkey@127.0.0.1:9", device_id="farm")
    run = play(flow, device)
    assert run.status == "error" and "127.0.0.1:9" in run.error
    assert "s3cr3tkey" not in run.error and "alice" not in run.error


class RecordsAuthorization(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        self.server.seen.append((self.path, self.headers.get("Authorization")))
        self.send_response(500)
        self.end_headers()

    def log_message(self, *args):
        pass


def test_a_farms_credentials_reach_it_as_basic_authorization_not_in_the_url(
    flow, make_device, play
):
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), RecordsAuthorization)
    server.seen = []
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://alice:s3cr3t%40key@127.0.0.1:{server.server_port}/wd/hub"
        run = play(flow, make_device(url, device_id="farm"))
    finally:
        server.shutdown()
    path, authorization = server.seen[0]
    assert path == "/wd/hub/session"
    assert authorization == "Basic " + base64.b64encode(b"alice:s3cr3t@key").decode()
    assert "s3cr3t" not in run.error
