"""Quarantines in the admin: the list (what applies, what expired, what was lifted),
a quarantine made from a step's "Quarantine" button (the flaky-steps page, a run's
step rows: the form comes filled in) and lifting them. Editors and admins make and
lift them; whoever may see runs sees them."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from playback import quarantines
from playback.insights import rates
from playback.insights.models import Quarantine


class QuarantineForm(forms.ModelForm):
    class Meta:
        model = Quarantine
        fields = ["flow", "step_key", "reason", "expires_at"]
        widgets = {"reason": forms.Textarea({"rows": 3, "cols": 60})}
        help_texts = {
            "step_key": "The step's key (16 hex digits); empty: the whole flow.",
            "expires_at": "Optional: it stops applying by itself then.",
        }

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if self.errors:
            return data
        flow = data.get("flow")
        try:
            _, summary = quarantines.checked(
                flow.pk if flow else None,
                data.get("step_key") or "",
                data.get("reason"),
                data.get("expires_at"),
            )
        except quarantines.QuarantineError as exc:
            for field, message in exc.errors.items():
                self.add_error(field.removesuffix("_id"), message)
            return data
        self.instance.step_summary = summary[:300]
        return data


@admin.register(Quarantine)
class QuarantineAdmin(admin.ModelAdmin):
    form = QuarantineForm
    list_display = [
        "flow",
        "step",
        "reason",
        "state",
        "created_by",
        "created_at",
        "expires_at",
        "verify",
    ]
    list_select_related = ["flow", "created_by"]
    actions = ["lift_selected"]

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return request.user.has_perm("playback.view_run")

    def has_module_permission(self, request: HttpRequest) -> bool:
        return self.has_view_permission(request)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # made, then lifted: its record stays as it was

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_lift_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("playback.delete_quarantine")

    def get_changeform_initial_data(self, request: HttpRequest) -> dict[str, Any]:
        # The "Quarantine" buttons link here with ?flow=&step_key=&reason=.
        return {k: request.GET[k] for k in ("flow", "step_key", "reason") if k in request.GET}

    def save_model(self, request: HttpRequest, obj: Quarantine, form: Any, change: bool) -> None:
        obj.created_by = request.user
        obj.reason = obj.reason.strip()
        super().save_model(request, obj, form, change)

    def get_urls(self):
        quick = self.admin_site.admin_view(require_POST(self.quick_view))
        return [path("quick/", quick, name="playback_quarantine_quick"), *super().get_urls()]

    def quick_view(self, request: HttpRequest) -> HttpResponse:
        """One click on a candidate: quarantined with its flake rate as the reason."""
        if not self.has_add_permission(request):
            raise PermissionDenied("You may not quarantine steps.")
        flow, key = request.POST.get("flow", ""), request.POST.get("step_key", "")
        window = rates.window_of(int(flow)) if flow.isdigit() and len(flow) < 19 else None
        step = window.steps.get(key) if window else None
        stats = rates.step_stats(key, step, rates.DEFAULT_WINDOW) if step else None
        reason = (
            f"Flaky: {stats.flaky} of {stats.executed} runs passed only on a retry" if stats else ""
        )
        try:
            item = quarantines.quarantine(
                flow_id=int(flow) if flow.isdigit() and len(flow) < 19 else None,
                step_key=key,
                reason=reason,
                by=request.user,
            )
        except quarantines.QuarantineError as exc:
            self.message_user(
                request, "Not quarantined: " + "; ".join(exc.errors.values()), messages.ERROR
            )
        else:
            self.message_user(request, f"Quarantined: {item.step_summary} ({reason}).")
        back = request.POST.get("next", "")
        safe = url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()})
        return HttpResponseRedirect(
            back if safe else reverse("admin:playback_quarantine_changelist")
        )

    @admin.display(description="step")
    def step(self, item: Quarantine) -> str:
        return item.step_summary or ("the whole flow" if not item.step_key else item.step_key)

    @admin.display(description="prove the fix")
    def verify(self, item: Quarantine) -> str:
        if quarantines.status_of(item) != "active":
            return "-"
        url = reverse("admin:flows_flow_verify", args=[item.flow_id])
        return format_html('<a class="pb-button" href="{}">Verify &times;20</a>', url)

    @admin.display(description="status")
    def state(self, item: Quarantine) -> str:
        status = quarantines.status_of(item)
        return (
            f"lifted by verify batch #{item.lifted_by_batch_id}"
            if (status == "lifted" and item.lifted_by_batch_id)
            else status
        )

    @admin.action(description="Lift the selected quarantines", permissions=["lift"])
    def lift_selected(self, request: HttpRequest, queryset: QuerySet[Quarantine]) -> None:
        lifted = [item for item in queryset if item.lifted_at is None]
        for item in lifted:
            quarantines.lift(item, by=request.user)
        self.message_user(request, f"{len(lifted)} quarantine(s) lifted.", messages.SUCCESS)
