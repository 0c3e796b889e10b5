"""The viewer, runner and editor groups (playback/access.py says what each may do)."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

# As the groups were when this migration was written (a migration keeps its own copy).
VIEW = [
    "flows.view_flow",
    "flows.view_step",
    "playback.view_run",
    "playback.view_stepresult",
    "playback.view_device",
]
RUN = ["playback.add_run"]
EDIT = [
    f"{app}.{verb}_{model}"
    for app, model in (("flows", "flow"), ("flows", "step"), ("playback", "device"))
    for verb in ("add", "change", "delete")
]
GROUPS = {"viewer": VIEW, "runner": VIEW + RUN, "editor": VIEW + RUN + EDIT}


def create_groups(apps, schema_editor):
    # Permissions are made after migrations; make them now for these apps.
    for label in ("flows", "playback"):
        config = apps.get_app_config(label)
        config.models_module = True
        create_permissions(config, verbosity=0, apps=apps)
        config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, perms in GROUPS.items():
        group, _ = Group.objects.get_or_create(name=name)
        wanted = []
        for perm in perms:
            app_label, codename = perm.split(".")
            wanted.append(
                Permission.objects.get(content_type__app_label=app_label, codename=codename)
            )
        group.permissions.set(wanted)


def remove_groups(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=GROUPS).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("playback", "0005_run_settings_typed_cancelled_by"),
        ("flows", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_groups, remove_groups)]
