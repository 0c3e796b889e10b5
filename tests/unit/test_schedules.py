"""Batch schedules: the cron rule and its preview, a firing starts the right batch,
a paused one does not, the django-q2 schedule follows, and the admin."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.urls import reverse
from django_q.models import Schedule

from playback import tasks
from playback.batches import schedules
from playback.batches.models import Batch, BatchSchedule
from tests.helpers import tap

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("cron", "ok"),
    [("0 2 * * 1-5", True), ("*/15 * * * *", True), ("0 2 * *", False), ("61 * * * *", False),
     ("every day", False), ("", False)],
)  # fmt: skip
def test_a_cron_expression_has_five_valid_fields(cron, ok):
    assert (schedules.cron_problem(cron) is None) == ok


@pytest.mark.parametrize("cron", ["0 0 31 2 *", "0 0 30 2 *", "0 0 31 4,6,9,11 *"])
def test_a_cron_expression_that_never_fires_is_refused(cron):
    assert "never fires" in schedules.cron_problem(cron)
    assert schedules.cron_problem("0 0 29 2 *") is None  # leap years


def test_the_admin_says_a_schedule_that_never_fires_is_wrong(admin_client, smoke):
    data = {"name": "never", "tag": "smoke", "platform": "sim", "mode": "all",
            "settings": "{}", "cron": "0 0 31 2 *", "active": "on"}  # fmt: skip
    response = admin_client.post(reverse("admin:playback_batchschedule_add"), data)
    assert response.status_code == 200 and "never fires" in response.content.decode()
    assert not BatchSchedule.objects.filter(name="never").exists()


def test_the_preview_gives_the_next_five_times_in_utc():
    friday_noon = datetime(2026, 12, 4, 12, 0, tzinfo=UTC)
    times = schedules.next_times("0 2 * * 1-5", after=friday_noon)
    assert [t.strftime("%a %d %H:%M") for t in times] == [
        "Mon 07 02:00", "Tue 08 02:00", "Wed 09 02:00", "Thu 10 02:00", "Fri 11 02:00",
    ]  # fmt: skip


@pytest.fixture
def smoke(make_flow, make_device):
    for name in ("a", "b"):
        make_flow([tap("x", using="id")], name=name).set_tags(["smoke"])
    make_flow([tap("x", using="id")], name="not smoke")
    make_device("http://127.0.0.1:9", device_id="s1")
    make_device("http://127.0.0.1:9", device_id="s2")
    schedule = BatchSchedule.objects.create(name="nightly smoke", tag="smoke", platform="sim",
                                            cron="0 2 * * 1-5",
                                            settings={"retry_per_step": 2})  # fmt: skip
    schedules.sync(schedule)
    return schedule


def test_a_firing_starts_the_schedules_batch(smoke):
    batch_id = tasks.fire_schedule(smoke.pk)  # what django-q2's scheduler calls
    batch = Batch.objects.get(pk=batch_id)
    assert (batch.schedule, batch.tag, batch.platform, batch.mode) == (smoke, "smoke", "sim",
                                                                       "split")  # fmt: skip
    assert len(batch.flow_ids) == 2 and batch.settings["retry_per_step"] == 2
    assert batch.requested_from == "schedule nightly smoke"
    smoke.refresh_from_db()
    assert smoke.last_fired_at is not None and smoke.last_problem == ""


def test_a_paused_schedule_starts_nothing(smoke):
    BatchSchedule.objects.filter(pk=smoke.pk).update(active=False)
    assert tasks.fire_schedule(smoke.pk) is None
    assert not Batch.objects.exists()


def test_a_firing_that_cannot_start_says_why_on_the_schedule(smoke):
    from playback.models import Device

    Device.objects.update(enabled=False)
    assert tasks.fire_schedule(smoke.pk) is None
    smoke.refresh_from_db()
    assert "No enabled sim device." in smoke.last_problem


def test_the_django_q_schedule_follows_the_schedule(smoke):
    q = Schedule.objects.get(name=f"batch-schedule-{smoke.pk}")
    assert (q.func, q.schedule_type, q.cron, q.args) == (
        "playback.tasks.fire_schedule", Schedule.CRON, "0 2 * * 1-5", str(smoke.pk),
    )  # fmt: skip
    assert q.next_run > datetime.now(UTC)


def test_scheduling_in_the_admin_with_a_preview_and_its_batches(admin_client, smoke):
    data = {"name": "weekly", "tag": "smoke", "platform": "sim", "mode": "all",
            "settings": "{}", "cron": "30 3 * * 0", "active": "on"}  # fmt: skip
    response = admin_client.post(reverse("admin:playback_batchschedule_add"), data)
    assert response.status_code == 302, response.content.decode()[:3000]
    weekly = BatchSchedule.objects.get(name="weekly")
    assert Schedule.objects.get(name=f"batch-schedule-{weekly.pk}").cron == "30 3 * * 0"
    tasks.fire_schedule(weekly.pk)
    page = admin_client.get(reverse("admin:playback_batchschedule_change", args=[weekly.pk]))
    html = page.content.decode()
    assert html.count("03:30") >= 5 and "Sun " in html  # the preview
    assert 'id="pb-schedule-batches"' in html and "queued" in html
    wrong = {**data, "name": "bad", "cron": "every night", "tag": "nope"}
    bad = admin_client.post(reverse("admin:playback_batchschedule_add"), wrong)
    text = bad.content.decode()
    assert bad.status_code == 200 and "Five fields" in text and "No flow is tagged" in text
    assert not BatchSchedule.objects.filter(name="bad").exists()
    admin_client.post(reverse("admin:playback_batchschedule_delete", args=[weekly.pk]),
                      {"post": "yes"})  # fmt: skip
    assert not Schedule.objects.filter(name=f"batch-schedule-{weekly.pk}").exists()


def test_a_schedule_takes_the_apis_setting_keys_and_keeps_them_by_field(admin_client, smoke):
    data = {
        "name": "nightly",
        "tag": "smoke",
        "platform": "sim",
        "mode": "all",
        "settings": '{"retryPerStep": 2, "failureBehaviour": "continue"}',
        "cron": "0 2 * * *",
        "active": "on",
    }
    response = admin_client.post(reverse("admin:playback_batchschedule_add"), data)
    assert response.status_code == 302, response.content.decode()[:3000]
    nightly = BatchSchedule.objects.get(name="nightly")
    assert nightly.settings == {"retry_per_step": 2, "failure_behaviour": "continue"}
    page = admin_client.get(reverse("admin:playback_batchschedule_change", args=[nightly.pk]))
    assert "retryPerStep" in page.content.decode()
    wrong = {**data, "name": "typo", "settings": '{"retryPerStepp": 1}'}
    text = admin_client.post(reverse("admin:playback_batchschedule_add"), wrong).content.decode()
    assert "did you mean &#x27;retryPerStep&#x27;" in text
    assert not BatchSchedule.objects.filter(name="typo").exists()
