"""The action specs (playback/actions/): one home per action, read by every place
that names, parses, identifies or plays a step."""

from __future__ import annotations

import hashlib
import json

import pytest

from flows.definitions import parse_step
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
        "tap", "swipe", "type", "assert", "long_press", "double_tap", "assert_not_visible",
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
