"""The action specs (playback/actions/): one home per action, read by every place
that names, parses, identifies or plays a step."""

from __future__ import annotations

import hashlib
import json

import pytest

from flows.definitions import DefinitionError, parse_step
from playback import actions
from playback.insights.identity import step_key

LOGIN = {"using": "id", "value": "login"}
EXAMPLES = [
    ({"action": "tap", "locator": LOGIN}, "tap id='login'", "id='login'"),
    ({"action": "tap", "x": 5, "y": 6}, "tap (5, 6)", "(5, 6)"),
    (
        {"action": "swipe", "start_x": 1, "start_y": 2, "end_x": 3, "end_y": 4, "duration": 9},
        "swipe (1, 2) → (3, 4)",
        "(1, 2) → (3, 4)",
    ),
    ({"action": "type", "text": "bob"}, "type 'bob'", ""),
    (
        {"action": "type", "text": "bob", "locator": LOGIN},
        "type 'bob' into id='login'",
        "id='login'",
    ),
    ({"action": "assert", "locator": LOGIN}, "assert id='login' is displayed", "id='login'"),
    (
        {"action": "assert", "locator": LOGIN, "text": "Hi"},
        "assert id='login' shows 'Hi'",
        "id='login'",
    ),
]


def test_the_registry_finds_every_spec_in_its_order():
    assert list(actions.SPECS) == [
        "tap", "swipe", "type", "assert", "assert_screen", "long_press", "double_tap",
        "assert_not_visible",
        "back", "hide_keyboard", "press_key", "erase_text", "open_link", "scroll_to", "wait",
        "wait_until", "launch_app", "stop_app", "clear_app",
    ]  # fmt: skip
    assert [a.value for a in actions.Action] == list(actions.SPECS)
    assert actions.Action.ASSERT == "assert"
    for spec in actions.SPECS.values():
        assert set(spec.identity) <= spec.key_names
        assert not spec.key_names & actions.COMMON_KEYS


@pytest.mark.parametrize(("step", "summary", "target"), EXAMPLES)
def test_each_step_is_named_by_its_spec(step, summary, target):
    assert actions.summary(step) == summary
    assert actions.target(step) == target
    assert parse_step(step, 1).params == {
        k: v for k, v in step.items() if k not in ("action", "locator")
    }


@pytest.mark.parametrize(("step", "summary", "target"), EXAMPLES)
def test_a_step_keeps_the_key_it_had_before_the_specs(step, summary, target):
    # The key as insights/identity.py computed it before the specs: a step's history
    # (flake rates, failure groups) must not start over.
    fields = ("action", "locator", "x", "y", "start_x", "start_y", "end_x", "end_y", "text")
    what = {f: step[f] for f in fields if step.get(f) is not None}
    canonical = json.dumps(what, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    assert step_key(step) == hashlib.sha256(canonical.encode()).hexdigest()[:16]


def test_an_unknown_action_is_named_as_itself_and_never_played():
    assert actions.summary({"action": "dance"}) == "dance"
    assert actions.target({"action": "dance"}) == ""
    with pytest.raises(ValueError, match="Unknown action 'dance'"):
        actions.spec_for("dance")


def test_the_flows_schema_lists_each_key_with_the_actions_that_take_it():
    from flows.serializers import StepSerializer

    fields = StepSerializer().fields
    assert set(actions.keys()) <= set(fields)
    assert fields["text"].help_text.startswith("type, assert:")
    assert [value for value, _ in actions.choices()] == list(actions.SPECS)


# Wave 3's actions: the step, its one line, what it acts on, its parsed params.
ROW = {"using": "text", "value": "Row 9"}
NEW_EXAMPLES = [
    ({"action": "long_press", "locator": LOGIN}, "long press id='login' for 1000 ms",
     "id='login'", {"duration": 1000}),
    ({"action": "long_press", "x": 1, "y": 2, "duration": 300}, "long press (1, 2) for 300 ms",
     "(1, 2)", {"x": 1, "y": 2, "duration": 300}),
    ({"action": "double_tap", "locator": ROW}, "double tap text='Row 9'", "text='Row 9'", {}),
    ({"action": "assert_not_visible", "locator": LOGIN}, "assert id='login' is not displayed",
     "id='login'", {}),
    ({"action": "back"}, "back", "", {}),
    ({"action": "hide_keyboard"}, "hide keyboard", "", {}),
    ({"action": "press_key", "key": "enter"}, "press enter", "", {"key": "enter"}),
    ({"action": "erase_text"}, "erase 50 characters", "", {"count": 50}),
    ({"action": "open_link", "url": "shop://cart"}, "open link shop://cart", "shop://cart",
     {"url": "shop://cart"}),
    ({"action": "scroll_to", "locator": {**ROW, "regex": True, "index": 1}},
     "scroll down to text=/Row 9/[1]", "text=/Row 9/[1]", {"direction": "down", "max_swipes": 10}),
    ({"action": "wait", "ms": 250}, "wait 250 ms", "", {"ms": 250}),
    ({"action": "wait_until", "locator": LOGIN, "visible": False},
     "wait until id='login' is gone", "id='login'", {"visible": False}),
    ({"action": "wait_until", "locator": LOGIN}, "wait until id='login' is displayed",
     "id='login'", {}),
    ({"action": "launch_app"}, "launch app", "", {}),
    ({"action": "stop_app"}, "stop app", "", {}),
    ({"action": "clear_app"}, "clear app", "", {}),
]  # fmt: skip


@pytest.mark.parametrize(("step", "summary", "target", "params"), NEW_EXAMPLES)
def test_each_new_action_is_named_and_parsed_by_its_spec(step, summary, target, params):
    parsed = parse_step(step, 1)
    assert parsed.params == params
    shown = parsed.as_json()
    assert actions.summary(shown) == summary
    assert actions.target(shown) == target


@pytest.mark.parametrize(
    ("step", "path", "message"),
    [
        ({"action": "long_press"}, "s", "A long press needs a locator or x and y"),
        ({"action": "long_press", "x": 1, "y": 1, "duration": 0}, "s.duration", "from 1 to 60000"),
        ({"action": "double_tap", "x": 1, "y": 1, "locator": LOGIN}, "s", "not both"),
        ({"action": "press_key", "key": "F13"}, "s.key", "Must be one of enter, backspace"),
        ({"action": "erase_text", "count": 0}, "s.count", "from 1 to 10000"),
        ({"action": "open_link", "url": "cart"}, "s.url", "a link with its scheme"),
        ({"action": "open_link"}, "s.url", "Required"),
        ({"action": "scroll_to"}, "s.locator", "Required: the element to scroll to"),
        ({"action": "scroll_to", "locator": LOGIN, "direction": "north"}, "s.direction",
         "Must be one of down, up, left, right"),
        ({"action": "scroll_to", "locator": LOGIN, "max_swipes": 101}, "s.max_swipes", "0 to 100"),
        ({"action": "wait"}, "s.ms", "Required: a whole number from 0 to 60000"),
        ({"action": "wait", "ms": 60001}, "s.ms", "from 0 to 60000"),
        ({"action": "wait_until", "locator": LOGIN, "visible": "no"}, "s.visible", "true or false"),
        ({"action": "assert_not_visible"}, "s.locator", "Required"),
        ({"action": "back", "optional": "yes"}, "s.optional", "true or false"),
        ({"action": "back", "key": "enter"}, "s", "Unknown keys for a back: key"),
        ({"action": "tap", "locator": {"using": "id", "value": "a", "regex": True}},
         "s.locator.regex", 'Only a "text" locator'),
        ({"action": "tap", "locator": {"using": "text", "value": "(", "regex": True}},
         "s.locator.value", "Not a valid regular expression"),
        ({"action": "tap", "locator": {"using": "text", "value": "a", "index": -1}},
         "s.locator.index", "from 0 to 1000"),
        ({"action": "tap", "locator": {"using": "text", "value": "a", "nth": 1}},
         "s.locator", "a locator has using, value, regex, index"),
    ],
)  # fmt: skip
def test_a_bad_new_step_names_the_field_to_fix(step, path, message):
    with pytest.raises(DefinitionError) as caught:
        parse_step(step, 1, path="s")
    assert message in caught.value.errors[path]


def test_a_regex_false_or_absent_locator_keeps_the_step_key_it_had():
    plain = parse_step({"action": "tap", "locator": {"using": "id", "value": "a"}}, 1)
    spelled = parse_step(
        {"action": "tap", "locator": {"using": "id", "value": "a", "regex": False}}, 1
    )
    assert step_key(plain.as_json()) == step_key(spelled.as_json())


@pytest.mark.parametrize(
    ("step", "played"),
    [
        ({"action": "tap", "x": 50, "y": 25, "percent": True}, ("tap", 500, 500)),
        ({"action": "long_press", "x": 10, "y": 50, "percent": True}, ("long_press", 100, 1000)),
        ({"action": "swipe", "start_x": 90, "start_y": 50, "end_x": 10, "end_y": 50,
          "percent": True, "duration": 400}, ("swipe", 900, 1000, 100, 1000, 400)),
        ({"action": "swipe", "start_x": 90, "start_y": 50, "end_x": 10, "end_y": 50,
          "duration": 400}, ("swipe", 90, 50, 10, 50, 400)),
    ],
)  # fmt: skip
def test_percent_coordinates_are_of_the_screens_size(step, played):
    from flows.models import Flow
    from flows.models import Step as FlowStep
    from playback import engine
    from playback.services.playing import engine_step
    from tests.scripted_driver import ScriptedDriver

    driver = ScriptedDriver(screen=(1000, 2000))
    stored = engine_step(FlowStep.from_definition(Flow(), parse_step(step, 1)))
    context = engine.Context(timeout_ms=0, app_id="app", sleep=driver.clock.sleep)
    actions.spec_for(stored.action).play(driver, stored, context)
    assert driver.calls[-1][: len(played)] == played


def test_percent_coordinates_are_at_most_100_and_only_for_points():
    with pytest.raises(DefinitionError) as caught:
        parse_step({"action": "tap", "x": 101, "y": 1, "percent": True}, 1, path="s")
    assert "from 0 to 100" in caught.value.errors["s.x"]
    with pytest.raises(DefinitionError) as caught:
        parse_step({"action": "tap", "locator": LOGIN, "percent": True}, 1, path="s")
    assert "Only x/y" in caught.value.errors["s.percent"]
