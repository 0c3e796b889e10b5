"""Every engine rule through the web device: the demo web app (served at /demo-app/ by
the test's live server) in headless Chromium, through Appium's Chromium driver on
the same Appium server as the simulated device. The app's flakiness is staged by
its start URL's query parameters (simulator/demo_app/app.js)."""

from __future__ import annotations

import http.server
import json
import threading
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.core.files.storage import default_storage

from playback.models import Run
from tests.helpers import RealSession, tap

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.appium, pytest.mark.web]

SIGN_IN = [
    {"action": "type", "locator": {"using": "id", "value": "username"}, "text": "alice"},
    {"action": "type", "locator": {"using": "accessibility id", "value": "Password"}, "text": "pw"},
    tap("#sign-in", using="css selector"),
    {"action": "assert", "locator": {"using": "id", "value": "welcome"}, "text": "Welcome, alice"},
]


def shown(value: str, text: str | None = None, using: str = "id") -> dict[str, Any]:
    step: dict[str, Any] = {"action": "assert", "locator": {"using": using, "value": value}}
    return {**step, "text": text} if text is not None else step


def statuses(run: Run) -> list[str]:
    return [r.status for r in run.step_results.order_by("step_number")]


def errors(run: Run) -> list[str]:
    """The run's error and its steps' (what a failed assertion shows)."""
    return [run.error, *(r.error for r in run.step_results.order_by("step_number"))]


def test_a_web_flow_signs_in_and_each_step_has_the_screen_it_left(play, web_flow, web_device):
    run = play(web_flow(SIGN_IN), web_device, {"clear_data": True})
    assert run.status == "success", errors(run)
    assert statuses(run) == ["pass"] * 4
    shots = [r.screenshot.read() for r in run.step_results.order_by("step_number")]
    assert all(shot.startswith(b"\x89PNG") for shot in shots)
    assert shots[0] != shots[3]  # the sign-in form, then the product list


def test_a_flaky_step_passes_once_the_loading_overlay_is_gone(play, web_flow, web_device, settings):
    settings.PLAYBACK_RETRY_PAUSE_S = 2.5  # the overlay covers the page for 2 s after it loads
    run = play(
        web_flow([tap("username", using="id")], query="overlay=2000"),
        web_device,
        {"clear_data": True, "retry_per_step": 1},
    )
    step = run.step_results.get()
    assert (run.status, step.status, step.attempts) == ("success", "flaky", 2)
    assert "element click intercepted" in step.attempt_errors[0]
    # What the screen showed when attempt 1 failed: the overlay, in the page's HTML too.
    (entry,) = step.attempt_log
    assert entry["screenshot"] and entry["source"].endswith(".html")
    assert step.screenshot.read() != run_file(run, entry["screenshot"])
    assert 'id="loading"' in run_file(run, entry["source"]).decode()


def run_file(run: Run, name: str) -> bytes:
    with default_storage.open(name) as stored:
        return stored.read()


@pytest.mark.parametrize(
    ("behaviour", "after"),
    [("stop", "blocked"), ("skip", "skipped"), ("continue", "pass")],
)
def test_a_failed_step_blocks_skips_or_lets_the_rest_play(
    play, web_flow, web_device, behaviour, after
):
    steps = [tap("nowhere", using="id"), shown("username")]
    run = play(web_flow(steps), web_device, {"clear_data": True, "failure_behaviour": behaviour})
    assert statuses(run) == ["fail", after]
    assert "Element not found: id='nowhere'" in run.step_results.get(step_number=1).error
    assert run.status == ("partial_success" if after == "pass" else "failed")


def test_clear_data_signs_out_and_keeping_it_stays_signed_in(play, web_flow, web_device):
    assert play(web_flow(SIGN_IN), web_device, {"clear_data": True}).status == "success"
    kept = play(web_flow([shown("welcome", "Welcome back, alice")]), web_device)
    assert kept.status == "success", errors(kept)
    cleared = play(web_flow([shown("username")]), web_device, {"clear_data": True})
    assert cleared.status == "success", errors(cleared)


@pytest.mark.parametrize(("restart", "loads"), [(True, "2"), (False, "1")])
def test_restart_app_really_reloads_the_page(play, web_flow, web_device, restart, loads):
    """The page counts its loads in sessionStorage. The app is open before the run
    (load 1): a restart leaves it and opens it again (load 2); without one it stays."""
    flow = web_flow([shown("loads", loads)])
    opened_first = RealSession(before=lambda remote: remote.get(flow.app_id))
    run = play(flow, web_device, {"restart_app": restart}, open_session=opened_first)
    assert run.status == "success", errors(run)


def test_assert_passes_and_fails_with_and_without_text(play, web_flow, web_device):
    steps = [
        shown("username"),
        shown("sign-in", "Sign in"),
        shown("welcome"),  # in the page, not displayed: the list is hidden
        shown("sign-in", "Sign out"),
    ]
    run = play(web_flow(steps), web_device, {"clear_data": True, "failure_behaviour": "continue"})
    assert statuses(run) == ["pass", "pass", "fail", "fail"]
    errors = [r.error for r in run.step_results.order_by("step_number")]
    assert "id='welcome' not displayed" in errors[2] and "found but not displayed" in errors[2]
    assert "with text containing 'Sign out'" in errors[3] and "'Sign in'" in errors[3]


def test_a_swipe_really_scrolls_and_loads_the_next_page_of_the_list(play, web_flow, web_device):
    swipe = {"action": "swipe", "start_x": 206, "start_y": 800, "end_x": 206, "end_y": 100}
    product_ten = tap("product-10", using="id", timeout_ms=3000)
    before = play(
        web_flow([*SIGN_IN, {**product_ten, "timeout_ms": 1000}]),
        web_device,
        {"clear_data": True},
    )
    assert statuses(before)[-1] == "fail"  # below the fold: not loaded yet
    after = play(
        web_flow([*SIGN_IN, swipe, product_ten, shown("product-name", "Brown wallet")]),
        web_device,
        {"clear_data": True},
    )
    assert after.status == "success", errors(after)


def test_typing_without_a_locator_goes_to_the_focused_field(play, web_flow, web_device):
    steps = [
        tap("username", using="id"),
        {"action": "type", "text": "bob"},
        {"action": "type", "locator": {"using": "id", "value": "password"}, "text": "pw"},
        tap("sign-in", using="id"),
        shown("welcome", "Welcome, bob"),
    ]
    run = play(web_flow(steps), web_device, {"clear_data": True})
    assert run.status == "success", errors(run)


def test_a_disabled_button_does_nothing_and_the_next_check_says_so(play, web_flow, web_device):
    steps = [
        {"action": "type", "locator": {"using": "id", "value": "username"}, "text": "alice"},
        tap("sign-in", using="id"),  # no password: the button is disabled
        shown("welcome", "Welcome"),
    ]
    run = play(web_flow(steps), web_device, {"clear_data": True})
    assert statuses(run) == ["pass", "pass", "fail"]


def test_a_toast_covers_a_button_until_it_goes(play, web_flow, web_device, settings):
    settings.PLAYBACK_RETRY_PAUSE_S = 2.5
    steps = [
        *SIGN_IN,
        tap("product-2", using="id", timeout_ms=3000),
        tap("add-to-cart", using="id"),
    ]
    run = play(
        web_flow(steps, query="toast=2000"), web_device, {"clear_data": True, "retry_per_step": 1}
    )
    assert statuses(run) == ["pass"] * 5 + ["flaky"]
    assert "element click intercepted" in run.step_results.get(step_number=6).attempt_errors[0]


def test_an_unreachable_start_url_ends_the_run_as_error_with_the_url(play, make_flow, web_device):
    import socket

    # A port held (bound, never listening) for the test: refused, and no other
    # process of the suite can start serving on it meanwhile.
    held = socket.socket()
    held.bind(("127.0.0.1", 0))
    url = f"http://127.0.0.1:{held.getsockname()[1]}/shop/"
    try:
        run = play(make_flow([shown("x")], platform="web", app_id=url), web_device)
    finally:
        held.close()
    assert run.status == "error"
    assert url in run.error and "ERR_CONNECTION_REFUSED" in run.error
    assert statuses(run) == ["blocked"]


def test_a_web_device_without_chromium_ends_the_run_as_error(play, web_flow, web_device, settings):
    settings.PLAYBACK_WEB_CHROMIUM = "/nonexistent/chromium"
    run = play(web_flow([shown("username")]), web_device)
    assert run.status == "error"
    assert "Chromium not found (/nonexistent/chromium is missing)" in run.error
    assert "run make install" in run.error
    assert statuses(run) == ["blocked"]


def test_two_web_devices_play_at_once_on_one_appium_server(web_flow, web_device, make_device):
    import threading

    from django.db import connection

    from playback import services
    from playback.words import RunSettings

    devices = [
        make_device(web_device.appium_url, platform="web", device_id=f"web-{n}", capabilities={})
        for n in (2, 3)
    ]
    flow = web_flow(SIGN_IN)
    runs = [
        services.start_run(
            flow=flow, device=d, settings=RunSettings(clear_data=True), foreground=True
        )
        for d in devices
    ]

    def play(run: Run) -> None:
        try:
            services.play_in_foreground(run=run)
        finally:
            connection.close()

    threads = [threading.Thread(target=play, args=(run,)) for run in runs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    finished = [Run.objects.get(pk=run.pk) for run in runs]
    assert [run.status for run in finished] == ["success", "success"], [
        run.error for run in finished
    ]


def test_a_chromium_left_by_a_killed_worker_does_not_keep_the_device_from_playing(
    play, web_flow, web_device, demo_app
):
    """A worker killed mid-run leaves its session (and Chromium, on the device's
    profile) open until Appium drops it; the next run stops that Chromium and plays."""
    from playback.drivers import registry

    abandoned = registry.open_session(web_device, demo_app)
    abandoned.__enter__().activate_app(demo_app)  # never closed: the worker died
    run = play(web_flow(SIGN_IN), web_device, {"clear_data": True})
    assert run.status == "success", errors(run)


class InternalSite(http.server.BaseHTTPRequestHandler):
    """A page only this host may read ("/secret"), a start page that links to it, and
    a start URL that redirects to it."""

    def do_GET(self):
        secret = f"http://127.0.0.1:{self.server.server_port}/secret"
        if self.path == "/jump":
            self.send_response(302)
            self.send_header("Location", secret)
            self.end_headers()
            return
        body = (
            "<h1>SECRET-INTERNAL-PAGE</h1>"
            if self.path == "/secret"
            else f'<a id="out" href="{secret}" style="font-size:60px">out</a>'
        ).encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def internal_site(settings):
    """Served on 127.0.0.1, reached as "localhost": the only host web devices may open."""
    settings.PLAYBACK_WEB_ALLOWED_HOSTS = ["localhost"]
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), InternalSite)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://localhost:{server.server_port}"
    server.shutdown()


def kept_evidence(run: Run) -> bytes:
    """Every screenshot and source the run kept, as bytes."""
    kept = b""
    for result in run.step_results.all():
        if result.screenshot:
            kept += result.screenshot.read()
        for entry in result.attempt_log:
            for name in filter(None, (entry.get("screenshot"), entry.get("source"))):
                kept += default_storage.open(name).read()
    return kept


def test_a_start_url_redirected_where_the_device_may_not_go_ends_the_run(
    play, make_flow, web_device, internal_site
):
    flow = make_flow([shown("out")], platform="web", app_id=f"{internal_site}/jump")
    run = play(flow, web_device)
    assert run.status == "error", errors(run)
    assert "App preparation failed: The page went to http://127.0.0.1:" in run.error
    assert "PLAYBACK_WEB_ALLOWED_HOSTS" in run.error and statuses(run) == ["blocked"]
    assert b"SECRET-INTERNAL-PAGE" not in kept_evidence(run)


def test_a_tap_that_follows_a_link_where_the_device_may_not_go_fails_and_keeps_nothing_of_it(
    play, make_flow, web_device, internal_site
):
    flow = make_flow([tap("out", using="id")], platform="web", app_id=f"{internal_site}/start")
    run = play(flow, web_device)
    step = run.step_results.get()
    assert (run.status, step.status) == ("failed", "fail")
    assert "which a web device may not open" in step.error
    assert b"SECRET-INTERNAL-PAGE" not in kept_evidence(run)
    assert kept_evidence(run)  # the screen it left for (about:blank) is kept


def test_a_launcher_switch_saved_before_the_rule_runs_nothing_on_the_appium_host(
    play, web_flow, web_device, tmp_path
):
    marker = tmp_path / "ran-as-root"
    web_device.capabilities = {
        "goog:chromeOptions": {"args": [f"--renderer-cmd-prefix=/usr/bin/touch {marker}"]}
    }
    web_device.save(update_fields=["capabilities"])  # as a row from before the rule
    run = play(web_flow(SIGN_IN), web_device)
    assert run.status == "error" and "--renderer-cmd-prefix" in run.error
    assert "capabilities are not allowed" in run.error and statuses(run) == ["blocked"] * 4
    assert not marker.exists()


def test_long_text_types_within_the_command_timeout(play, web_flow, web_device):
    """6,000 characters took ~7 s as one command; here each command may take 3 s
    (the session itself opened with the usual timeout)."""
    import urllib3

    def short_commands(remote):
        remote.command_executor.client_config.timeout = urllib3.Timeout(connect=3, read=3)

    text = "lorem ipsum " * 500
    step = {"action": "type", "locator": {"using": "id", "value": "username"}, "text": text}
    typed: list[str] = []
    session = RealSession(
        before=short_commands,
        after=lambda remote: typed.append(
            remote.execute_script("return document.getElementById('username').value")
        ),
    )
    run = play(web_flow([step]), web_device, {"clear_data": True}, open_session=session)
    assert run.status == "success", errors(run)
    assert typed == [text]


def test_the_shipped_demo_web_flow_passes_with_the_default_settings_every_time(
    play, make_flow, web_device, demo_app
):
    """A returning visitor (signed in, a cart) and no retries in the settings: the demo
    clears its own state, and retries the tap the loading overlay may intercept."""
    data = json.loads((Path(settings.BASE_DIR) / "simulator/flows/demo_web.json").read_text())
    data["app_id"] = f"{demo_app}?overlay=1200"
    flow = make_flow(data["steps"], platform="web", app_id=data["app_id"], name=data["name"])
    for _ in range(2):
        run = play(flow, web_device)
        assert run.status == "success", errors(run)
        assert run.step_results.get(step_number=12).status == "pass"
