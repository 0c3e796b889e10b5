"""The report formats' registry (playback/reports/formats.py): one entry serves the
API's files for runs and batches, the `play` command's option and the admin's links."""

from __future__ import annotations

import pytest
from django.urls import reverse

from playback import services
from playback.management.commands import play as play_command
from playback.reports.formats import FORMATS, KINDS, links, output

pytestmark = pytest.mark.django_db


def test_each_format_is_served_for_runs_and_batches_at_its_file_name(api, flow, make_device):
    make_device("http://127.0.0.1:9", device_id="z0")
    batch = services.start_batch(flows=[flow.pk], devices=["z0"], mode="all")
    run = batch.runs.get()
    for report in FORMATS:
        for kind, pk in zip(KINDS, (run.pk, batch.pk), strict=True):
            file = output(report, kind)
            answer = api.get(f"/api/playback/{kind}/{pk}/{file.file}")
            assert answer.status_code == 200, (report.name, kind)
            assert answer["Content-Type"].startswith(file.content_type)
            assert api.get(f"/api/playback/{kind}/999999/{file.file}").status_code == 404


def test_a_file_no_format_names_is_not_found(api):
    assert api.get("/api/playback/runs/1/report.pdf").status_code == 404


def test_a_report_needs_the_right_to_see_runs(client, django_user_model, flow, make_device):
    make_device("http://127.0.0.1:9", device_id="z0")
    batch = services.start_batch(flows=[flow.pk], devices=["z0"], mode="all")
    client.force_login(django_user_model.objects.create_user("nobody", password="pw"))
    assert client.get(f"/api/playback/runs/{batch.runs.get().pk}/junit.xml").status_code == 403
    assert client.get(f"/api/playback/batches/{batch.pk}/report.html").status_code == 403


def test_the_play_command_and_the_admin_offer_every_format():
    parser = play_command.Command().create_parser("manage.py", "play")
    options = {option for action in parser._actions for option in action.option_strings}
    assert {f"--{report.name}" for report in FORMATS} <= options
    labels = [label for label, _ in links("batches", 7)]
    assert labels == [report.label for report in FORMATS]
    assert reverse("playback:batch-junit", kwargs={"pk": 7}).endswith("/batches/7/junit.zip")
