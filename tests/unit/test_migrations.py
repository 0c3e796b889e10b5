"""Data migrations keep what runs stored."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from playback.models import Run
from playback.words import FailureBehaviour, RunSettings

BEFORE = [("playback", "0004_step_result_single_index")]
AFTER = [("playback", "0005_run_settings_typed_cancelled_by")]


@pytest.mark.django_db(transaction=True)
def test_runs_stored_with_the_apis_keys_keep_their_settings():
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    apps = executor.loader.project_state(BEFORE).apps
    flow = apps.get_model("flows", "Flow").objects.create(name="f", platform="sim", app_id="a")
    device = apps.get_model("playback", "Device").objects.create(
        device_id="d", platform="sim", appium_url="http://x:1"
    )
    old = apps.get_model("playback", "Run").objects.create(
        flow_id=flow.pk,
        device_id=device.pk,
        settings={"restartApp": False, "clearData": True, "retryPerStep": 2,
                  "failureBehaviour": "skip", "captureScreenshots": False,
                  "runTimeoutSeconds": 90},
    )  # fmt: skip
    executor = MigrationExecutor(connection)
    executor.migrate(AFTER)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())
    assert Run.objects.get(pk=old.pk).settings == RunSettings(
        restart_app=False,
        clear_data=True,
        retry_per_step=2,
        failure_behaviour=FailureBehaviour.SKIP,
        capture_screenshots=False,
        run_timeout_s=90,
    )
