"""Baselines of visual assertions in the admin: each flow's baselines with every
version (a name's history), approving candidates one at a time or several at once,
and the "Approve as baseline" button of a failed assert_screen step on a run's page.
Editors and admins approve; whoever may see runs sees them."""

from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from playback.visual import baselines
from playback.visual.models import Baseline
from playback.words import BaselineStatus


@admin.register(Baseline)
class BaselineAdmin(admin.ModelAdmin):
    list_display = [
        "picture",
        "name",
        "flow",
        "profile",
        "version",
        "status",
        "approved",
        "taken_by",
    ]
    list_display_links = ["name"]
    list_filter = ["flow", "status", "profile"]
    search_fields = ["name"]
    ordering = ["flow", "name", "profile", "-version"]
    list_select_related = ["flow", "approved_by"]
    actions = ["approve_selected"]
    readonly_fields = [f.name for f in Baseline._meta.fields] + ["picture"]

    class Media:
        css = {"all": ["playback/admin.css"]}

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # a baseline is a screen a run took

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False  # read-only: approving is its own action

    def may_approve(self, request: HttpRequest) -> bool:
        return request.user.has_perm("playback.change_baseline")

    @admin.display(description="screen")
    def picture(self, item: Baseline) -> str:
        url = reverse("playback:baseline-image", kwargs={"id": item.pk})
        return format_html(
            '<img class="pb-baseline" src="{}" alt="{}" loading="lazy">', url, item.name
        )

    @admin.display(description="approved", ordering="approved_at")
    def approved(self, item: Baseline) -> str:
        if item.approved_at is None:
            return "-"
        who = item.approved_by.get_username() if item.approved_by else "a run (updateBaselines)"
        return f"{item.approved_at:%Y-%m-%d %H:%M} by {who}"

    @admin.display(description="taken by")
    def taken_by(self, item: Baseline) -> str:
        if item.run_id is None:
            return "-"
        url = reverse("admin:playback_run_change", args=[item.run_id])
        return format_html('<a href="{}">run #{} step {}</a>', url, item.run_id, item.step_number)

    @admin.action(description="Approve the selected candidates")
    def approve_selected(self, request: HttpRequest, queryset: QuerySet[Baseline]) -> None:
        if not self.may_approve(request):
            raise PermissionDenied
        done = 0
        for item in queryset.filter(status=BaselineStatus.CANDIDATE).order_by("pk"):
            baselines.approve(item, request.user)
            done += 1
        self.message_user(request, f"{done} baseline(s) approved.", messages.SUCCESS)

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path(
                "<id:baseline_id>/approve/",
                view(require_POST(self.approve_view)),
                name="playback_baseline_approve",
            ),
            *super().get_urls(),
        ]

    def approve_view(self, request: HttpRequest, baseline_id: int) -> HttpResponse:
        """The run page's "Approve as baseline": back to where it was pressed."""
        if not self.may_approve(request):
            raise PermissionDenied
        item = Baseline.objects.filter(pk=baseline_id).first()
        if item is None:
            self.message_user(request, f"No baseline {baseline_id}.", messages.ERROR)
        else:
            try:
                baselines.approve(item, request.user)
                self.message_user(
                    request, f"'{item.name}' on {item.profile}: version {item.version} approved."
                )
            except baselines.NotApprovable as exc:
                self.message_user(request, str(exc), messages.WARNING)
        back = request.GET.get("next", "")
        if not url_has_allowed_host_and_scheme(back, {request.get_host()}):
            back = reverse("admin:playback_baseline_changelist")
        return HttpResponseRedirect(back)
