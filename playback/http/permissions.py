"""The API's permission class (kept apart from playback.http.errors: DRF's views import it at
start-up)."""

from __future__ import annotations

from django.conf import settings
from rest_framework.permissions import BasePermission, DjangoModelPermissions


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


class ApiDocsAccess(BasePermission):
    """The schema and the Swagger UI: open to all when PLAYBACK_PUBLIC_API_DOCS (the
    development default), else to signed-in users (a token or the admin's session)."""

    def has_permission(self, request, view) -> bool:
        return settings.PLAYBACK_PUBLIC_API_DOCS or bool(
            request.user and request.user.is_authenticated
        )


class ViewPermission(ModelPermissions):
    """The view permission of the view's model, whatever the method (an action that
    only reads, such as asking a device's Appium whether it answers)."""

    def get_required_permissions(self, method: str, model_cls) -> list[str]:
        return super().get_required_permissions("GET", model_cls)
