"""Batches through the real parts: the `play` command in its own process, a real
qcluster, real Appium servers with simulated devices (one of which dies mid-batch),
and the JUnit files it writes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings

from playback.batches.models import Batch
from playback.models import Run
from simulator.server import AppiumServer
from tests.cluster import QCluster, database_url
from tests.helpers import tap
from tests.surefire import problems

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.appium]


def play(*args: str, media_root: Path, **extra: str) -> subprocess.Popen[str]:
    """`manage.py play ...` in its own process, on the test database."""
    env = {**os.environ, "DATABASE_URL": database_url(), "PLAYBACK_MEDIA_ROOT": str(media_root),
           "PLAYBACK_RETRY_PAUSE_S": "0.05", "PLAYBACK_ELEMENT_TIMEOUT_MS": "300"}  # fmt: skip
    env.update(extra)
    return subprocess.Popen(
        [sys.executable, str(settings.BASE_DIR / "manage.py"), "play", *args],
        cwd=settings.BASE_DIR, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True,
    )  # fmt: skip


def test_split_over_three_devices_survives_one_whose_appium_dies_mid_batch(
    appium_server, make_flow, make_device, tmp_path
):
    for i in range(9):
        flow = make_flow([tap("ok"), tap("ok-2"), tap("ok"), tap("ok-2")], name=f"smoke {i}")
        flow.set_tags(["smoke"])
    dying = AppiumServer(log_path=tmp_path / "dying.log").start()
    for name, url in (("d0", appium_server.url), ("d1", appium_server.url), ("d2", dying.url)):
        make_device(url, device_id=name)
    media = tmp_path / "media"
    with QCluster(workers=3, media_root=media):
        player = play("--tag", "smoke", "--platform", "sim", "--junit", str(tmp_path / "junit"),
                      "--no-screenshots", media_root=media)  # fmt: skip
        deadline = time.monotonic() + 120
        while not Run.objects.filter(device__device_id="d2").exclude(status="queued").exists():
            assert time.monotonic() < deadline and player.poll() is None, player.stderr
            time.sleep(0.02)
        dying.stop()  # its Appium dies while the batch plays
        out, err = player.communicate(timeout=300)
    batch = Batch.objects.get()
    runs = list(Run.objects.filter(batch=batch).order_by("pk"))
    on_d2 = [run for run in runs if run.device.device_id == "d2"]
    assert on_d2[-1].status == "error", err  # the dead device's run
    assert all(run.status == "success" for run in on_d2[:-1])  # none after it
    finished = {run.flow_id for run in runs if run.status == "success"}
    assert finished == set(batch.flow_ids)  # every flow still got a finished run
    assert batch.status == "success" and player.returncode == 0, err
    assert json.loads(out)["batch_id"] == batch.pk
    files = sorted((tmp_path / "junit").iterdir())
    assert len(files) == len(runs)
    assert all(problems(path.read_bytes()) == [] for path in files)
    assert f"Batch {batch.pk}: success" in err


def test_play_says_so_when_no_worker_answers(make_flow, make_device, tmp_path):
    make_flow([tap("ok")], name="lonely")
    make_device("http://127.0.0.1:9", device_id="d0")
    player = play("lonely", "--device", "d0", "--queue-if-unreachable", media_root=tmp_path,
                  PLAYBACK_WORKER_PING_S="1")  # fmt: skip
    out, err = player.communicate(timeout=120)
    assert player.returncode == 2 and out == ""
    assert "No django-q2 worker answered within" in err and "--local" in err
    assert not Batch.objects.exists()


def test_all_on_two_devices_then_a_batch_cancelled_mid_way_through_the_workers(
    appium_server, make_flow, make_device, tmp_path
):
    from playback import services

    flows = [make_flow([tap("ok"), tap("ok-2")], name=f"pair {i}") for i in range(3)]
    for name in ("a1", "a2"):
        make_device(appium_server.url, device_id=name)
    with QCluster(workers=2, media_root=tmp_path / "media"):
        every = services.start_batch(flows=[f.pk for f in flows], devices=["a1", "a2"],
                                     mode="all")  # fmt: skip
        deadline = time.monotonic() + 120
        while Batch.objects.get(pk=every.pk).is_active:
            assert time.monotonic() < deadline
            time.sleep(0.1)
        every.refresh_from_db()
        pairs = sorted(every.runs.values_list("flow__name", "device__device_id", "status"))
        assert pairs == [(f.name, d, "success") for f in flows for d in ("a1", "a2")]
        assert every.status == "success"

        slow = [make_flow([tap("ok")] * 6, name=f"slow {i}") for i in range(6)]
        cut = services.start_batch(flows=[f.pk for f in slow], devices=["a1", "a2"])
        while not cut.runs.filter(status="running").exists():
            assert time.monotonic() < deadline
            time.sleep(0.02)
        services.cancel_batch(batch=cut)
        while Batch.objects.get(pk=cut.pk).is_active:
            assert time.monotonic() < deadline
            time.sleep(0.1)
    cut.refresh_from_db()
    statuses = list(cut.runs.values_list("status", flat=True))
    assert cut.status == "cancelled" and cut.waiting == []
    assert "cancelled" in statuses and len(statuses) < len(slow)  # nothing more started


def test_a_cluster_killed_mid_batch_plays_the_lost_flows_again_on_the_same_devices(
    appium_server, make_flow, make_device, media_root
):
    """SIGKILL of the whole qcluster mid-batch, then a new one: the lost runs end
    `error` ("Worker lost"), their flows play once more, no device is blamed."""
    import signal

    flows = [make_flow([tap("slow")] * 6, name=f"slow {i}") for i in range(4)]
    for name in ("d0", "d1"):
        make_device(appium_server.url, device_id=name)
    from playback import services

    batch = services.start_batch(flows=[f.pk for f in flows], devices=["d0", "d1"])
    cluster = QCluster(workers=2, media_root=media_root).start()
    try:
        deadline = time.monotonic() + 60
        while (
            Run.objects.filter(batch=batch, status="running", step_results__isnull=False).count()
            < 2
        ):
            assert time.monotonic() < deadline, "the batch did not start"
            time.sleep(0.02)
        os.killpg(cluster.process.pid, signal.SIGKILL)
        cluster.process.wait()
    finally:
        cluster.stop()
    with QCluster(workers=2, media_root=media_root):
        deadline = time.monotonic() + 120
        while Batch.objects.get(pk=batch.pk).is_active:
            assert time.monotonic() < deadline, list(Run.objects.values_list("status", "error"))
            time.sleep(0.1)
    batch.refresh_from_db()
    runs = list(Run.objects.filter(batch=batch).order_by("pk"))
    lost = [run for run in runs if run.error.startswith("Worker lost")]
    assert len(lost) == 2 and batch.failed_devices == [] and batch.unplayable == []
    played = {run.flow_id for run in runs if run.status == "success"}
    assert played == {f.pk for f in flows} and batch.status == "success"
