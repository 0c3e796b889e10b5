"""The playback rules (docs/engine.md), with a scripted in-process driver.

Covers: restart_app, clear_data, retry_per_step 0-3 (7 capped), stop/skip/continue,
every step status, mixed scenarios, screenshots on/off, a failing screenshot,
failing app preparation, cancellation and the run's timeout. Settings parsing is
in test_words.py.
"""

from __future__ import annotations

import pytest

from playback import engine
from playback.actions import Action
from playback.engine import Step, Timing
from playback.locators import Locator
from playback.words import RunSettings, RunStatus, StepStatus, parse_settings
from tests.scripted_driver import ScriptedDriver

APP = "com.example.app"
TIMING = Timing(retry_pause_s=1.0, launch_timeout_s=5.0, launch_poll_s=0.1, element_timeout_ms=700)


def tap(number: int, target: str) -> Step:
    return Step(number, Action.TAP, locator=Locator("accessibility id", target))


def flow(*targets: str) -> list[Step]:
    return [tap(i, target) for i, target in enumerate(targets, start=1)]


def play(driver: ScriptedDriver, steps: list[Step], **settings) -> engine.RunOutcome:
    return engine.play(
        driver,
        steps,
        app_id=APP,
        settings=parse_settings(settings),
        timing=TIMING,
        sleep=driver.clock.sleep,
        clock=driver.clock,
    )


# --- the status table -----------------------------------------------------------
# (case, find failures per target, settings, expected statuses, attempts, run status)
STATUS_TABLE = [
    ("all pass", {}, {}, ["pass"] * 4, [1, 1, 1, 1], "success"),
    ("retry 0: a failure fails", {"b": 1}, {"retry_per_step": 0},
     ["pass", "fail", "blocked", "blocked"], [1, 1, 0, 0], "partial_success"),
    ("retry 1: one failure is flaky", {"b": 1}, {"retry_per_step": 1},
     ["pass", "flaky", "pass", "pass"], [1, 2, 1, 1], "success"),
    ("retry 2: two failures are flaky", {"b": 2}, {"retry_per_step": 2},
     ["pass", "flaky", "pass", "pass"], [1, 3, 1, 1], "success"),
    ("retry 2: three failures fail", {"b": 3}, {"retry_per_step": 2},
     ["pass", "fail", "blocked", "blocked"], [1, 3, 0, 0], "partial_success"),
    ("retry 3: three failures are flaky", {"b": 3}, {"retry_per_step": 3},
     ["pass", "flaky", "pass", "pass"], [1, 4, 1, 1], "success"),
    ("retry 3: four failures fail", {"b": 4}, {"retry_per_step": 3},
     ["pass", "fail", "blocked", "blocked"], [1, 4, 0, 0], "partial_success"),
    ("retry 7 is capped at 3", {"b": 5}, {"retry_per_step": 7},
     ["pass", "fail", "blocked", "blocked"], [1, 4, 0, 0], "partial_success"),
    ("stop blocks the rest", {"b": 9}, {"failure_behaviour": "stop"},
     ["pass", "fail", "blocked", "blocked"], [1, 1, 0, 0], "partial_success"),
    ("skip skips the rest", {"b": 9}, {"failure_behaviour": "skip"},
     ["pass", "fail", "skipped", "skipped"], [1, 1, 0, 0], "partial_success"),
    ("continue runs the rest", {"b": 9}, {"failure_behaviour": "continue"},
     ["pass", "fail", "pass", "pass"], [1, 1, 1, 1], "partial_success"),
    ("first step fails with stop: failed", {"a": 9}, {},
     ["fail", "blocked", "blocked", "blocked"], [1, 0, 0, 0], "failed"),
    ("every step fails with continue: failed", {"a": 9, "b": 9, "c": 9, "d": 9},
     {"failure_behaviour": "continue"}, ["fail"] * 4, [1, 1, 1, 1], "failed"),
    ("mixed: flaky, fail, continue", {"a": 1, "c": 9},
     {"retry_per_step": 1, "failure_behaviour": "continue"},
     ["flaky", "pass", "fail", "pass"], [2, 1, 2, 1], "partial_success"),
    ("mixed: pass, flaky, fail, blocked", {"b": 1, "c": 2}, {"retry_per_step": 1},
     ["pass", "flaky", "fail", "blocked"], [1, 2, 2, 0], "partial_success"),
    ("mixed: pass, flaky, fail, skipped", {"b": 1, "c": 2},
     {"retry_per_step": 1, "failure_behaviour": "skip"},
     ["pass", "flaky", "fail", "skipped"], [1, 2, 2, 0], "partial_success"),
    ("flaky only is still success", {"a": 1, "d": 1}, {"retry_per_step": 1},
     ["flaky", "pass", "pass", "flaky"], [2, 1, 1, 2], "success"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("failures", "given", "statuses", "attempts", "run_status"),
    [case[1:] for case in STATUS_TABLE],
    ids=[case[0] for case in STATUS_TABLE],
)
def test_status_table(failures, given, statuses, attempts, run_status):
    driver = ScriptedDriver(find_failures=failures)
    outcome = play(driver, flow("a", "b", "c", "d"), **given)
    assert [s.status for s in outcome.steps] == statuses
    assert [s.attempts for s in outcome.steps] == attempts
    assert outcome.status == run_status
    assert outcome.counts["total_steps"] == 4
    assert outcome.counts["successful_steps"] == statuses.count("pass") + statuses.count("flaky")
    assert outcome.counts["flaky_steps"] == statuses.count("flaky")
    assert outcome.counts["failed_steps"] == statuses.count("fail")
    assert outcome.counts["skipped_steps"] == statuses.count("skipped")
    assert outcome.counts["blocked_steps"] == statuses.count("blocked")


# --- step messages ----------------------------------------------------------------
def test_flaky_step_says_which_attempt_passed_and_keeps_first_error():
    driver = ScriptedDriver(find_failures={"b": 2})
    step = play(driver, flow("a", "b"), retry_per_step=3).steps[1]
    assert step.status == StepStatus.FLAKY
    assert step.error == (
        "Passed on attempt 3; attempt 1 failed: Element not found: accessibility id='b'"
    )
    assert step.attempt_errors == ["Element not found: accessibility id='b'"] * 2


def test_failed_step_reports_attempt_count_and_last_error():
    driver = ScriptedDriver(find_failures={"a": 1}, click_failures={"a": 5})
    step = play(driver, flow("a"), retry_per_step=2).steps[0]
    assert step.status == StepStatus.FAIL
    assert step.error == "Failed after 3 attempts: Element a is not clickable"
    assert step.attempt_errors == [
        "Element not found: accessibility id='a'",
        "Element a is not clickable",
        "Element a is not clickable",
    ]


def test_single_attempt_failure_says_attempt_in_singular():
    step = play(ScriptedDriver(find_failures={"a": 1}), flow("a")).steps[0]
    assert step.error == "Failed after 1 attempt: Element not found: accessibility id='a'"


def test_it_marks_remaining_steps_blocked_on_stop_with_the_failed_step_named():
    outcome = play(ScriptedDriver(find_failures={"b": 1}), flow("a", "b", "c"))
    assert outcome.steps[2].error == "Not run: step 2 failed"
    assert outcome.steps[2].duration_ms == 0
    assert outcome.steps[2].screenshot is None


def test_it_marks_remaining_steps_skipped_on_skip():
    outcome = play(
        ScriptedDriver(find_failures={"b": 1}), flow("a", "b", "c"), failure_behaviour="skip"
    )
    assert outcome.steps[2].error == "Skipped: step 2 failed"


def test_blocked_and_skipped_steps_are_never_executed():
    driver = ScriptedDriver(find_failures={"a": 1})
    play(driver, flow("a", "b", "c"))
    assert [c for c in driver.calls if c[0] == "find"] == [("find", "a", 700)]


def test_retry_pauses_between_attempts_only():
    driver = ScriptedDriver(find_failures={"a": 2})
    play(driver, flow("a", "b"), retry_per_step=3, restart_app=False)
    assert driver.clock.sleeps == [1.0, 1.0]


def test_step_timeout_overrides_the_default_element_wait():
    driver = ScriptedDriver()
    steps = [Step(1, Action.TAP, locator=Locator("id", "a"), timeout_ms=50), tap(2, "b")]
    play(driver, steps)
    assert [c for c in driver.calls if c[0] == "find"] == [("find", "a", 50), ("find", "b", 700)]


def test_each_action_drives_the_matching_driver_call():
    steps = [
        Step(1, Action.TAP, params={"x": 10, "y": 20}),
        Step(
            2,
            Action.SWIPE,
            params={"start_x": 1, "start_y": 2, "end_x": 3, "end_y": 4, "duration": 300},
        ),
        Step(3, Action.TYPE, params={"text": "hello"}),
        Step(4, Action.TYPE, locator=Locator("id", "user"), params={"text": "bob"}),
    ]
    driver = ScriptedDriver()
    outcome = play(driver, steps, restart_app=False, capture_screenshots=False)
    assert outcome.status == RunStatus.SUCCESS
    actions = [c for c in driver.calls if c[0] in {"tap", "swipe", "type", "find"}]
    assert actions == [
        ("tap", 10, 20),
        ("swipe", 1, 2, 3, 4, 300),
        ("type", "hello", None),
        ("find", "user", 700),
        ("type", "bob", "user"),
    ]


# (case, what the element shows, find failures, expected text, retries, status, error part)
ASSERT_TABLE = [
    ("displayed, no text asked", {}, {}, None, 0, "pass", None),
    ("text contained", {"title": "Welcome back, Ann"}, {}, "Welcome back", 0, "pass", None),
    ("text differs", {"title": "Sign in"}, {}, "Welcome", 1, "fail", "shows 'Sign in'"),
    ("not there yet, retried", {}, {"title": 1}, None, 1, "flaky", "not displayed"),
    ("never there", {}, {"title": 9}, None, 2, "fail", "Failed after 3 attempts"),
]


@pytest.mark.parametrize(
    ("case", "texts", "failures", "text", "retries", "status", "error"),
    ASSERT_TABLE,
    ids=[row[0] for row in ASSERT_TABLE],
)
def test_an_assert_step_checks_the_element_within_its_timeout(
    case, texts, failures, text, retries, status, error
):
    driver = ScriptedDriver(texts=texts, find_failures=failures)
    params = {"text": text} if text is not None else {}
    step = Step(1, Action.ASSERT, locator=Locator("id", "title"), params=params, timeout_ms=300)
    outcome = play(driver, [step], retry_per_step=retries)
    (result,) = outcome.steps
    assert result.status == status
    assert ("assert", "title", text, 300) in driver.calls
    if error is None:
        assert result.error is None
    else:
        assert error in result.error


def test_coordinate_tap_and_swipe_failures_are_retried():
    swipe = {"start_x": 0, "start_y": 0, "end_x": 0, "end_y": 0, "duration": 0}
    steps = [Step(1, Action.TAP, params={"x": 1, "y": 1}), Step(2, Action.SWIPE, params=swipe)]
    driver = ScriptedDriver(tap_failures=1, swipe_failures=1)
    outcome = play(driver, steps, retry_per_step=1)
    assert [s.status for s in outcome.steps] == ["flaky", "flaky"]


def test_step_duration_covers_attempts_and_pauses():
    driver = ScriptedDriver(find_failures={"a": 1}, step_cost_s=0.01)
    step = play(driver, flow("a"), retry_per_step=1).steps[0]
    # find+click... : 1 failed find (10 ms) + pause (1000 ms) + find + click (20 ms)
    assert step.duration_ms == 1030


# --- app preparation --------------------------------------------------------------
@pytest.mark.parametrize(
    ("given", "running", "expected"),
    [
        ({"restart_app": True}, True, ["terminate_app", "activate_app", "query_app_state"]),
        (
            {"restart_app": True, "clear_data": True},
            True,
            ["terminate_app", "clear_app", "activate_app", "query_app_state"],
        ),
        (
            {"restart_app": False, "clear_data": True},
            True,
            ["terminate_app", "clear_app", "activate_app", "query_app_state"],
        ),
        ({"restart_app": False}, True, ["query_app_state", "query_app_state"]),
        (
            {"restart_app": False},
            False,
            ["query_app_state", "activate_app", "query_app_state"],
        ),
    ],
    ids=["restart", "restart+clear", "clear only", "no restart", "no restart, app closed"],
)
def test_app_preparation(given, running, expected):
    driver = ScriptedDriver(running=running)
    outcome = play(driver, flow("a"), capture_screenshots=False, **given)
    assert outcome.status == RunStatus.SUCCESS
    assert driver.names()[: len(expected)] == expected
    assert driver.names()[len(expected)] == "find"


def test_no_clear_and_no_restart_keep_the_app_as_it_is():
    driver = ScriptedDriver()
    play(driver, flow("a"), restart_app=False, clear_data=False)
    assert "terminate_app" not in driver.names()
    assert "clear_app" not in driver.names()


def test_it_waits_for_the_foreground_by_polling_not_a_fixed_sleep():
    driver = ScriptedDriver(launch_polls=3)
    outcome = play(driver, flow("a"))
    assert outcome.status == RunStatus.SUCCESS
    assert driver.names().count("query_app_state") == 4
    assert driver.clock.sleeps == [0.1, 0.1, 0.1]


def test_app_that_never_reaches_the_foreground_ends_the_run_as_error():
    driver = ScriptedDriver(launch_polls=10_000)
    outcome = play(driver, flow("a", "b"))
    assert outcome.status == RunStatus.ERROR
    assert outcome.error == (
        f"App preparation failed: app {APP} did not reach the foreground within 5 s "
        "(state 2: running in background (suspended))"
    )
    assert [s.status for s in outcome.steps] == ["blocked", "blocked"]
    assert outcome.steps[0].error == "Not run: app preparation failed"
    assert "find" not in driver.names()


def test_failing_app_preparation_blocks_every_step():
    driver = ScriptedDriver(installed=False)
    outcome = play(driver, flow("a", "b", "c"))
    assert outcome.status == RunStatus.ERROR
    assert "is not installed" in outcome.error
    assert outcome.counts["blocked_steps"] == 3


# --- screenshots ------------------------------------------------------------------
def test_screenshot_after_every_executed_step_only():
    driver = ScriptedDriver(find_failures={"a": 1, "b": 9})
    outcome = play(driver, flow("a", "b", "c"), retry_per_step=1)
    assert [s.status for s in outcome.steps] == ["flaky", "fail", "blocked"]
    assert [s.screenshot is not None for s in outcome.steps] == [True, True, False]
    # One after each failed attempt (a: 1, b: 2) and one after a step that passed; a
    # failed step's screen is its last attempt's, taken once.
    assert driver.names().count("screenshot") == 4
    assert outcome.steps[1].screenshot is outcome.steps[1].attempt_evidence[-1].screenshot


# (case, find failures, retries, capture, screenshot error, source error,
#  expected (attempt, has screenshot, has source, capture error part) per evidence)
EVIDENCE_TABLE = [
    ("flaky: the failed attempt's screen", {"a": 1}, 1, True, None, None, [(1, True, True, None)]),
    ("fail: every attempt", {"a": 9}, 2, True, None, None,
     [(1, True, True, None), (2, True, True, None), (3, True, True, None)]),
    ("pass: nothing", {}, 2, True, None, None, []),
    ("capture off: nothing", {"a": 1}, 1, False, None, None, []),
    ("screenshot fails: source kept", {"a": 1}, 1, True, "screen is off", None,
     [(1, False, True, "screenshot: screen is off")]),
    ("source fails: screenshot kept", {"a": 1}, 1, True, None, "no hierarchy",
     [(1, True, False, "source: no hierarchy")]),
]  # fmt: skip


@pytest.mark.parametrize(
    ("case", "failures", "retries", "capture", "shot_error", "source_error", "expected"),
    EVIDENCE_TABLE,
    ids=[row[0] for row in EVIDENCE_TABLE],
)
def test_each_failed_attempt_keeps_its_screen_and_source(
    case, failures, retries, capture, shot_error, source_error, expected
):
    driver = ScriptedDriver(
        find_failures=failures, screenshot_error=shot_error, source_error=source_error
    )
    outcome = play(driver, flow("a"), retry_per_step=retries, capture_screenshots=capture)
    (step,) = outcome.steps
    got = [
        (e.attempt, e.screenshot is not None, e.source is not None, e.capture_error)
        for e in step.attempt_evidence
    ]
    assert [g[:3] for g in got] == [e[:3] for e in expected]
    for (*_, error), (*_, part) in zip(got, expected, strict=True):
        assert (error is None) if part is None else (part in error)
    assert [e.error for e in step.attempt_evidence] == step.attempt_errors[: len(expected)]
    assert step.status in ("pass", "flaky", "fail")  # a capture never changes it


def test_no_screenshots_when_capture_is_off():
    driver = ScriptedDriver()
    outcome = play(driver, flow("a", "b"), capture_screenshots=False)
    assert "screenshot" not in driver.names()
    assert all(s.screenshot is None for s in outcome.steps)


def test_failing_screenshot_never_changes_the_step_status():
    driver = ScriptedDriver(screenshot_error="screen is off")
    outcome = play(driver, flow("a", "b"))
    assert outcome.status == RunStatus.SUCCESS
    assert [s.status for s in outcome.steps] == ["pass", "pass"]
    assert outcome.steps[0].screenshot is None
    assert outcome.steps[0].screenshot_error == "screen is off"


# --- callback, cancellation, lost device ------------------------------------------
def test_each_step_is_reported_as_soon_as_it_finishes():
    seen: list[tuple[int, int]] = []
    driver = ScriptedDriver()

    def on_step(outcome):
        finds = driver.names().count("find")
        seen.append((outcome.step, finds))

    engine.play(
        driver, flow("a", "b", "c"), app_id=APP, settings=RunSettings(), timing=TIMING,
        on_step=on_step, sleep=driver.clock.sleep, clock=driver.clock,
    )  # fmt: skip
    assert seen == [(1, 1), (2, 2), (3, 3)]


def test_cancel_before_start_plays_nothing():
    driver = ScriptedDriver()
    outcome = engine.play(
        driver, flow("a", "b"), app_id=APP, settings=RunSettings(), timing=TIMING,
        should_cancel=lambda: True, sleep=driver.clock.sleep, clock=driver.clock,
    )  # fmt: skip
    assert outcome.status == RunStatus.CANCELLED
    assert outcome.cancelled_before == "step 1"
    assert [s.status for s in outcome.steps] == ["skipped", "skipped"]
    assert outcome.steps[0].error == "Run cancelled"
    assert driver.calls == []


def test_cancel_between_steps_stops_before_the_next_step():
    driver = ScriptedDriver()
    finished: list[int] = []
    outcome = engine.play(
        driver, flow("a", "b", "c", "d"), app_id=APP, settings=RunSettings(),
        timing=TIMING, on_step=lambda o: finished.append(o.step),
        should_cancel=lambda: len(finished) >= 2, sleep=driver.clock.sleep, clock=driver.clock,
    )  # fmt: skip
    assert outcome.status == RunStatus.CANCELLED
    assert outcome.cancelled_before == "step 3"
    assert [s.status for s in outcome.steps] == ["pass", "pass", "skipped", "skipped"]
    assert outcome.steps[3].error == "Run cancelled"
    assert driver.names().count("find") == 2


def test_cancel_between_attempts_stops_before_the_next_attempt():
    driver = ScriptedDriver(find_failures={"a": 9})
    outcome = engine.play(
        driver, flow("a", "b"), app_id=APP, settings=RunSettings(retry_per_step=3),
        timing=TIMING, should_cancel=lambda: driver.names().count("find") >= 1,
        sleep=driver.clock.sleep, clock=driver.clock,
    )  # fmt: skip
    assert outcome.status == RunStatus.CANCELLED
    first = outcome.steps[0]
    assert (first.status, first.attempts) == (StepStatus.FAIL, 1)
    assert first.error.startswith("Run cancelled before attempt 2; attempt 1 failed:")
    assert outcome.cancelled_before == "attempt 2 of step 1"
    assert outcome.steps[1].status == StepStatus.SKIPPED


def test_lost_device_ends_the_run_as_error_and_blocks_later_steps():
    driver = ScriptedDriver(lost_at_call=3)  # find a, click a, find b -> gone
    outcome = play(driver, flow("a", "b", "c"), retry_per_step=3)
    assert outcome.status == RunStatus.ERROR
    assert [s.status for s in outcome.steps] == ["pass", "fail", "blocked"]
    assert outcome.steps[1].attempts == 1  # no retry on a dead session
    assert outcome.error == "session abc is gone (simulated)"
    assert outcome.steps[2].error == "Not run: session abc is gone (simulated)"


def test_a_run_over_its_time_ends_as_error_and_skips_the_rest():
    driver = ScriptedDriver(step_cost_s=0.6)  # find + click: 1.2 s a step
    outcome = play(driver, flow("a", "b", "c", "d"), run_timeout_s=2, restart_app=False)
    assert outcome.status == RunStatus.ERROR
    assert outcome.error == "Run timed out after 2 s (before step 3)"
    assert [s.status for s in outcome.steps] == ["pass", "pass", "skipped", "skipped"]
    assert outcome.steps[2].error == "Run timed out"


def test_a_run_over_its_time_stops_before_the_next_attempt():
    driver = ScriptedDriver(find_failures={"a": 9})
    outcome = play(driver, flow("a", "b"), retry_per_step=3, run_timeout_s=2)
    assert outcome.status == RunStatus.ERROR
    first = outcome.steps[0]
    assert first.status == StepStatus.FAIL
    assert first.attempts == 2  # 1 s pause each: attempt 3 would start after 2 s
    assert first.error.startswith("Run timed out after 2 s (before attempt 3 of step 1)")
    assert (outcome.steps[1].status, outcome.steps[1].error) == (
        StepStatus.SKIPPED,
        "Run timed out",
    )


def test_no_run_timeout_means_no_limit():
    driver = ScriptedDriver(step_cost_s=100)
    assert play(driver, flow("a", "b")).status == RunStatus.SUCCESS


# --- aggregation --------------------------------------------------------------------
@pytest.mark.parametrize(
    ("statuses", "expected"),
    [
        (["pass", "pass"], "success"),
        (["pass", "flaky"], "success"),
        (["flaky"], "success"),
        (["fail"], "failed"),
        (["fail", "blocked"], "failed"),
        (["fail", "skipped"], "failed"),
        (["pass", "fail"], "partial_success"),
        (["flaky", "fail", "blocked"], "partial_success"),
        (["pass", "skipped"], "partial_success"),
    ],
)
def test_overall_status(statuses, expected):
    assert engine.overall_status(statuses) == expected


# --- optional steps and the actions that wait ------------------------------------
def optional_tap(number: int, target: str) -> Step:
    return Step(number, Action.TAP, locator=Locator("id", target), optional=True)


@pytest.mark.parametrize(
    ("behaviour", "after", "run_status"),
    [("stop", "pass", "success"), ("skip", "pass", "success"), ("continue", "pass", "success")],
)
def test_an_optional_steps_failure_neither_stops_nor_fails_the_run(behaviour, after, run_status):
    driver = ScriptedDriver(find_failures={"popup": 9})
    steps = [tap(1, "a"), optional_tap(2, "popup"), tap(3, "b")]
    outcome = play(driver, steps, failure_behaviour=behaviour, retry_per_step=1)
    assert [s.status for s in outcome.steps] == ["pass", "fail", after]
    assert outcome.steps[1].attempts == 2  # retried as any step
    assert outcome.status == run_status


def test_a_required_failure_still_fails_the_run_after_an_optional_one():
    driver = ScriptedDriver(find_failures={"popup": 9, "b": 9})
    outcome = play(driver, [optional_tap(1, "popup"), tap(2, "b")])
    assert [s.status for s in outcome.steps] == ["fail", "fail"]
    assert outcome.status == RunStatus.FAILED


def test_a_wait_sleeps_its_time_and_a_cancel_ends_it_early():
    driver = ScriptedDriver()
    outcome = play(driver, [Step(1, Action.WAIT, params={"ms": 1200})])
    assert outcome.steps[0].status == "pass"
    assert sum(driver.clock.sleeps) == pytest.approx(1.2)
    asked = iter([False, False, False, True])  # before step 1, then twice during the wait
    driver = ScriptedDriver()
    outcome = engine.play(
        driver, [Step(1, Action.WAIT, params={"ms": 60_000}), tap(2, "a")], app_id=APP,
        settings=RunSettings(), timing=TIMING, sleep=driver.clock.sleep, clock=driver.clock,
        should_cancel=lambda: next(asked, True),
    )  # fmt: skip
    assert sum(driver.clock.sleeps) <= 1.5
    assert [s.status for s in outcome.steps] == ["pass", "skipped"]


@pytest.mark.parametrize(
    ("looks_before_shown", "max_swipes", "status", "swipes"),
    [(0, 10, "pass", 0), (3, 10, "pass", 3), (10, 10, "pass", 10), (11, 10, "fail", 10)],
)
def test_scroll_to_swipes_until_the_element_shows_at_most_max_swipes(
    looks_before_shown, max_swipes, status, swipes
):
    driver = ScriptedDriver(shown_after={"row": looks_before_shown}, screen=(1000, 2000))
    step = Step(1, Action.SCROLL_TO, locator=Locator("id", "row"),
                params={"direction": "down", "max_swipes": max_swipes})  # fmt: skip
    outcome = play(driver, [step])
    assert outcome.steps[0].status == status
    made = [call for call in driver.calls if call[0] == "swipe"]
    assert len(made) == swipes
    if made:  # Maestro's geometry: the centre to 10 % from the top, in 400 ms
        assert made[0][1:] == (500, 1000, 500, 200, 400)


@pytest.mark.parametrize(
    ("direction", "end"), [("up", (500, 1800)), ("left", (900, 1000)), ("right", (100, 1000))]
)
def test_scroll_to_moves_the_finger_against_the_direction_it_scrolls(direction, end):
    driver = ScriptedDriver(shown_after={"row": 1}, screen=(1000, 2000))
    step = Step(1, Action.SCROLL_TO, locator=Locator("id", "row"),
                params={"direction": direction, "max_swipes": 1})  # fmt: skip
    play(driver, [step])
    (swipe,) = [call for call in driver.calls if call[0] == "swipe"]
    assert swipe[3:5] == end


@pytest.mark.parametrize(
    ("action", "params", "script", "status", "error"),
    [
        (Action.WAIT_UNTIL, {}, {"shown_after": {"x": 3}}, "pass", None),
        (Action.WAIT_UNTIL, {}, {"shown_after": {"x": 99}}, "fail",
         "id='x' not displayed within 700 ms"),
        (Action.WAIT_UNTIL, {"visible": False}, {"shown_until": {"x": 3}}, "pass", None),
        (Action.WAIT_UNTIL, {"visible": False}, {"shown_until": {"x": 99}}, "fail",
         "id='x' not gone within 700 ms"),
        (Action.ASSERT_NOT_VISIBLE, {}, {"shown_until": {"x": 0}}, "pass", None),
        (Action.ASSERT_NOT_VISIBLE, {}, {"shown_until": {"x": 3}}, "pass", None),
        (Action.ASSERT_NOT_VISIBLE, {}, {"shown_until": {"x": 99}}, "fail",
         "id='x' still displayed (waited 700 ms)"),
    ],
)  # fmt: skip
def test_waiting_for_an_element_to_show_or_go_polls_until_the_steps_timeout(
    action, params, script, status, error
):
    driver = ScriptedDriver(**script)
    outcome = play(driver, [Step(1, action, locator=Locator("id", "x"), params=params)])
    assert outcome.steps[0].status == status
    if error:
        assert error in outcome.steps[0].error


def test_launch_app_waits_for_the_foreground_and_fails_when_it_never_comes():
    driver = ScriptedDriver(launch_polls=3)
    steps = [Step(1, Action.STOP_APP), Step(2, Action.LAUNCH_APP)]
    assert [s.status for s in play(driver, steps).steps] == ["pass", "pass"]
    driver = ScriptedDriver(launch_polls=10_000)  # the app is open before the run
    steps = [Step(1, Action.STOP_APP), Step(2, Action.LAUNCH_APP)]
    outcome = play(driver, steps, restart_app=False)
    assert "did not reach the foreground within 5 s" in outcome.steps[1].error


@pytest.mark.parametrize(("own", "run", "attempts"), [(None, 2, 3), (0, 2, 1), (3, 0, 4)])
def test_a_steps_own_retries_win_over_the_runs(own, run, attempts):
    driver = ScriptedDriver(find_failures={"a": 9})
    step = Step(1, Action.TAP, locator=Locator("id", "a"), retries=own)
    outcome = play(driver, [step], retry_per_step=run)
    assert outcome.steps[0].attempts == attempts
