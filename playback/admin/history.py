"""What every run-history page of the admin shares: history is read-only, and a page
of it is shown only to whoever may see runs."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest


class HistoryAdmin(admin.ModelAdmin):
    """Nothing in the history is added, changed or deleted from the admin: a run's rows
    stay (media retention frees its files), and deleting a running run would free its
    device under its worker; the insights' rollups are kept by the runs themselves."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def check_view(self, request: HttpRequest) -> None:
        """For the history's own pages (a step, a comparison, an insight)."""
        if not self.has_view_permission(request):
            raise PermissionDenied("You may not see run history.")
