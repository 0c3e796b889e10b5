"""Who may do what: the three groups a migration creates, by Django model permission.

The admin and the API ask for the same permissions (playback.http.errors.ModelPermissions):
viewing needs `view_*`; starting, re-running and cancelling runs needs
`playback.add_run`; editing flows and devices needs their add/change/delete, and
triaging failures (labels, categories) `change_failuregroup` / `change_category`. A
group gives its users these permissions; admin pages need staff status too.
"""

from __future__ import annotations

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
] + [
    "playback.change_failuregroup",  # triage
    "playback.change_category",
    "playback.add_quarantine",
    "playback.delete_quarantine",
    "playback.change_baseline",  # approve a screen as assert_screen's baseline
]

GROUPS: dict[str, list[str]] = {
    "viewer": VIEW,
    "runner": VIEW + RUN,
    "editor": VIEW + RUN + EDIT,
}


def ensure_groups() -> None:
    """Create the groups with their permissions, or set them back (idempotent)."""
    from django.contrib.auth.models import Group, Permission

    for name, perms in GROUPS.items():
        group, _ = Group.objects.get_or_create(name=name)
        group.permissions.set(
            [
                Permission.objects.get(content_type__app_label=app, codename=codename)
                for app, codename in (perm.split(".") for perm in perms)
            ]
        )
