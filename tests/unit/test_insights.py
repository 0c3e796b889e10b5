"""Insights held against hand-computed numbers (SPEC "Wave 2": step identity, failure
signature, rates over a window; markers and failure groups across a flow edit)."""

from __future__ import annotations

import re

import pytest

from flows.definitions import parse_flow
from flows.models import Flow
from playback.insights import rates
from playback.insights.identity import failure_signature, step_key
from playback.models import FailureGroup, FlowWindow
from tests.helpers import tap
from tests.insights_history import SEQUENCE, play_history
from tests.scripted_driver import ScriptedDriver

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("error", "signature"),
    [
        ("Element not found: id='ok' (waited 300 ms)", "Element not found: id='ok' (waited N ms)"),
        ("Element not found: id='ff1'", "Element not found: id='ff1'"),  # quoted: kept
        ('x "a2" 12 of 30', 'x "a2" N of N'),
        ("Failed after 3 attempts: 500 (HTTP 502)", "Failed after N attempts: N (HTTP N)"),
        ("  no digits  ", "no digits"),
    ],
)
def test_the_failure_signature_replaces_digits_outside_quotes(error, signature):
    assert failure_signature(error) == signature


def test_a_steps_key_is_what_it_does_not_its_number_or_description():
    step = {"action": "tap", "locator": {"using": "id", "value": "ok"}}
    assert step_key({**step, "step": 1}) == step_key({**step, "step": 7, "description": "x"})
    assert step_key(step) != step_key({**step, "locator": {"using": "id", "value": "ok2"}})
    assert step_key({"action": "tap", "x": 1, "y": 2}) != step_key(
        {"action": "tap", "x": 2, "y": 1}
    )
    assert step_key({"action": "type", "text": "a"}) != step_key({"action": "type", "text": "b"})


@pytest.fixture
def history(play, flow, device):
    return play_history(play, flow, device)


def test_rates_over_a_known_sequence_of_runs_are_the_specs(history, flow, device):
    stats = rates.flow_stats(rates.window_of(flow.pk), 30)
    assert (stats.runs, stats.success, stats.partial_success) == (5, 3, 2)
    assert stats.pass_rate == 0.6  # 3 successes / 5
    assert stats.flip_rate == 1.0  # S P S P S: 4 changes / (5 - 1)
    assert stats.health == "flaky"
    by_summary = {s.summary: s for s in stats.steps}
    b = by_summary["tap id='b'"]
    assert (b.executed, b.passed, b.flaky, b.failed) == (5, 3, 1, 1)
    assert (b.flake_rate, b.fail_rate, b.usual_passing_attempt) == (0.2, 0.2, 1)
    assert b.attempts == [1, 1, 2, 1, 1]
    c = by_summary["tap id='c'"]
    assert (c.flake_rate, c.fail_rate) == (0.0, 0.2)
    assert c.last_failure["run_id"] == history[3].pk
    assert stats.steps[0].summary == "tap id='b'"  # the flakiest first
    # A window of the last 2 runs: P then S.
    last_two = rates.flow_stats(rates.window_of(flow.pk), 2)
    assert (last_two.pass_rate, last_two.flip_rate) == (0.5, 1.0)
    # The same numbers per platform and per device.
    for scope in (f"platform:{device.platform}", f"device:{device.pk}"):
        assert rates.flow_stats(rates.window_of(flow.pk, scope), 30).pass_rate == 0.6


def test_markers_say_new_failure_and_fixed_against_the_previous_run(history):
    for run, (_, _, _, _, markers) in zip(history, SEQUENCE, strict=True):
        run.refresh_from_db()
        assert (run.new_failure, run.fixed) == markers, run.pk


def test_failure_groups_count_failed_and_flaky_steps_by_signature(history, flow, device):
    groups = {g.signature: g for g in FailureGroup.objects.all()}
    b = groups["Element not found: id='b'"]  # failed once, flaky once: one group
    assert (b.count, b.flows, b.devices) == (2, [flow.pk], [device.pk])
    assert b.example_runs == [history[2].pk, history[1].pk]
    assert groups["Element not found: id='c'"].count == 1
    step = history[1].step_results.get(step_number=2)
    assert step.failure_key == b.key


def test_a_steps_history_survives_a_flow_edit(history, play, flow, device):
    definition = flow.as_json()
    definition["steps"].insert(0, tap("new", using="id"))
    for number, step in enumerate(definition["steps"], 1):
        step["step"] = number
    edited = Flow.save_definition(parse_flow(definition), flow=flow)
    run = play(edited, device, {"failure_behaviour": "continue"},
               driver=ScriptedDriver(find_failures={"b": 1}))  # fmt: skip
    run.refresh_from_db()
    assert run.new_failure  # b failed; it passed in the run before the edit
    steps = {s.summary: s for s in rates.flow_stats(rates.window_of(flow.pk), 30).steps}
    assert steps["tap id='b'"].attempts == [1, 1, 2, 1, 1, 1]
    assert steps["tap id='b'"].failed == 2
    assert steps["tap id='new'"].attempts == [None] * 5 + [1]


def test_error_and_cancelled_runs_are_counted_apart(history, play, flow, device):
    lost = play(flow, device, driver=ScriptedDriver(lost_at_call=2))
    assert lost.status == "error"
    stats = rates.flow_stats(rates.window_of(flow.pk), 30)
    assert (stats.runs, stats.error, stats.pass_rate) == (5, 1, 0.6)
    assert FlowWindow.objects.filter(flow=flow).count() == 3  # all, platform, device


def test_a_runs_end_reads_and_writes_only_the_window_documents_it_changes(
    history, play, flow, device
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def window_queries(**kwargs) -> tuple[list[str], list[str]]:
        """What the run's end read of the windows, and what it wrote."""
        with CaptureQueriesContext(connection) as ctx:
            play(flow, device, **kwargs)
        sql = [q["sql"] for q in ctx.captured_queries]
        reads = [m[1] for q in sql if (m := re.match(r'SELECT (.*) FROM "playback_flowwindow"', q))]
        return reads, [
            m[1] for q in sql if (m := re.search(r'UPDATE "playback_flowwindow" SET (.*) WHERE', q))
        ]

    # One read and one executemany for the three windows (all devices, platform, device).
    assert window_queries(driver=ScriptedDriver(lost_at_call=2)) == (
        ['"id", "scope", "others"'],
        ['"others" = %s'],
    )
    assert window_queries(driver=ScriptedDriver()) == (
        ['"id", "scope", "runs", "steps"'],
        ['"runs" = %s, "steps" = %s'],
    )


def test_the_flow_windows_are_compressed_with_lz4_on_postgresql():
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("SQLite stores the documents as text")
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT attname, attcompression FROM pg_attribute WHERE attrelid = "
            "'playback_flowwindow'::regclass AND attname IN ('runs', 'others', 'steps')"
        )
        assert dict(cursor.fetchall()) == {"runs": "l", "others": "l", "steps": "l"}


def snapshot() -> dict:
    """Every rollup, in comparable form."""
    from playback.models import Run

    return {
        "windows": sorted(
            (w.flow_id, w.scope, w.runs, w.others, w.steps) for w in FlowWindow.objects.all()
        ),
        "groups": sorted(
            (
                g.key,
                g.signature,
                g.count,
                g.first_seen,
                g.last_seen,
                g.flows,
                g.devices,
                g.example_runs,
            )
            for g in FailureGroup.objects.all()
        ),
        "markers": sorted(Run.objects.values_list("pk", "new_failure", "fixed")),
    }


@pytest.mark.parametrize("seed", range(3))
def test_rollups_kept_as_runs_end_equal_a_recount_from_scratch(
    seed, play, make_flow, make_device, settings
):
    import random

    from playback.insights import rebuild

    settings.PLAYBACK_RETRY_PAUSE_S = 0
    rng = random.Random(seed)
    devices = [make_device("http://127.0.0.1:9", platform=p) for p in ("sim", "sim", "android")]
    flows = [
        make_flow([tap(t, using="id") for t in "abcd"], platform=p) for p in ("sim", "android")
    ]
    for _ in range(30):
        flow = rng.choice(flows)
        device = rng.choice([d for d in devices if d.platform == flow.platform])
        if rng.random() < 0.1:  # an edit: a step inserted, the rest renumbered
            definition = flow.as_json()
            definition["steps"].insert(rng.randrange(len(definition["steps"]) + 1),
                                       tap(rng.choice("abcdez"), using="id"))  # fmt: skip
            for number, step in enumerate(definition["steps"], 1):
                step["step"] = number
            flow = Flow.save_definition(parse_flow(definition), flow=flow)
        failures = {t: rng.randint(1, 2) for t in "abcdez" if rng.random() < 0.25}
        driver = ScriptedDriver(find_failures=failures, lost_at_call=rng.choice([None] * 9 + [3]))
        play(flow, device, {"retry_per_step": rng.randint(0, 1),
                            "failure_behaviour": rng.choice(["stop", "skip", "continue"])},
             driver=driver)  # fmt: skip
    kept = snapshot()
    assert kept["windows"] and kept["groups"]
    rebuild.rebuild(batch=7)
    assert snapshot() == kept
    rebuild.rebuild()  # idempotent
    assert snapshot() == kept


def test_the_api_gives_a_flows_stats_the_flaky_steps_and_the_failure_groups(
    history, api, flow, device
):
    stats = api.get(f"/api/flows/{flow.pk}/stats/?window=10").json()
    assert (stats["window"], stats["runs"], stats["pass_rate"], stats["flip_rate"]) == (
        10, 5, 0.6, 1.0,
    )  # fmt: skip
    assert stats["steps"][0]["summary"] == "tap id='b'"
    assert stats["steps"][0]["flake_rate"] == 0.2
    on_device = api.get(f"/api/flows/{flow.pk}/stats/?device={device.device_id}").json()
    assert on_device["scope"] == f"device:{device.pk}" and on_device["runs"] == 5
    flaky = api.get("/api/insights/flaky-steps/").json()
    assert [(s["flow_id"], s["summary"], s["flaky"]) for s in flaky] == [(flow.pk, "tap id='b'", 1)]
    assert api.get(f"/api/insights/flaky-steps/?platform=ios&flow={flow.pk}").json() == []
    groups = api.get("/api/insights/failure-groups/").json()
    assert {g["signature"]: g["count"] for g in groups} == {
        "Element not found: id='b'": 2,
        "Element not found: id='c'": 1,
    }
    assert all(g["new"] for g in groups)
    b = next(g for g in groups if "'b'" in g["signature"])
    listed = api.get(f"/api/playback/runs/?failure_group={b['key']}").json()
    runs = listed["results"]
    assert sorted(r["run_id"] for r in runs) == sorted(b["example_runs"])
    assert listed["count"] == len(runs) == 2  # counted from the group's index
    narrowed = api.get(f"/api/playback/runs/?failure_group={b['key']}&status=success").json()
    assert narrowed["count"] == len(narrowed["results"])  # another filter: counted as listed
    marked = api.get("/api/playback/runs/?marker=new_failure").json()["results"]
    assert sorted(r["run_id"] for r in marked) == [history[1].pk, history[3].pk]
    assert "new_failure" in api.get(f"/api/playback/runs/{history[1].pk}/").json()["markers"]


@pytest.mark.parametrize(
    ("url", "field"),
    [
        ("/api/flows/{flow}/stats/?window=9", "window"),
        ("/api/flows/{flow}/stats/?window=201", "window"),
        ("/api/flows/{flow}/stats/?window=x", "window"),
        ("/api/flows/{flow}/stats/?platform=tv", "platform"),
        ("/api/flows/{flow}/stats/?device=nope", "device"),
        ("/api/flows/{flow}/stats/?platform=sim&device=emulator-5554", "device"),
        ("/api/flows/{flow}/stats/?windw=30", "windw"),
        ("/api/insights/flaky-steps/?flow=0", "flow"),
        ("/api/insights/failure-groups/?since=yesterday", "since"),
        ("/api/playback/runs/?marker=broken", "marker"),
    ],
)
def test_bad_insight_queries_are_400s_that_say_what_to_fix(api, flow, device, url, field):
    response = api.get(url.format(flow=flow.pk))
    assert response.status_code == 400, response.content
    assert field in response.json()


def test_a_flow_without_runs_has_no_rates_and_an_unknown_flow_is_404(api, flow):
    stats = api.get(f"/api/flows/{flow.pk}/stats/").json()
    assert (stats["runs"], stats["pass_rate"], stats["health"]) == (0, None, "no runs")
    assert api.get("/api/flows/999999/stats/").status_code == 404


def test_rebuild_insights_gives_old_step_results_their_keys_and_the_same_rollups(history):
    import json
    from io import StringIO

    from django.core.management import call_command

    from playback.models import StepResult

    kept = snapshot()
    keys = sorted(StepResult.objects.values_list("pk", "step_key", "failure_key"))
    assert any(failure for _, _, failure in keys)
    StepResult.objects.update(step_key="", failure_key="")  # rows from before the keys
    FlowWindow.objects.all().delete()
    out = StringIO()
    call_command("rebuild_insights", "--batch", "2", stdout=out)
    assert json.loads(out.getvalue())["runs"] == len(SEQUENCE)
    assert sorted(StepResult.objects.values_list("pk", "step_key", "failure_key")) == keys
    assert snapshot() == kept
