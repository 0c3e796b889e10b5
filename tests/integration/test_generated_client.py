"""A client generated from /api/schema/ by a mainstream third-party generator
(openapi-python-client, from PyPI) starts a run, reads it, lists runs, re-runs one
and gets a typed 400 - against a live server."""

from __future__ import annotations

import importlib
import subprocess
import sys
from pathlib import Path

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def generated(tmp_path: Path):
    """The client package, generated from the schema the server serves."""
    schema = tmp_path / "schema.json"
    schema.write_bytes(APIClient().get("/api/schema/?format=json").content)
    config = tmp_path / "config.yaml"
    config.write_text("post_hooks: []\npackage_name_override: playback_client\n")
    result = subprocess.run(
        [Path(sys.executable).parent / "openapi-python-client", "generate",
         "--path", schema, "--config", config, "--meta", "none",
         "--output-path", tmp_path / "playback_client"],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    sys.path.insert(0, str(tmp_path))
    try:
        yield importlib.import_module("playback_client")
    finally:
        sys.path.remove(str(tmp_path))
        for name in [m for m in sys.modules if m.startswith("playback_client")]:
            del sys.modules[name]


def test_a_generated_client_starts_reads_lists_reruns_and_gets_a_typed_400(
    generated, live_server, member, flow, sim_device
):
    from playback_client import AuthenticatedClient
    from playback_client.api.playback import (
        playback_runs_list,
        playback_runs_rerun_create,
        playback_runs_retrieve,
        playback_start,
    )
    from playback_client.models import FieldErrors, Run, StartRunRequest

    token = Token.objects.create(user=member("runner", "frontend")).key
    client = AuthenticatedClient(base_url=live_server.url, token=token, prefix="Token")

    started = playback_start.sync_detailed(
        client=client, body=StartRunRequest(flow_id=flow.pk, device_id=sim_device.device_id)
    )
    assert started.status_code == 202
    run = started.parsed
    assert isinstance(run, Run) and run.status.value == "queued"

    read = playback_runs_retrieve.sync(client=client, id=run.run_id)
    assert read.run_id == run.run_id and read.flow_id == flow.pk

    listed = playback_runs_list.sync(client=client)
    assert [r.run_id for r in listed.results] == [run.run_id]

    again = playback_runs_rerun_create.sync_detailed(client=client, id=run.run_id)
    assert again.status_code == 202 and again.parsed.rerun_of == run.run_id

    refused = playback_start.sync_detailed(
        client=client, body=StartRunRequest(flow_id=999_999, device_id=sim_device.device_id)
    )
    assert refused.status_code == 400
    assert isinstance(refused.parsed, FieldErrors)
    assert refused.parsed.additional_properties["flow_id"] == ["No flow with id 999999."]
