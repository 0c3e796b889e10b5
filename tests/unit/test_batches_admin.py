"""Batches in the admin: the list with progress, a batch's page with its runs, cancel
and re-run failed; the HTML report opens offline."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from playback import services
from playback.batches.models import Batch
from tests.batches import drain
from tests.helpers import tap
from tests.scripted_driver import ScriptedDriver

pytestmark = pytest.mark.django_db


@pytest.fixture
def batch(make_flow, make_device):
    for i in range(3):
        make_flow([tap(t, using="id") for t in "ab"], name=f"flow {i}")
    make_device("http://127.0.0.1:9", device_id="d0")
    return services.start_batch(flows=["flow 0", "flow 1", "flow 2"], devices=["d0"])


def test_the_batches_list_and_page_show_progress_runs_and_a_cancel_button(admin_client, batch):
    listed = admin_client.get(reverse("admin:playback_batch_changelist")).content.decode()
    assert "0/3" in listed and "3 (flows) on 1 device(s)" in listed
    page = admin_client.get(reverse("admin:playback_batch_change", args=[batch.pk]))
    html = page.content.decode()
    assert '<progress value="0" max="3"' in html and 'id="pb-cancel-batch"' in html
    assert "window.location.reload" in html  # it follows itself while it runs
    assert f"/api/playback/batches/{batch.pk}/junit.zip" in html
    response = admin_client.post(reverse("admin:playback_batch_cancel", args=[batch.pk]))
    assert response.status_code == 302
    batch.refresh_from_db()
    assert batch.status == "cancelled"


def test_re_run_failed_from_the_batch_page(admin_client, batch):
    drain(batch, {"d0": ScriptedDriver(find_failures={"b": 99})}, until=1)
    drain(batch, {"d0": ScriptedDriver()})
    html = admin_client.get(reverse("admin:playback_batch_change", args=[batch.pk])).content
    assert b'id="pb-rerun-failed"' in html and b'<progress value="3" max="3"' in html
    response = admin_client.post(reverse("admin:playback_batch_rerun_failed", args=[batch.pk]))
    again = Batch.objects.exclude(pk=batch.pk).get()
    assert response["Location"] == reverse("admin:playback_batch_change", args=[again.pk])
    assert again.rerun_of_id == batch.pk and len(again.flow_ids) == 1
    runs = admin_client.get(reverse("admin:playback_run_changelist") + f"?batch={again.pk}")
    assert runs.status_code == 200 and runs.content.decode().count("Batch #") >= 1


def test_viewers_see_batches_but_get_no_buttons(client, member, batch):
    client.force_login(member("viewer", "v", staff=True))
    html = client.get(reverse("admin:playback_batch_change", args=[batch.pk])).content.decode()
    assert "pb-cancel-batch" not in html
    assert client.post(reverse("admin:playback_batch_cancel", args=[batch.pk])).status_code == 403


def test_the_html_report_is_one_file_with_no_outside_asset(api, batch):
    drain(batch, {"d0": ScriptedDriver(find_failures={"b": 99})})
    report = api.get(f"/api/playback/batches/{batch.pk}/report.html")
    assert report.status_code == 200 and report["Content-Type"].startswith("text/html")
    html = report.content.decode()
    assert f"Batch #{batch.pk}" in html and "data:image/png;base64," in html  # thumbnails inside
    assert "Element not found" in html
    # Nothing fetched (its links lead back to the service: those are only followed).
    assert not re.search(r"""src=["'](https?:)?//|<link|url\((https?:)?//""", html)
    run = batch.runs.first()
    single = api.get(f"/api/playback/runs/{run.pk}/report.html").content.decode()
    assert f"Run #{run.pk}" in single
