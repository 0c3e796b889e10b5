"""Maestro flows in and out (flows/maestro/): what each command becomes, what is
refused and where, bad files, the API's and the commands' import and export."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from flows import maestro
from flows.models import Flow

CONFIG = "appId: com.shop\nname: Checkout\n---\n"


def steps_of(commands: str, **options) -> list[dict]:
    definition, _ = maestro.read_definition(
        CONFIG + textwrap.dedent(commands), platform=options.pop("platform", "android"), **options
    )
    return [{k: v for k, v in s.as_json().items() if k != "step"} for s in definition.steps]


TEXT = {"using": "text", "value": "Sign in"}
MAPPING = [
    ("- tapOn: Sign in", [{"action": "tap", "locator": TEXT}]),
    ("- tapOn:\n    id: com.shop:id/go\n    index: 1",
     [{"action": "tap", "locator": {"using": "id", "value": "com.shop:id/go", "index": 1}}]),
    ("- tapOn:\n    point: 50%,90%", [{"action": "tap", "x": 50, "y": 90, "percent": True}]),
    ("- tapOn:\n    point: 120, 300", [{"action": "tap", "x": 120, "y": 300}]),
    ("- tapOn: 'Total: \\$\\d+'",
     [{"action": "tap", "locator": {"using": "text", "value": "Total: \\$\\d+", "regex": True}}]),
    ("- tapOn: 'Price \\(USD\\)'",
     [{"action": "tap", "locator": {"using": "text", "value": "Price (USD)"}}]),
    ("- doubleTapOn: Sign in", [{"action": "double_tap", "locator": TEXT}]),
    ("- longPressOn: Sign in", [{"action": "long_press", "locator": TEXT, "duration": 1000}]),
    ("- inputText: alice", [{"action": "type", "text": "alice"}]),
    ("- eraseText", [{"action": "erase_text", "count": 50}]),
    ("- eraseText: 5", [{"action": "erase_text", "count": 5}]),
    ("- eraseText:\n    charactersToErase: 7", [{"action": "erase_text", "count": 7}]),
    ("- assertVisible: Sign in", [{"action": "assert", "locator": TEXT}]),
    ("- assertNotVisible:\n    text: Sign in\n    optional: true",
     [{"action": "assert_not_visible", "locator": TEXT, "optional": True}]),
    ("- swipe:\n    direction: LEFT",
     [{"action": "swipe", "start_x": 90, "start_y": 50, "end_x": 10, "end_y": 50,
       "duration": 400, "percent": True}]),
    ("- swipe:\n    start: 50%, 20%\n    end: 50%, 90%\n    duration: 300",
     [{"action": "swipe", "start_x": 50, "start_y": 20, "end_x": 50, "end_y": 90,
       "duration": 300, "percent": True}]),
    ("- swipe:\n    start: 10, 20\n    end: 30, 40",
     [{"action": "swipe", "start_x": 10, "start_y": 20, "end_x": 30, "end_y": 40,
       "duration": 400}]),
    ("- scrollUntilVisible:\n    element: Sign in",
     [{"action": "scroll_to", "locator": TEXT, "direction": "down", "max_swipes": 20}]),
    ("- scrollUntilVisible:\n    element:\n      id: row\n    direction: UP\n    timeout: 5000",
     [{"action": "scroll_to", "locator": {"using": "id", "value": "row"}, "direction": "up",
       "max_swipes": 5}]),
    ("- back\n- hideKeyboard", [{"action": "back"}, {"action": "hide_keyboard"}]),
    ("- pressKey: Enter\n- pressKey: volume up",
     [{"action": "press_key", "key": "enter"}, {"action": "press_key", "key": "volume_up"}]),
    ("- openLink: shop://cart", [{"action": "open_link", "url": "shop://cart"}]),
    ("- launchApp", [{"action": "stop_app"}, {"action": "launch_app"}]),
    ("- launchApp:\n    clearState: true", [{"action": "clear_app"}, {"action": "launch_app"}]),
    ("- launchApp:\n    stopApp: false", [{"action": "launch_app"}]),
    ("- stopApp\n- clearState", [{"action": "stop_app"}, {"action": "clear_app"}]),
    ("- extendedWaitUntil:\n    visible: Sign in\n    timeout: 9000",
     [{"action": "wait_until", "locator": TEXT, "timeout_ms": 9000}]),
    ("- extendedWaitUntil:\n    notVisible: Sign in",
     [{"action": "wait_until", "locator": TEXT, "visible": False}]),
    ("- waitForAnimationToEnd", [{"action": "wait", "ms": 1000}]),
    ("- waitForAnimationToEnd:\n    timeout: 90000", [{"action": "wait", "ms": 60000}]),
    ("- repeat:\n    times: 2\n    commands:\n      - back", [{"action": "back"}] * 2),
    ("- runFlow:\n    commands:\n      - back", [{"action": "back"}]),
    ("- retry:\n    maxRetries: 2\n    commands:\n      - tapOn: Sign in",
     [{"action": "tap", "locator": TEXT, "retries": 2}]),
    ("- tapOn:\n    text: Sign in\n    label: Sign in first",
     [{"action": "tap", "locator": TEXT, "description": "Sign in first"}]),
]  # fmt: skip


@pytest.mark.parametrize(("commands", "steps"), MAPPING)
def test_each_maestro_command_becomes_its_steps(commands, steps):
    assert steps_of(commands) == steps


REFUSED = [
    ("- runScript: setup.js", "runScript", "JavaScript does not map"),
    ("- evalScript: ${1+1}", "evalScript", "JavaScript does not map"),
    ("- assertTrue: ${x}", "assertTrue", "JavaScript"),
    ("- inputText: ${name}", "inputText", "${…} JavaScript expressions do not map"),
    ("- tapOn:\n    text: Go\n    below: Title", "tapOn", "relative selectors"),
    ("- tapOn:\n    text: Go\n    enabled: true", "tapOn", "state filters"),
    ("- repeat:\n    while:\n      visible: More\n    commands:\n      - back", "repeat", "while"),
    ("- runFlow:\n    when:\n      visible: x\n    commands:\n      - back", "runFlow", "when"),
    ("- runFlow: login.yaml", "runFlow", "manage.py import_flow"),
    ("- copyTextFrom: Total", "copyTextFrom", "clipboard"),
    ("- setLocation:\n    latitude: 1\n    longitude: 2", "setLocation", "does not move"),
    ("- assertWithAI:\n    assertion: ok", "assertWithAI", "AI commands"),
    ("- toggleAirplaneMode", "toggleAirplaneMode", "network"),
    ("- addMedia: [a.png]", "addMedia", "media"),
    ("- flyAway", "flyAway", "Playback has no flyAway"),
    ("- launchApp: com.other", "launchApp", "another app (com.other)"),
    ("- swipe:\n    from: Row\n    direction: UP", "swipe", "a swipe from an element"),
    ("- retry:\n    commands:\n      - back\n      - back", "retry", "more than one step"),
    ("- pressKey: F13", "pressKey", "no key 'F13'"),
]


@pytest.mark.parametrize(("commands", "command", "reason"), REFUSED)
def test_what_does_not_map_is_refused_with_its_line_and_nothing_is_made(commands, command, reason):
    text = CONFIG + "- back\n" + commands + "\n"
    with pytest.raises(maestro.Refused) as caught:
        maestro.read_definition(text, platform="android")
    (entry,) = caught.value.unsupported
    assert (entry["line"], entry["command"]) == (5, command)
    assert reason in entry["reason"]


def test_drop_unsupported_imports_the_rest_and_lists_what_it_dropped():
    text = CONFIG + "- back\n- runScript: a.js\n- tapOn: Go\n- travel:\n    points: []\n"
    definition, dropped = maestro.read_definition(text, platform="ios", drop_unsupported=True)
    assert [s.action for s in definition.steps] == ["back", "tap"]
    assert [(d["line"], d["command"]) for d in dropped] == [(5, "runScript"), (7, "travel")]


@pytest.mark.parametrize(
    ("raw", "field", "message"),
    [
        (b"appId: a\n---\n- tapOn: [unclosed\n", "yaml", "Not valid YAML at line"),
        (b"- tapOn: Go\n", "config", "The config document is missing"),
        (b"name: x\n---\n- back\n", "config", "needs appId: (an app) or url:"),
        (b"appId: a\nname: x\n---\n- back\n\xff\xfe", "file", "not UTF-8"),
        (b"appId: a\n---\n- back\n", "name", "Name the flow"),
        (b"appId: a\nname: x\n---\nback: 1\n", "commands", "must be a list"),
        (b"appId: a\nname: x\n---\n- back\n---\n- back\n", "yaml", "this file has 3"),
        (b"appId: a\nname: x\n---\n" + b"- back\n" * 200_000, "file", "larger than 1024 KB"),
    ],
)
def test_a_file_that_is_not_a_maestro_flow_says_what_to_fix(raw, field, message):
    with pytest.raises(maestro.MaestroError) as caught:
        maestro.read_definition(raw, platform="android")
    assert message in caught.value.errors[field]


def test_an_app_flow_needs_its_platform_and_a_url_flow_is_web():
    with pytest.raises(maestro.MaestroError) as caught:
        maestro.read_definition(CONFIG + "- back\n")
    assert "platform=android|ios|sim|web" in caught.value.errors["platform"]
    definition, _ = maestro.read_definition(
        "url: http://127.0.0.1:8000/shop/\nname: Web\n---\n- back\n"
    )
    assert (definition.platform, definition.app_id) == ("web", "http://127.0.0.1:8000/shop/")


def test_repeat_is_bounded_by_the_flows_step_limit():
    text = CONFIG + "- repeat:\n    times: 600\n    commands:\n      - back\n      - back\n"
    with pytest.raises(maestro.MaestroError) as caught:
        maestro.read_definition(text, platform="android")
    assert "over 1000 steps" in caught.value.errors["steps"]


def test_nested_empty_repeats_cannot_keep_the_server_busy():
    inner = "commands: []"
    for _ in range(6):
        inner = f"commands:\n  - repeat:\n      times: 1000\n      {inner}".replace("\n", "\n    ")
    text = CONFIG + f"- repeat:\n    times: 1000\n    {inner}\n"
    with pytest.raises((maestro.MaestroError, maestro.Refused)):
        maestro.read_definition(text, platform="android")


def test_a_step_that_maps_but_is_not_valid_names_its_line():
    with pytest.raises(maestro.DefinitionError) as caught:
        maestro.read_definition(CONFIG + "- back\n- eraseText: 0\n", platform="android")
    assert caught.value.errors["steps[1].count"].startswith("line 5: Must be from 1")


def test_export_then_import_gives_the_same_steps(db):
    text = CONFIG + textwrap.dedent("\n".join(commands for commands, _ in MAPPING))
    definition, _ = maestro.read_definition(text, platform="android")
    flow = Flow.save_definition(definition)
    exported = maestro.export(flow)
    assert exported.notes == []
    again, _ = maestro.read_definition(exported.text, platform="android")
    assert again.steps == definition.steps
    assert (again.name, again.app_id) == (definition.name, definition.app_id)


def test_steps_maestro_cannot_say_are_left_out_with_a_comment(make_flow):
    flow = make_flow([
        {"action": "type", "locator": {"using": "id", "value": "name"}, "text": "Ann"},
        {"action": "assert", "locator": {"using": "accessibility id", "value": "ok"}},
        {"action": "back"},
    ])  # fmt: skip
    exported = maestro.export(flow)
    assert exported.text.splitlines()[-1] == "- back"
    assert "# step 1 (type 'Ann' into id='name') is left out: Maestro types into" in exported.text
    assert "Maestro has no 'accessibility id' selector" in exported.notes[1]


# --- the API ---------------------------------------------------------------------
IMPORT = "/api/flows/import/maestro/"
WEB_FLOW = "url: http://127.0.0.1:8000/demo-app/\nname: Web shop\ntags: [smoke]\n---\n"


def post_yaml(api, text: str | bytes, query: str = ""):
    body = text.encode() if isinstance(text, str) else text
    return api.generic("POST", f"{IMPORT}{query}", body, content_type="application/yaml")


def test_the_api_imports_a_maestro_file_and_exports_it_back(api):
    response = post_yaml(api, WEB_FLOW + "- tapOn: Sign in\n- back\n")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["name"], body["platform"], body["tags"]) == ("Web shop", "web", ["smoke"])
    assert [s["action"] for s in body["steps"]] == ["tap", "back"]
    assert body["dropped"] == []
    exported = api.get(f"/api/flows/{body['id']}/export/maestro/")
    assert exported.status_code == 200
    assert exported["Content-Type"].startswith("application/yaml")
    assert exported.content.decode().endswith("---\n- tapOn: Sign in\n- back\n")


def test_the_api_refuses_commands_that_do_not_map_with_their_lines(api):
    response = post_yaml(api, CONFIG + "- back\n- runScript: a.js\n", "?platform=android")
    assert response.status_code == 400
    assert response.json() == {
        "unsupported": [{"line": 5, "command": "runScript", "reason": "JavaScript does not map"}]
    }
    assert not Flow.objects.exists()
    response = post_yaml(
        api, CONFIG + "- back\n- runScript: a.js\n", "?platform=android&drop_unsupported=true"
    )
    assert response.status_code == 201
    assert response.json()["dropped"][0]["command"] == "runScript"


def test_the_api_takes_a_json_body_and_a_name_of_its_own(api):
    response = api.post(
        IMPORT,
        {"yaml": CONFIG + "- back\n", "platform": "sim", "name": "Renamed",
         "drop_unsupported": True},
        format="json",
    )  # fmt: skip
    assert response.status_code == 201, response.json()
    assert response.json()["name"] == "Renamed"


@pytest.mark.parametrize(
    ("body", "query", "field"),
    [
        (b"appId: a\n---\n- tapOn: [x\n", "?platform=android", "yaml"),
        (b"- back\n", "", "config"),
        (b"appId: a\nname: n\n---\n- back\n\xff", "?platform=android", "file"),
        (CONFIG.encode() + b"- back\n", "", "platform"),
        (CONFIG.encode() + b"- back\n", "?platform=tv", "platform"),
        (CONFIG.encode() + b"- back\n", "?platform=ios&drop_unsupported=maybe", "drop_unsupported"),
        (b"url: ftp://x/\nname: n\n---\n- back\n", "", "app_id"),
        (b"appId: a\nname: n\n---\n" + b"- back  \n" * 120_000, "?platform=android", "file"),
    ],
)
def test_a_bad_import_is_a_400_that_names_what_to_fix_and_writes_nothing(api, body, query, field):
    response = post_yaml(api, body, query)
    assert response.status_code == 400, response.content[:300]
    assert field in response.json()
    assert not Flow.objects.exists()


def test_an_import_may_not_reuse_a_flows_name(api):
    assert post_yaml(api, CONFIG + "- back\n", "?platform=ios").status_code == 201
    response = post_yaml(api, CONFIG + "- back\n", "?platform=ios")
    assert response.status_code == 400
    assert "already exists" in response.json()["name"][0]


def test_a_viewer_may_export_but_not_import(member, make_flow):
    from rest_framework.authtoken.models import Token
    from rest_framework.test import APIClient

    client = APIClient()
    client.credentials(
        HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=member('viewer')).key}"
    )
    assert post_yaml(client, CONFIG + "- back\n", "?platform=ios").status_code == 403
    flow = make_flow([{"action": "back"}])
    assert client.get(f"/api/flows/{flow.pk}/export/maestro/").status_code == 200


# --- the commands ----------------------------------------------------------------
def test_import_flow_reads_a_maestro_file_and_its_run_flows_beside_it(db, tmp_path: Path, capsys):
    (tmp_path / "login.yaml").write_text("appId: com.shop\n---\n- tapOn: Sign in\n")
    main = tmp_path / "checkout.yaml"
    main.write_text("appId: com.shop\n---\n- runFlow: login.yaml\n- back\n- runScript: x.js\n")
    with pytest.raises(CommandError) as caught:
        call_command("import_flow", str(main), "--platform", "android")
    assert "line 5: runScript: JavaScript does not map" in str(caught.value)
    call_command("import_flow", str(main), "--platform", "android", "--drop-unsupported")
    flow = Flow.objects.get(name="checkout")  # the file's name: its config has none
    assert [s.action for s in flow.steps.all()] == ["tap", "back"]
    assert "Dropped line 5: runScript" in capsys.readouterr().err
    call_command("export_flow", str(flow.pk), "--format", "maestro")
    assert capsys.readouterr().out.endswith("---\n- tapOn: Sign in\n- back\n")


def test_a_run_flow_file_with_refusals_names_that_file(tmp_path: Path):
    (tmp_path / "setup.yaml").write_text("appId: com.shop\n---\n- back\n- runScript: a.js\n")
    main = tmp_path / "main.yaml"
    main.write_text("appId: com.shop\nname: Main\n---\n- runFlow: setup.yaml\n")
    with pytest.raises(CommandError) as caught:
        call_command("import_flow", str(main), "--platform", "android")
    assert "setup.yaml line 4: runScript" in str(caught.value)


# --- the admin -------------------------------------------------------------------
def test_the_admin_imports_a_maestro_file_and_shows_what_does_not_map(admin_client):
    page = "/admin/flows/flow/import-maestro/"
    assert "Import a Maestro flow" in admin_client.get("/admin/flows/flow/").content.decode()
    refused = admin_client.post(
        page, {"text": CONFIG + "- back\n- runScript: a.js\n", "platform": "android"}
    )
    html = refused.content.decode()
    assert refused.status_code == 200
    assert "1 command does not map: nothing imported." in html
    assert "<code>runScript</code>" in html and "JavaScript does not map" in html
    assert not Flow.objects.exists()
    done = admin_client.post(
        page,
        {"text": CONFIG + "- back\n- runScript: a.js\n", "platform": "android",
         "drop_unsupported": "on"},
    )  # fmt: skip
    flow = Flow.objects.get(name="Checkout")
    assert done["Location"] == f"/admin/flows/flow/{flow.pk}/change/"
    change = admin_client.get(done["Location"]).content.decode()
    assert "Dropped line 5: runScript" in change
    assert f"/api/flows/{flow.pk}/export/maestro/" in change
    assert admin_client.get(f"/api/flows/{flow.pk}/export/maestro/").status_code == 200


def test_the_admin_import_says_what_is_wrong_with_a_file(admin_client):
    response = admin_client.post(
        "/admin/flows/flow/import-maestro/", {"text": "- back\n", "platform": "android"}
    )
    assert "The config document is missing" in response.content.decode()
    response = admin_client.post("/admin/flows/flow/import-maestro/", {"platform": "android"})
    assert "Choose a file, or paste the flow." in response.content.decode()
