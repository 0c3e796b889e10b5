"""Batches: the status rule, split and all, a device dying mid-batch, cancel,
re-run failed, and every bad request refused with what to fix."""

from __future__ import annotations

import pytest

from playback import services
from playback.batches.models import Batch
from playback.devices import queue as devices_queue
from playback.models import Run
from playback.outcomes import batch_status
from playback.runs import lifecycle
from playback.words import RunSettings
from tests.batches import drain
from tests.helpers import tap
from tests.scripted_driver import ScriptedDriver

pytestmark = pytest.mark.django_db

Q, R, S, F, P, E, C = (
    "queued",
    "running",
    "success",
    "failed",
    "partial_success",
    "error",
    "cancelled",
)


@pytest.mark.parametrize(
    ("statuses", "extra", "expected"),
    [
        ([Q, Q], {}, Q),
        ([S, Q], {}, R),
        ([R], {}, R),
        ([S], {"waiting": 1}, R),  # a flow still to hand out
        ([S, S], {}, S),
        ([S, F], {}, P),
        ([S, E], {}, P),
        ([F, E], {}, F),
        ([E, E], {}, E),
        ([], {"unplayable": 2}, E),
        ([S], {"unplayable": 1}, P),
        ([S, C], {}, P),
        ([S, C], {"cancelled": True}, C),
        ([R], {"cancelled": True}, R),  # cancelled once its running run stops
    ],
)
def test_a_batchs_status_follows_the_overall_rules_over_its_runs(statuses, extra, expected):
    assert batch_status(statuses, **extra) == expected


@pytest.fixture
def flows(make_flow):
    return [make_flow([tap(t, using="id") for t in "abc"], name=f"f{i}") for i in range(6)]


@pytest.fixture
def devices(make_device):
    return [make_device("http://127.0.0.1:9", device_id=f"d{i}") for i in range(3)]


def ok() -> ScriptedDriver:
    return ScriptedDriver()


def test_split_plays_each_flow_once_each_device_one_at_a_time(flows, devices):
    batch = services.start_batch(flows=[f.pk for f in flows], devices=["d0", "d1", "d2"])
    assert (batch.mode, batch.status) == ("split", "queued")
    assert Run.objects.filter(batch=batch).count() == 3  # one per device; 3 flows wait
    assert len(batch.waiting) == 3
    drain(batch, {d.device_id: ok() for d in devices})
    batch.refresh_from_db()
    runs = list(Run.objects.filter(batch=batch))
    assert sorted(r.flow_id for r in runs) == sorted(f.pk for f in flows)
    assert {r.status for r in runs} == {"success"}
    assert (batch.status, batch.waiting) == ("success", [])
    assert batch.finished_at is not None


def test_a_device_that_dies_mid_batch_gets_no_more_flows_and_its_flow_plays_elsewhere(
    flows, devices
):
    batch = services.start_batch(flows=[f.name for f in flows], devices=["d0", "d1", "d2"])
    drivers = {"d0": ok(), "d1": ScriptedDriver(lost_at_call=2), "d2": ok()}
    drain(batch, drivers)
    batch.refresh_from_db()
    runs = list(Run.objects.filter(batch=batch).order_by("pk"))
    dead = [r for r in runs if r.device.device_id == "d1"]
    assert [r.status for r in dead] == ["error"]  # its one run; nothing more went to it
    assert batch.failed_devices == [dead[0].device_id]
    again = [r for r in runs if r.flow_id == dead[0].flow_id]
    assert [r.status for r in again] == ["error", "success"]
    assert again[1].device.device_id in ("d0", "d2")
    finished = {r.flow_id for r in runs if r.status == "success"}
    assert finished == {f.pk for f in flows}  # every flow still got a finished run
    assert batch.status == "success" and len(runs) == 7


def test_when_every_device_dies_the_flows_left_are_unplayable_and_the_batch_is_error(
    flows, devices
):
    batch = services.start_batch(flows=[f.pk for f in flows[:4]], devices=["d0"])
    drain(batch, {"d0": ScriptedDriver(lost_at_call=1)})
    batch.refresh_from_db()
    assert [r.status for r in Run.objects.filter(batch=batch)] == ["error"]
    assert len(batch.unplayable) == 3 and batch.status == "error"


def test_all_plays_every_flow_on_every_device_of_its_platform(flows, devices, make_device):
    make_device("http://127.0.0.1:9", device_id="w1", platform="web")
    batch = services.start_batch(flows=[f.pk for f in flows[:3]], platform="sim", mode="all")
    runs = Run.objects.filter(batch=batch)
    assert runs.count() == 9  # 3 flows x the 3 sim devices; never the web device
    drain(batch, {d.device_id: ok() for d in devices})
    batch.refresh_from_db()
    assert batch.status == "success"
    assert sorted(runs.values_list("flow_id", "device__device_id")) == sorted(
        (f.pk, d.device_id) for f in flows[:3] for d in devices
    )


def test_cancelling_mid_batch_cancels_what_waits_and_starts_nothing_more(flows, devices):
    batch = services.start_batch(flows=[f.pk for f in flows], devices=["d0", "d1"])
    drain(batch, {"d0": ok(), "d1": ok()}, until=1)
    services.cancel_batch(batch=batch)
    batch.refresh_from_db()
    statuses = sorted(Run.objects.filter(batch=batch).values_list("status", flat=True))
    assert statuses == ["cancelled", "cancelled", "success"]  # d0 had taken its next flow
    assert (batch.status, batch.waiting) == ("cancelled", [])
    with pytest.raises(services.RunConflict, match="already ended"):
        services.cancel_batch(batch=batch)


def test_a_run_of_the_batch_cancelled_on_its_own_lets_the_batch_end(flows, devices):
    batch = services.start_batch(flows=[flows[0].pk], devices=["d0"])
    services.cancel_run(run=Run.objects.get(batch=batch))
    batch.refresh_from_db()
    assert batch.status == "failed"  # its one flow did not succeed; nobody cancelled the batch


def test_rerun_failed_plays_again_only_what_did_not_succeed(flows, devices):
    batch = services.start_batch(flows=[f.pk for f in flows[:3]], devices=["d0"],
                                 settings=RunSettings(retry_per_step=0))  # fmt: skip
    with pytest.raises(services.RunConflict, match="still"):
        services.rerun_failed(batch=batch)
    fails_b = ScriptedDriver(find_failures={"b": 99})
    played = drain(batch, {"d0": fails_b}, until=1)
    drain(batch, {"d0": ok()})
    batch.refresh_from_db()
    assert batch.status == "partial_success" and played[0].status != "success"
    again = services.rerun_failed(batch=batch)
    assert (again.rerun_of, again.flow_ids, again.mode) == (batch, [played[0].flow_id], "split")
    assert again.settings["retry_per_step"] == 0
    drain(again, {"d0": ok()})
    again.refresh_from_db()
    assert again.status == "success"
    with pytest.raises(services.RunConflict, match="no failed run"):
        services.rerun_failed(batch=again)


def test_rerun_failed_of_an_all_batch_plays_the_failed_pairs(flows, devices):
    batch = services.start_batch(flows=[f.pk for f in flows[:2]], devices=["d0", "d1"],
                                 mode="all")  # fmt: skip
    drain(batch, {"d0": ok(), "d1": ScriptedDriver(find_failures={"a": 99})})
    again = services.rerun_failed(batch=batch)
    assert sorted(Run.objects.filter(batch=again).values_list("flow_id", "device__device_id")) == [
        (flows[0].pk, "d1"), (flows[1].pk, "d1"),
    ]  # fmt: skip


def test_flows_by_tag_in_name_order(make_flow, devices):
    import json

    from flows.definitions import parse_flow
    from flows.models import Flow

    for name in ("b", "a", "c"):
        tags = ["smoke"] if name != "c" else []
        data = {"name": name, "platform": "sim", "app_id": "x", "tags": tags,
                "steps": [tap("a", using="id")]}  # fmt: skip
        Flow.save_definition(parse_flow(json.loads(json.dumps(data))))
    batch = services.start_batch(tag="Smoke", devices=["d0"])
    assert [Flow.objects.get(pk=pk).name for pk in batch.flow_ids] == ["a", "b"]
    assert batch.tag == "smoke"


@pytest.mark.parametrize(
    ("request_", "key", "message"),
    [
        ({"devices": ["d0"]}, "flows", "Give flows (their ids or names) or a tag"),
        ({"flows": ["f0"], "tag": "smoke", "devices": ["d0"]}, "flows", "one of the two"),
        ({"flows": ["nope", 999], "devices": ["d0"]}, "flows", "id or name 'nope', 999"),
        ({"flows": [], "devices": ["d0"]}, "flows", "Must be a list of 1 to 500"),
        ({"tag": "nobody", "devices": ["d0"]}, "tag", "No flow is tagged 'nobody'."),
        ({"tag": "bad tag", "devices": ["d0"]}, "tag", "Tag 'bad tag'"),
        ({"flows": ["f0"]}, "devices", "Give devices (their device ids) or a platform"),
        ({"flows": ["f0"], "devices": ["zz"]}, "devices", "No device with device id 'zz'."),
        ({"flows": ["f0"], "platform": "ios"}, "platform", "No enabled ios device."),
        ({"flows": ["f0"], "platform": "tv"}, "platform", "Must be one of"),
        ({"flows": ["f0"], "devices": ["d0"], "mode": "some"}, "mode", "Must be one of split, all"),
        ({"flows": ["f0"], "devices": ["web"]}, "devices", "can play f0 (sim)"),
        ({"flows": ["f0"], "devices": ["off"]}, "devices", "Device off is disabled"),
        ({"flows": ["f0"], "devices": ["d0"], "settings": RunSettings(retry_per_step=-1)},
         "settings", ""),
    ],
)  # fmt: skip
def test_a_bad_batch_request_is_refused_with_what_to_fix_and_writes_nothing(
    flows, devices, make_device, request_, key, message
):
    make_device("http://127.0.0.1:9", device_id="web", platform="web")
    make_device("http://127.0.0.1:9", device_id="off", enabled=False)
    with pytest.raises(services.RunRequestError) as caught:
        services.start_batch(**request_)
    assert message in str(caught.value.errors[key])
    assert not Batch.objects.exists() and not Run.objects.exists()


def test_split_hands_out_the_longest_flows_first(make_flow, devices):
    short, long_, middle = (make_flow([tap("a", using="id")] * n, name=f"n{n}") for n in (1, 3, 2))
    batch = services.start_batch(flows=[short.pk, long_.pk, middle.pk], devices=["d0"])
    assert Run.objects.get(batch=batch).flow == long_  # the first handed out
    assert batch.waiting == [middle.pk, short.pk]
    assert batch.flow_ids == [short.pk, long_.pk, middle.pk]  # as given


def test_the_live_progress_draws_one_line_per_device_and_plain_lines_off_a_terminal(flows, devices):
    import io

    from rich.console import Console

    from playback.management.progress import BatchProgress

    batch = services.start_batch(flows=[f.pk for f in flows[:3]], devices=["d0", "d1"])
    drain(batch, {"d0": ok(), "d1": ok()}, until=1)
    progress = BatchProgress(batch, io.StringIO())
    console = Console(file=io.StringIO(), width=120, record=True)
    console.print(progress.table(*progress.read()))
    drawn = console.export_text()
    assert "d0" in drawn and "d1" in drawn and "1 of 3 runs ended" in drawn
    assert drawn.count("f0") + drawn.count("f1") + drawn.count("f2") >= 2  # each device's now
    stream = io.StringIO()
    BatchProgress(batch, stream).plain_lines()
    lines = stream.getvalue().splitlines()
    assert lines[0].startswith("[d0 run ") and "step 1 tap id='a': pass" in lines[0]
    assert lines[-1].endswith("success (3/3 steps passed)")


def test_rerun_failed_of_a_split_leaves_out_devices_disabled_since(flows, devices):
    from playback.models import Device

    batch = services.start_batch(flows=[f.pk for f in flows[:2]], devices=["d0", "d1"])
    drain(batch, {"d0": ScriptedDriver(find_failures={"a": 99}), "d1": ScriptedDriver(
        find_failures={"a": 99})})  # fmt: skip
    Device.objects.filter(device_id="d1").update(enabled=False)
    again = services.rerun_failed(batch=batch)
    assert [Device.objects.get(pk=pk).device_id for pk in again.device_ids] == ["d0"]
    Device.objects.update(enabled=False)
    with pytest.raises(services.RunRequestError, match="No device of batch"):
        services.rerun_failed(batch=batch)


def lose_worker_of(run: Run) -> Run:
    """As the sweeper finds a run whose worker was killed mid-run."""
    devices_queue.dispatch_next(device_pk=run.device_id)
    assert lifecycle.claim(run.pk, worker="gone-host:1")
    lifecycle.end_lost(Run.objects.get(pk=run.pk), reason="its worker process is gone")
    return Run.objects.get(pk=run.pk)


def test_a_lost_worker_requeues_its_flow_once_and_never_blames_the_device(flows, devices):
    batch = services.start_batch(flows=[f.pk for f in flows[:4]], devices=["d0", "d1"])
    first = Run.objects.filter(batch=batch).order_by("pk").first()
    lost = lose_worker_of(first)
    assert lost.status == "error" and lost.error.startswith("Worker lost")
    batch.refresh_from_db()
    assert batch.failed_devices == [] and batch.unplayable == []
    assert batch.requeued == [first.flow_id]  # queued again, at the front: d0 took it
    assert Run.objects.filter(batch=batch, flow_id=first.flow_id, status="queued").exists()
    drain(batch, {"d0": ok(), "d1": ok()})
    batch.refresh_from_db()
    runs = list(Run.objects.filter(batch=batch))
    assert {r.flow_id for r in runs if r.status == "success"} == {f.pk for f in flows[:4]}
    assert {r.device.device_id for r in runs if r.status == "success"} == {"d0", "d1"}
    assert batch.status == "success"


def test_a_flow_lost_twice_is_not_requeued_again(flows, devices):
    batch = services.start_batch(flows=[flows[0].pk], devices=["d0"])
    lose_worker_of(Run.objects.get(batch=batch))
    again = Run.objects.filter(batch=batch, status="queued").get()
    lose_worker_of(again)
    batch.refresh_from_db()
    assert Run.objects.filter(batch=batch).count() == 2 and batch.status == "error"


def test_a_lost_worker_in_an_all_batch_plays_the_same_pair_once_more(flows, devices):
    batch = services.start_batch(flows=[flows[0].pk], devices=["d0", "d1"], mode="all")
    lost = lose_worker_of(Run.objects.filter(batch=batch, device__device_id="d0").get())
    again = Run.objects.filter(batch=batch, status="queued", device=lost.device)
    assert again.count() == 1 and again.get().flow_id == lost.flow_id
    drain(batch, {"d0": ok(), "d1": ok()})
    batch.refresh_from_db()
    assert batch.status == "success" and Run.objects.filter(batch=batch).count() == 3


def test_an_app_that_cannot_start_is_the_flows_result_not_the_devices(flows, devices):
    batch = services.start_batch(flows=[f.pk for f in flows[:3]], devices=["d0"])
    drain(batch, {"d0": ScriptedDriver(installed=False)})
    batch.refresh_from_db()
    runs = list(Run.objects.filter(batch=batch))
    assert [r.status for r in runs] == ["error"] * 3  # each flow played, none re-queued
    assert "App preparation failed" in runs[0].error
    assert batch.failed_devices == [] and batch.unplayable == [] and batch.status == "error"


def test_a_batch_is_running_as_soon_as_its_first_run_starts(flows, devices, api):
    batch = services.start_batch(flows=[f.pk for f in flows[:2]], devices=["d0"])
    assert api.get(f"/api/playback/batches/{batch.pk}/").json()["status"] == "queued"
    run = Run.objects.filter(batch=batch).get()
    devices_queue.dispatch_next(device_pk=run.device_id)
    assert lifecycle.claim(run.pk, worker="here:1")
    batch.refresh_from_db()
    assert batch.status == "running"
    assert api.get(f"/api/playback/batches/{batch.pk}/").json()["status"] == "running"
