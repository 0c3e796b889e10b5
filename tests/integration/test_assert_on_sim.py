"""The `assert` action through a real Appium server and the simulated device.

On the simulated device an element is displayed unless it has `visible="false"`, and
its text is its typed value, else the text inside it in the app XML (staged.xml).
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.helpers import tap

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.appium]


def check(target: str, text: str | None = None, **extra: Any) -> dict[str, Any]:
    step = {"action": "assert", "locator": {"using": "id", "value": target}, **extra}
    return step if text is None else {**step, "text": text}


@pytest.mark.parametrize(
    ("step", "status", "error"),
    [
        (check("ok"), "pass", None),
        (check("ok", "works"), "pass", None),
        (check("ok", "Sign in", timeout_ms=100), "fail", "its text is 'Always works'"),
        (check("hidden", timeout_ms=100), "fail", "found but not displayed"),
        (check("nowhere", timeout_ms=100), "fail", "id='nowhere' not displayed (waited 100 ms"),
    ],
    ids=["displayed", "text contained", "other text", "not displayed", "not found"],
)
def test_an_assert_passes_only_on_a_displayed_element_with_its_text(
    play, make_flow, sim_device, step, status, error
):
    run = play(make_flow([step]), sim_device)
    result = run.step_results.get()
    assert result.status == status, result.error
    if error is None:
        assert result.error == ""
    else:
        assert "Assertion failed" in result.error
        assert error in result.error


def test_an_assert_reads_the_value_a_step_typed(play, make_flow, sim_device):
    flow = make_flow(
        [
            {"action": "type", "locator": {"using": "id", "value": "name"}, "text": "Ann"},
            check("name", "Ann"),
        ]
    )
    run = play(flow, sim_device, {"clear_data": True})
    assert [r.status for r in run.step_results.all()] == ["pass", "pass"]


def test_an_assert_on_an_element_found_late_is_flaky_with_a_retry(play, make_flow, sim_device):
    run = play(make_flow([check("find-once", timeout_ms=0), tap("ok")]), sim_device,
               {"retry_per_step": 1})  # fmt: skip
    first = run.step_results.get(step_number=1)
    assert (first.status, first.attempts) == ("flaky", 2)
    assert "Assertion failed: id='find-once' not displayed" in first.attempt_errors[0]
