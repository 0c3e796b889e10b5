"""`make run`'s stack (manage.py run_stack): it plays the demo on the first start
only, and Ctrl-C (or a SIGTERM to its group) stops everything within 5 s with its
ports free."""

from __future__ import annotations

import signal

import pytest

from simulator.server import free_port
from tests.integration.conftest import port_is_free, start_stack, stopped_within

pytestmark = [pytest.mark.appium]


def test_ctrl_c_stops_the_stack_within_5_s_and_the_demo_plays_on_the_first_start_only(
    stack_env,
):
    web, appium = free_port(), int(stack_env["APPIUM_PORT"])
    stack, lines = start_stack(stack_env, web, until="Demo run 2:")
    assert any("Demo run 1: success" in line for line in lines), "".join(lines[-20:])
    # The web device's demo: the demo web shop, served by the stack's own web server.
    assert any("Demo run 2: success" in line for line in lines), "".join(lines[-20:])
    took = stopped_within(stack, signal.SIGINT)
    assert took < 5, took
    assert port_is_free(web) and port_is_free(appium)
    # Every service stopped by itself: none waited for the deadline to be killed.
    stack.reader.join(timeout=10)
    assert not any("Killed after" in line for line in lines), "".join(lines[-10:])

    stack, lines = start_stack(stack_env, web)  # the second start: no demo run again
    assert not any("Demo run" in line for line in lines), "".join(lines[-20:])
    took = stopped_within(stack, signal.SIGTERM)  # a supervisor's stop
    assert took < 5, took
    assert port_is_free(web) and port_is_free(appium)
    stack.reader.join(timeout=10)
    assert not any("Killed after" in line for line in lines), "".join(lines[-10:])
