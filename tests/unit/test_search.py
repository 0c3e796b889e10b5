"""Searching the history finds a run by any error it holds - its own, a step's, an
attempt's - from the database's own text index; and by its flow, device or id."""

from __future__ import annotations

import pytest
from django.urls import reverse

from playback import services
from playback.models import Run
from playback.runs import search
from tests.scripted_driver import ScriptedDriver

pytestmark = pytest.mark.django_db(transaction=True)  # the SQLite index follows commits


@pytest.fixture
def history(flow, device, play):
    flaky = play(flow, device, {"retry_per_step": 1}, driver=ScriptedDriver(find_failures={"b": 1}))
    failed = play(flow, device, {"failure_behaviour": "continue"},
                  driver=ScriptedDriver(click_failures={"c": 9}))  # fmt: skip
    clean = play(flow, device, driver=ScriptedDriver())
    return {"flaky": flaky, "failed": failed, "clean": clean}


def found(words: str) -> set[int]:
    return set(search.matching(Run.objects.all(), words).values_list("pk", flat=True))


def test_a_steps_error_finds_its_run_in_any_case(history):
    assert found("element not found") == {history["flaky"].pk}  # an attempt's error
    assert found("IS NOT CLICKABLE") == {history["failed"].pk}  # a step's error
    assert found("Element") == {history["flaky"].pk, history["failed"].pk}
    assert found("no such words anywhere") == set()


def test_a_runs_own_error_and_the_steps_never_played_are_searchable(flow, device):
    run = services.start_run(flow=flow, device=device)
    services.cancel_run(run=run)
    assert found("Cancelled before it started") == {run.pk}
    assert found("Run cancelled") == {run.pk}


def test_words_with_wildcard_characters_are_taken_as_they_are(history):
    assert found("100%") == set() and found("a_b") == set()


def test_the_admin_search_finds_runs_by_step_error_flow_device_or_id(history, admin_client):
    def shown(words):
        page = admin_client.get(reverse("admin:playback_run_changelist"), {"q": words})
        return {run.pk for run in page.context["cl"].result_list}

    everything = {run.pk for run in history.values()}
    assert shown("element not found") == {history["flaky"].pk}
    assert shown("Checkout") == everything  # the flow's name
    assert shown("emulator-5554") == everything  # the device's id
    assert shown(str(history["clean"].pk)) == {history["clean"].pk}
