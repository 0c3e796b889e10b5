from datetime import UTC, datetime, time, timedelta

from django.db import migrations
from django.utils import timezone

NAME = "playback: prune media"


def add_schedule(apps, schema_editor):
    tomorrow = timezone.now().date() + timedelta(days=1)
    apps.get_model("django_q", "Schedule").objects.update_or_create(
        name=NAME,
        defaults={
            "func": "playback.tasks.prune_media",
            "schedule_type": "D",  # daily
            "repeats": -1,
            "next_run": datetime.combine(tomorrow, time(3, 0), tzinfo=UTC),
        },
    )


def remove_schedule(apps, schema_editor):
    apps.get_model("django_q", "Schedule").objects.filter(name=NAME).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("playback", "0009_run_media_bytes_pruned"),
        ("django_q", "0019_alter_task_options_alter_ormq_key_alter_ormq_lock_and_more"),
    ]

    operations = [migrations.RunPython(add_schedule, remove_schedule)]
