"""Editors (and admins) triage failure groups, edit the failure categories and make
and lift quarantines: the editor group gets those permissions (playback/access.py)."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

# As they were when this migration was written (a migration keeps its own copy).
TRIAGE = ["change_failuregroup", "change_category", "add_quarantine", "delete_quarantine"]


def grant(apps, schema_editor):
    config = apps.get_app_config("playback")
    config.models_module = True
    create_permissions(config, verbosity=0, apps=apps)
    config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    editor = Group.objects.filter(name="editor").first()
    if editor is not None:
        editor.permissions.add(
            *Permission.objects.filter(content_type__app_label="playback", codename__in=TRIAGE)
        )


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("playback", "0029_triage_quarantine_verdict"),
    ]

    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
