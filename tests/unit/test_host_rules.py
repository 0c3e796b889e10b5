"""The host rules (playback/network.py) for every address a user chooses and the
service (or a device's browser) then reaches: Appium servers, webhook receivers and
web start URLs. An IPv6 address that carries an IPv4 one is judged by both; a web
flow's start URL must be a host PLAYBACK_WEB_ALLOWED_HOSTS allows."""

from __future__ import annotations

import pytest

from flows.definitions import DefinitionError, parse_flow
from flows.models import Flow
from playback import network
from tests.helpers import tap

pytestmark = pytest.mark.django_db

EMBEDDED_METADATA = [
    "http://[64:ff9b::a9fe:a9fe]/",  # NAT64 of 169.254.169.254
    "http://[64:ff9b:1::a9fe:a9fe]/",  # local-use NAT64
    "http://[2002:a9fe:a9fe::1]/",  # 6to4
    "http://[::ffff:169.254.169.254]/",  # IPv4-mapped
    "http://[::169.254.169.254]/",  # IPv4-compatible
]
RULES = [network.appium_url_problem, network.webhook_url_problem, network.web_url_problem]


@pytest.mark.parametrize("url", EMBEDDED_METADATA)
@pytest.mark.parametrize("rule", RULES, ids=lambda rule: rule.__name__)
def test_a_metadata_address_inside_an_ipv6_one_is_never_allowed(rule, url):
    problem = rule(url)
    assert problem is not None and "never allowed" in problem


@pytest.mark.parametrize(
    ("url", "allowed"),
    [
        ("http://[64:ff9b::808:808]/", True),  # NAT64 of 8.8.8.8: public
        ("http://[64:ff9b::a00:1]/", False),  # NAT64 of 10.0.0.1: private
        ("http://[2002:7f00:1::1]/", False),  # 6to4 of 127.0.0.1
        ("http://[::ffff:127.0.0.1]/", False),  # mapped loopback, not listed as such
    ],
)
def test_an_embedded_ipv4_address_must_be_allowed_too(settings, url, allowed):
    settings.PLAYBACK_WEBHOOK_ALLOWED_HOSTS = ["public"]
    assert (network.webhook_url_problem(url) is None) is allowed


@pytest.mark.parametrize(
    "url",
    [
        "http://169.254.169.254/latest/meta-data/",
        "http://2852039166/",  # 169.254.169.254 as one number
        "http://0xa9.0xfe.0xa9.0xfe/",  # and in hex
        "http://[fe80::1]/",
        "http://metadata.google.internal/computeMetadata/v1/",
        "http://[64:ff9b::a9fe:a9fe]/",
        "http://10.0.0.5/",  # private: not in the development default
        "http://no-such-host.invalid/",
        "file:///etc/passwd",
        "javascript:alert(1)",
    ],
)
def test_a_web_flow_may_not_start_where_its_device_must_not_go(url):
    data = {"name": "ssrf", "platform": "web", "app_id": url, "steps": [tap("go")]}
    with pytest.raises(DefinitionError) as caught:
        parse_flow(data)
    assert "app_id" in caught.value.errors


@pytest.mark.parametrize(
    "url", ["http://127.0.0.1:8000/demo-app/", "http://localhost:5173/", "https://8.8.8.8/"]
)
def test_the_development_default_allows_this_machine_and_public_hosts(url):
    data = {"name": "ok", "platform": "web", "app_id": url, "steps": [tap("go")]}
    assert parse_flow(data).app_id == url


def test_production_allows_public_hosts_only(settings):
    settings.PLAYBACK_WEB_ALLOWED_HOSTS = ["public"]
    assert "PLAYBACK_WEB_ALLOWED_HOSTS" in network.web_url_problem("http://127.0.0.1:8000/")
    assert network.web_url_problem("https://8.8.8.8/") is None
    settings.PLAYBACK_WEB_ALLOWED_HOSTS = ["public", "shop.staging.lab"]
    assert network.web_url_problem("https://shop.staging.lab/") is None


def test_the_api_and_the_admin_refuse_a_metadata_start_url(api, admin_client):
    body = {"name": "meta", "platform": "web", "app_id": "http://169.254.169.254/latest/",
            "steps": [tap("go")]}  # fmt: skip
    response = api.post("/api/flows/", body, format="json")
    assert response.status_code == 400 and "never allowed" in response.json()["app_id"][0]
    response = admin_client.post(
        "/admin/flows/flow/add/",
        {"name": "meta", "platform": "web", "app_id": "http://[64:ff9b::a9fe:a9fe]/",
         "steps-TOTAL_FORMS": "0", "steps-INITIAL_FORMS": "0"},
    )  # fmt: skip
    assert response.status_code == 200 and "never allowed" in response.content.decode()
    assert not Flow.objects.exists()
