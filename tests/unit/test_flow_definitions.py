"""Validation of the flow JSON shape shared by import_flow and the flows API."""

from __future__ import annotations

import pytest

from flows.definitions import MAX_STEPS, DefinitionError, parse_flow, parse_step
from playback import actions

LOGIN = {"using": "accessibility id", "value": "login"}

ALL_ACTIONS = ", ".join(actions.SPECS)


def flow(*steps, **fields):
    return {
        "name": "Login",
        "platform": "sim",
        "app_id": "com.example",
        "steps": list(steps),
        **fields,
    }


def errors_of(data) -> dict[str, str]:
    with pytest.raises(DefinitionError) as caught:
        parse_flow(data)
    return caught.value.errors


def test_a_valid_flow_is_normalised_in_step_order():
    parsed = parse_flow(
        flow(
            {"step": 2, "action": "type", "text": "alice"},
            {"step": 1, "action": "tap", "locator": LOGIN, "timeout_ms": 100},
            {"step": 3, "action": "swipe", "start_x": 1, "start_y": 2, "end_x": 3, "end_y": 4},
            {"step": 4, "action": "tap", "x": 5, "y": 6},
        )
    )
    assert [s.number for s in parsed.steps] == [1, 2, 3, 4]
    assert parsed.steps[0].locator == LOGIN
    assert parsed.steps[0].timeout_ms == 100
    assert parsed.steps[2].params["duration"] == 500  # the documented default
    assert parsed.steps[3].params == {"x": 5, "y": 6}


def test_step_numbers_default_to_positions():
    parsed = parse_flow(flow({"action": "tap", "x": 1, "y": 1}, {"action": "tap", "x": 2, "y": 2}))
    assert [s.number for s in parsed.steps] == [1, 2]


def test_a_step_round_trips_through_its_json():
    data = {"step": 1, "action": "type", "locator": LOGIN, "text": "x", "timeout_ms": 5}
    assert parse_step(data, 1).as_json() == data


@pytest.mark.parametrize(
    ("step", "path", "message"),
    [
        (
            {"action": "press"},
            "steps[0].action",
            "Must be one of " + ALL_ACTIONS + " (got 'press')",
        ),
        (
            {"x": 1},
            "steps[0].action",
            "Must be one of " + ALL_ACTIONS + " (got None)",
        ),
        ({"action": "tap"}, "steps[0]", "A tap needs a locator or x and y screen coordinates."),
        ({"action": "tap", "x": 1}, "steps[0].y", "Required: a whole number from 0 to 100000"),
        (
            {"action": "tap", "x": 1, "y": 2, "locator": LOGIN},
            "steps[0]",
            "A tap takes a locator or x/y coordinates, not both.",
        ),
        ({"action": "tap", "x": -1, "y": 2}, "steps[0].x", "Must be from 0 to 100000 (got -1)"),
        ({"action": "tap", "x": "1", "y": 2}, "steps[0].x", "Must be a whole number"),
        ({"action": "type"}, "steps[0].text", "Required: the text to type"),
        ({"action": "type", "text": ""}, "steps[0].text", "Required: the text to type"),
        ({"action": "type", "text": 5}, "steps[0].text", "Required: the text to type"),
        ({"action": "swipe", "start_x": 1}, "steps[0].start_y", "Required: a whole number"),
        ({"action": "assert"}, "steps[0].locator", "Required: the element that must be displayed"),
        (
            {"action": "assert", "locator": LOGIN, "text": ""},
            "steps[0].text",
            "must contain: a non-empty string, or leave it out.",
        ),
        (
            {"action": "assert", "locator": LOGIN, "text": 3},
            "steps[0].text",
            "must contain: a non-empty string, or leave it out.",
        ),
        (
            {"action": "assert", "locator": LOGIN, "x": 1},
            "steps[0]",
            "Unknown keys for an assert: x.",
        ),
        (
            {"action": "tap", "locator": {"using": "css", "value": "a"}},
            "steps[0].locator.using",
            "Must be one of accessibility id, id, xpath",
        ),
        (
            {"action": "tap", "locator": {"using": "id", "value": ""}},
            "steps[0].locator.value",
            "Required: a non-empty string.",
        ),
        ({"action": "tap", "locator": "login"}, "steps[0].locator", "Must be an object"),
        (
            {"action": "tap", "x": 1, "y": 1, "text": "a"},
            "steps[0]",
            "Unknown keys for a tap: text.",
        ),
        (
            {"action": "tap", "x": 1, "y": 1, "timeout_ms": -5},
            "steps[0].timeout_ms",
            "Must be from 0 to 600000",
        ),
        ({"action": "tap", "x": 1, "y": 1, "step": 0}, "steps[0].step", "Must be from 1 to"),
        ("tap", "steps[0]", "Must be an object with an action."),
    ],
)
def test_bad_steps_are_rejected_with_the_field_to_fix(step, path, message):
    errors = errors_of(flow(step))
    assert message in errors[path], errors


@pytest.mark.parametrize(
    ("step", "summary"),
    [
        ({"action": "assert", "locator": LOGIN}, "assert accessibility id='login' is displayed"),
        (
            {"action": "assert", "locator": LOGIN, "text": "Sign in"},
            "assert accessibility id='login' shows 'Sign in'",
        ),
    ],
)
def test_an_assert_takes_a_locator_and_optional_text(step, summary):
    (parsed,) = parse_flow(flow(step)).steps
    assert parsed.locator == LOGIN
    assert parsed.params == ({"text": step["text"]} if "text" in step else {})
    assert actions.summary(step) == summary


@pytest.mark.parametrize(
    ("platform", "using", "refused"),
    [
        ("sim", "-android uiautomator", True),
        ("sim", "-ios class chain", True),
        ("android", "-ios predicate string", True),
        ("ios", "-android uiautomator", True),
        ("android", "-android uiautomator", False),
        ("ios", "-ios class chain", False),
        ("sim", "xpath", False),
    ],
)
def test_a_strategy_the_flows_platform_cannot_use_is_refused(platform, using, refused):
    step = {"action": "tap", "locator": {"using": using, "value": "x"}}
    data = flow({"action": "tap", "x": 1, "y": 1}, step, platform=platform)
    if not refused:
        assert parse_flow(data).steps[1].locator["using"] == using
        return
    message = errors_of(data)["steps[1].locator.using"]
    assert message.startswith(f"A {platform} flow cannot find elements by {using!r}: use one of")


def test_every_bad_step_is_reported_at_once():
    errors = errors_of(
        flow({"action": "tap"}, {"action": "type"}, {"action": "tap", "x": 1, "y": 1})
    )
    assert set(errors) == {"steps[0]", "steps[1].text"}


def test_duplicate_step_numbers_are_rejected():
    errors = errors_of(
        flow(
            {"step": 1, "action": "tap", "x": 1, "y": 1}, {"step": 1, "action": "type", "text": "a"}
        )
    )
    assert "used twice" in errors["steps[1].step"]


@pytest.mark.parametrize(
    ("fields", "path", "message"),
    [
        ({"name": ""}, "name", "Required: a non-empty string."),
        ({"name": "x" * 201}, "name", "At most 200 characters"),
        ({"platform": "windows"}, "platform", "Must be one of android, ios, sim"),
        ({"app_id": None}, "app_id", "Required"),
        ({"steps": {"action": "tap"}}, "steps", "Must be a list of steps."),
        ({"colour": "red"}, "flow", "Unknown keys colour."),
    ],
)
def test_bad_flow_fields_are_rejected(fields, path, message):
    assert message in errors_of(flow(**fields))[path]


def test_a_flow_must_be_an_object():
    assert "Must be an object" in errors_of(["steps"])["flow"]


def test_huge_step_lists_are_refused():
    steps = [{"action": "tap", "x": 1, "y": 1}] * (MAX_STEPS + 1)
    assert f"At most {MAX_STEPS} steps" in errors_of(flow(*steps))["steps"]


def test_a_missing_coordinate_says_it_is_required_and_what_it_takes():
    errors = errors_of(flow({"action": "swipe", "start_x": 1, "start_y": 2, "end_x": 3}))
    assert errors["steps[0].end_y"] == "Required: a whole number from 0 to 100000."


@pytest.mark.parametrize(
    ("given", "tags", "problem"),
    [
        (None, (), None),
        ([], (), None),
        (["Smoke", " checkout ", "smoke"], ("checkout", "smoke"), None),  # trimmed, lower, once
        ("smoke, nightly  v1.2", ("nightly", "smoke", "v1.2"), None),  # a form's words
        (["a_b-c.d"], ("a_b-c.d",), None),
        (["-lead"], (), "Tag '-lead': use lower case letters"),
        (["two words"], (), "Tag 'two words': use lower case letters"),
        (["x" * 51], (), "at most 50 characters"),
        ([7], (), "A tag is a string"),
        ({"smoke": 1}, (), "Must be a list of tags (got dict)."),
        ([f"t{i}" for i in range(21)], (), "At most 20 tags (got 21)."),
    ],
)
def test_tags_are_checked_trimmed_lower_cased_and_sorted(given, tags, problem):
    from flows.tags import parse_tags

    got, said = parse_tags(given)
    assert got == tags
    assert (said is None) if problem is None else problem in said


def test_a_flow_with_bad_tags_is_refused_with_the_path():
    data = {"name": "x", "platform": "sim", "app_id": "a", "tags": ["ok", "no way"],
            "steps": [{"action": "tap", "x": 1, "y": 2}]}  # fmt: skip
    with pytest.raises(DefinitionError) as caught:
        parse_flow(data)
    assert "Tag 'no way'" in caught.value.errors["tags"]
    assert parse_flow({**data, "tags": ["ok"]}).tags == ("ok",)
