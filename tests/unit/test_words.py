"""The vocabulary (playback/words.py) and every place that derives from it.

Each drift test names one place; a status, action, platform, locator strategy or
setting added to `words` (or to that place) alone makes it fail.
"""

from __future__ import annotations

import dataclasses
import re
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core.management import call_command

from flows.models import Flow
from playback import engine, locators, services, step_counters, words
from playback.actions import Action
from playback.admin import display
from playback.admin.forms import RunSettingsForm
from playback.api.filters import RunFilter
from playback.drivers import appium, registry, session
from playback.management.commands import play as play_command
from playback.models import Device, Run, StepResult
from playback.resources import settings as run_settings
from playback.visual.judge import Verdict
from playback.words import (
    SETTINGS,
    FailureBehaviour,
    Platform,
    RunSettings,
    RunStatus,
    SettingsError,
    StepStatus,
    parse_settings,
)
from tests.scripted_driver import ScriptedDriver

ROOT = Path(django_settings.BASE_DIR)


def values(enum) -> set[str]:
    return {word.value for word in enum}


def choice_values(model, field: str) -> set[str]:
    return {value for value, _ in model._meta.get_field(field).choices}


# --- the words themselves -----------------------------------------------------------------
def test_the_engine_and_the_words_import_no_django():
    code = (
        "import sys; import playback.engine, playback.words; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'django'))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"


def test_run_settings_fields_are_the_settings_table_with_its_defaults():
    fields = dataclasses.fields(RunSettings)
    assert [f.name for f in fields] == [s.name for s in SETTINGS]
    assert [f.default for f in fields] == [s.default for s in SETTINGS]


def test_settings_defaults_match_the_contract():
    assert parse_settings({}) == RunSettings()
    assert RunSettings().stored() == {
        "restart_app": True,
        "clear_data": False,
        "retry_per_step": 0,
        "failure_behaviour": "stop",
        "capture_screenshots": True,
        "run_timeout_s": None,
        "record_video": None,  # the server's default: PLAYBACK_RECORD_VIDEO
        "update_baselines": False,
    }


def test_settings_survive_their_stored_form():
    settings = RunSettings(retry_per_step=2, failure_behaviour=FailureBehaviour.SKIP)
    assert RunSettings.from_stored(settings.stored()) == settings
    assert RunSettings.from_stored({"retry_per_step": 1, "gone": True}).retry_per_step == 1


@pytest.mark.parametrize(("given", "effective"), [(0, 0), (1, 1), (2, 2), (3, 3), (7, 3)])
def test_retry_per_step_is_capped_at_three(given, effective):
    assert parse_settings({"retry_per_step": given}).retry_per_step == effective


@pytest.mark.parametrize(
    ("given", "key", "message"),
    [
        ({"retry_per_step": -1}, "retry_per_step", "Must be 0 or more (got -1)"),
        ({"retry_per_step": "2"}, "retry_per_step", "Must be a whole number from 0 to 3 (got '2')"),
        ({"retry_per_step": 1.5}, "retry_per_step", "Must be a whole number"),
        ({"retry_per_step": True}, "retry_per_step", "Must be a whole number"),
        ({"restart_app": "true"}, "restart_app", "Must be true or false (got 'true')"),
        ({"clear_data": 1}, "clear_data", "Must be true or false (got 1)"),
        ({"capture_screenshots": None}, "capture_screenshots", "Must be true or false"),
        ({"failure_behaviour": "abort"}, "failure_behaviour", "Must be one of stop, skip"),
        ({"colour": 1}, "colour", "Unknown setting. Allowed: restart_app, clear_data"),
        ({"run_timeout_s": 0}, "run_timeout_s", "Must be from 1 to 86400 seconds (got 0)"),
        ({"run_timeout_s": "60"}, "run_timeout_s", "Must be a whole number from 1 to 86400"),
    ],
)  # fmt: skip
def test_bad_settings_are_rejected_naming_what_is_allowed(given, key, message):
    with pytest.raises(SettingsError) as caught:
        parse_settings(given)
    assert message in caught.value.errors[key]


def test_the_run_timeout_message_states_the_servers_own_maximum():
    with pytest.raises(SettingsError) as caught:
        parse_settings({"run_timeout_s": 5000}, max_run_timeout_s=3480)
    assert caught.value.errors == {"run_timeout_s": "Must be from 1 to 3480 seconds (got 5000)."}


def test_every_bad_setting_is_reported_at_once():
    with pytest.raises(SettingsError) as caught:
        parse_settings({"retry_per_step": -1, "restart_app": "no", "x": 1})
    assert set(caught.value.errors) == {"retry_per_step", "restart_app", "x"}


def test_failure_behaviour_is_parsed_to_its_enum():
    assert parse_settings({"failure_behaviour": "skip"}).failure_behaviour is FailureBehaviour.SKIP


def test_counters_and_tally_are_each_others_inverse():
    tally = {StepStatus.PASS: 3, StepStatus.FLAKY: 2, StepStatus.FAIL: 1}
    counters = step_counters.counters_from_tally(tally)
    assert counters["successful_steps"] == 5  # pass + flaky
    assert step_counters.tally_from_counters(counters) == {**dict.fromkeys(StepStatus, 0), **tally}


# --- drift: each place that derives from the words ------------------------------------
@pytest.mark.parametrize(
    ("model", "field", "enum"),
    [
        (Run, "status", RunStatus),
        (StepResult, "status", StepStatus),
        (Flow, "platform", Platform),
        (Device, "platform", Platform),
    ],
)
def test_model_choices_are_the_words(model, field, enum):
    assert choice_values(model, field) == values(enum)


@pytest.mark.django_db
def test_migrations_hold_the_models_choices():
    out = StringIO()
    try:
        call_command("makemigrations", "--check", "--dry-run", stdout=out)
    except SystemExit as exc:
        pytest.fail(f"a model changed without its migration ({exc}):\n{out.getvalue()}")


def test_the_runs_filter_offers_every_run_status():
    assert {value for value, _ in RunFilter.base_filters["status"].extra["choices"]} == values(
        RunStatus
    )


def test_the_api_names_every_setting_once():
    assert len({s.key for s in SETTINGS}) == len({s.flag for s in SETTINGS}) == len(SETTINGS)
    assert set(run_settings.SettingsSerializer().fields) == set(words.SETTINGS_BY_KEY)


def test_the_schema_enums_are_the_words(api):
    schema = api.get("/api/schema/?format=json").json()["components"]["schemas"]
    assert set(schema["RunStatusEnum"]["enum"]) == values(RunStatus)
    assert set(schema["StepStatusEnum"]["enum"]) == values(StepStatus)
    assert set(schema["PlatformEnum"]["enum"]) == values(Platform)


def test_the_admin_play_form_has_a_field_per_setting():
    assert set(RunSettingsForm().fields) == {s.name for s in SETTINGS}
    retry = RunSettingsForm().fields["retry_per_step"]
    assert [value for value, _ in retry.choices] == list(range(words.MAX_RETRIES_PER_STEP + 1))


def test_the_play_command_has_an_option_per_setting():
    assert set(play_command.OPTIONS) == {s.name for s in SETTINGS}
    parser = play_command.Command().create_parser("manage.py", "play")
    options = {option for action in parser._actions for option in action.option_strings}
    assert set(play_command.OPTIONS.values()) <= options


@pytest.mark.django_db
def test_every_action_is_validated_stored_and_played(make_flow):
    row = {"using": "id", "value": "row"}
    # Each action's step, and the driver call that plays it.
    examples = {
        Action.TAP: ({"action": "tap", "x": 1, "y": 2}, "tap"),
        Action.SWIPE: (
            {"action": "swipe", "start_x": 1, "start_y": 2, "end_x": 3, "end_y": 4},
            "swipe",
        ),
        Action.TYPE: ({"action": "type", "text": "hi"}, "type"),
        Action.ASSERT: ({"action": "assert", "locator": row}, "assert"),
        Action.LONG_PRESS: ({"action": "long_press", "x": 1, "y": 2}, "long_press"),
        Action.DOUBLE_TAP: ({"action": "double_tap", "locator": row}, "double_tap"),
        Action.ASSERT_NOT_VISIBLE: (
            {"action": "assert_not_visible", "locator": {"using": "id", "value": "gone"}},
            "visible",
        ),
        Action.BACK: ({"action": "back"}, "back"),
        Action.HIDE_KEYBOARD: ({"action": "hide_keyboard"}, "hide_keyboard"),
        Action.PRESS_KEY: ({"action": "press_key", "key": "enter"}, "press_key"),
        Action.ERASE_TEXT: ({"action": "erase_text"}, "erase_text"),
        Action.OPEN_LINK: ({"action": "open_link", "url": "demo://cart"}, "open_link"),
        Action.SCROLL_TO: ({"action": "scroll_to", "locator": row}, "visible"),
        Action.WAIT: ({"action": "wait", "ms": 10}, None),
        Action.WAIT_UNTIL: ({"action": "wait_until", "locator": row}, "visible"),
        Action.LAUNCH_APP: ({"action": "launch_app"}, "activate_app"),
        Action.STOP_APP: ({"action": "stop_app"}, "terminate_app"),
        Action.CLEAR_APP: ({"action": "clear_app"}, "clear_app"),
        Action.ASSERT_SCREEN: ({"action": "assert_screen", "name": "home"}, "steady_screenshot"),
    }
    assert set(examples) == set(Action)
    steps = services.engine_steps(make_flow([step for step, _ in examples.values()]))
    for step, (action, (_, call)) in zip(steps, examples.items(), strict=True):
        driver = ScriptedDriver(shown_until={"gone": 0})
        outcome = engine.play(
            driver, [step], app_id="app", settings=RunSettings(), sleep=driver.clock.sleep,
            clock=driver.clock, judge=lambda *_: Verdict(True),
        )  # fmt: skip
        assert [s.status for s in outcome.steps] == ["pass"], (action, outcome.steps)
        played = driver.names()[1:]  # after the app's state was asked
        assert call is None or call in played, (action, played)


def test_every_platform_has_a_driver_and_its_locator_strategies():
    assert set(registry.OPENERS) == set(Platform)
    for platform in Platform:
        assert callable(registry.opener_for(platform))
    # The web device builds its own (playback/drivers/web.py); every other goes by these.
    assert set(session.PLATFORM_CAPABILITIES) == set(Platform) - {Platform.WEB}
    assert set(locators.LOCATOR_STRATEGIES_BY_PLATFORM) == set(Platform)
    for strategies in locators.LOCATOR_STRATEGIES_BY_PLATFORM.values():
        assert set(strategies) <= set(locators.LOCATOR_STRATEGIES)
    # A text locator is each platform's own lookup (playback/drivers/text_locators.py).
    assert set(appium.LOCATOR_BY) == set(locators.LOCATOR_STRATEGIES) - {"text"}


def test_the_admin_draws_every_status():
    css = (ROOT / "playback" / "static" / "playback" / "admin.css").read_text()
    coloured = set(re.findall(r"\.pb-([a-z_]+)\b", css))
    assert values(RunStatus) | values(StepStatus) <= coloured
    assert set(display.STEP_SYMBOLS) == set(StepStatus)


def test_every_word_has_a_label():
    for enum in (RunStatus, StepStatus, Platform, FailureBehaviour):
        for word in enum:
            assert words.label(word) and "_" not in words.label(word)
    assert words.label(Platform.IOS) == "iOS"
