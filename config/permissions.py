"""The API's permission class (kept apart from config.api: DRF's views import it at
start-up)."""

from __future__ import annotations

from rest_framework.permissions import DjangoModelPermissions


class ModelPermissions(DjangoModelPermissions):
    """The API asks for the same Django model permissions as the admin: reading needs
    `view_<model>`, creating `add_`, changing `change_`, deleting `delete_` of the
    view's model. Starting, re-running and cancelling runs are POSTs on runs, so they
    need `playback.add_run` (the "runner" group and up)."""

    perms_map = {
        **DjangoModelPermissions.perms_map,
        "GET": ["%(app_label)s.view_%(model_name)s"],
        "HEAD": ["%(app_label)s.view_%(model_name)s"],
    }
