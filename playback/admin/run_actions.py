"""What a QA lead does to runs in the admin: re-run them (one, the selected, the
failed among them) and cancel them, as list actions and as the run page's buttons.
Each calls the service and says what it did, or why not."""

from __future__ import annotations

import dataclasses
from typing import Any

from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import reverse

from playback import services, words
from playback.admin import display
from playback.admin.forms import RunSettingsForm
from playback.models import Run


class RunActions:
    """A mixin of the runs' admin (its `message_user`)."""

    # --- permissions: history is read-only (HistoryAdmin) ------------------------------
    def has_rerun_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm(display.RUN_PERMISSION)

    has_cancel_permission = has_rerun_permission

    # --- actions ----------------------------------------------------------------------
    def _rerun(
        self,
        request: HttpRequest,
        runs: list[Run],
        left_out: list[tuple[int, str]],
        settings: dict[str, Any] | None = None,
    ) -> None:
        queued, refused = [], []
        for run in sorted(runs, key=lambda r: r.pk):  # re-queue in their original order
            try:
                queued.append(
                    services.rerun(
                        run=run,
                        requested_by=request.user,
                        if_unreachable="refuse",
                        **(settings or {}),
                    )
                )
            except services.RunRequestError as exc:
                refused.append((run.pk, "; ".join(map(str, exc.errors.values()))))
            except services.DeviceUnreachable as exc:
                refused.append((run.pk, exc.problem))
        if queued:
            pairs = [(new.pk, new.rerun_of_id) for new in queued]
            self.message_user(request, display.part("rerun_queued", pairs=pairs), messages.SUCCESS)
        if left_out or refused:
            self.message_user(
                request, display.part("runs_left_out", runs=left_out + refused), messages.WARNING
            )

    @admin.action(description="Re-run selected runs", permissions=["rerun"])
    def rerun_selected(self, request: HttpRequest, queryset: QuerySet[Run]) -> None:
        self._rerun(request, list(queryset.select_related("flow", "device")), [])

    @admin.action(
        description="Re-run failed runs (failed, partial success, error)", permissions=["rerun"]
    )
    def rerun_failed(self, request: HttpRequest, queryset: QuerySet[Run]) -> None:
        runs = list(queryset.select_related("flow", "device"))
        failed = [run for run in runs if run.status in words.NOT_PASSED_RUN_STATUSES]
        left_out = [
            (run.pk, f"{run.get_status_display().lower()}, not failed")
            for run in runs
            if run.status not in words.NOT_PASSED_RUN_STATUSES
        ]
        self._rerun(request, failed, left_out)

    @admin.action(description="Re-run selected runs with other settings…", permissions=["rerun"])
    def rerun_with_settings(
        self, request: HttpRequest, queryset: QuerySet[Run]
    ) -> HttpResponse | None:
        """A page of the settings (the oldest selected run's, editable) that every
        re-run of the selection takes; submitting it queues them."""
        runs = sorted(queryset.select_related("flow", "device"), key=lambda r: r.pk)
        submitted = request.POST.get("pb_settings") == "1"
        form = RunSettingsForm(
            request.POST if submitted else None, initial=runs[0].settings.stored()
        )
        if submitted and form.is_valid():
            self._rerun(request, runs, [], dataclasses.asdict(form.run_settings()))
            return None  # back to the list, its messages on top
        context = {
            **self.admin_site.each_context(request),
            "title": f"Re-run {len(runs)} run(s) with other settings",
            "runs": runs,
            "form": form,
            "opts": Run._meta,
            "action": "rerun_with_settings",
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(request, "admin/playback/run/rerun.html", context)

    @admin.action(description="Cancel selected queued/running runs", permissions=["cancel"])
    def cancel_selected(self, request: HttpRequest, queryset: QuerySet[Run]) -> None:
        done, left_out = [], []
        for run in queryset.select_related("flow"):
            try:
                services.cancel_run(run=run, requested_by=request.user)
                done.append(f"#{run.pk}")
            except services.RunConflict:
                left_out.append(f"#{run.pk} (already {run.status})")
        if done:
            self.message_user(request, f"Cancelled {len(done)}: {', '.join(done)}.")
        if left_out:
            self.message_user(request, "Left out: " + "; ".join(left_out) + ".", messages.WARNING)

    def _redirect_to(self, run_id: int) -> HttpResponseRedirect:
        return HttpResponseRedirect(reverse("admin:playback_run_change", args=[run_id]))

    def rerun_view(self, request: HttpRequest, run_id: int) -> HttpResponse:
        if not self.has_rerun_permission(request):
            raise PermissionDenied("You may not start runs.")
        run = get_object_or_404(Run.objects.select_related("flow", "device"), pk=run_id)
        try:
            new = services.rerun(run=run, requested_by=request.user, if_unreachable="refuse")
        except services.RunRequestError as exc:
            self.message_user(
                request,
                "Not re-run: " + "; ".join(map(str, exc.errors.values())),
                messages.ERROR,
            )
            return self._redirect_to(run.pk)
        except services.DeviceUnreachable as exc:
            self.message_user(request, f"Not re-run: {exc.problem}", messages.ERROR)
            return self._redirect_to(run.pk)
        self.message_user(request, f"Run #{new.pk} queued (a re-run of #{run.pk}).")
        return self._redirect_to(new.pk)

    def rerun_settings_view(self, request: HttpRequest, run_id: int) -> HttpResponse:
        """A re-run with the run's settings, editable (GET: the form; POST: queue it)."""
        if not self.has_rerun_permission(request):
            raise PermissionDenied("You may not start runs.")
        run = get_object_or_404(Run.objects.select_related("flow", "device"), pk=run_id)
        initial = run.settings.stored()
        form = RunSettingsForm(request.POST or None, initial=initial)
        if request.method == "POST" and form.is_valid():
            try:
                new = services.rerun(
                    run=run,
                    requested_by=request.user,
                    if_unreachable="refuse",
                    **dataclasses.asdict(form.run_settings()),
                )
            except services.RunRequestError as exc:
                form.add_settings_errors(exc.errors.pop("settings", {}))
                for message in exc.errors.values():
                    form.add_error(None, message)
            except services.DeviceUnreachable as exc:
                form.add_error(None, exc.problem)
            else:
                self.message_user(request, f"Run #{new.pk} queued (a re-run of #{run.pk}).")
                return self._redirect_to(new.pk)
        context = {
            **self.admin_site.each_context(request),
            "title": f"Re-run #{run.pk} of {run.flow.name}",
            "run": run,
            "form": form,
            "opts": Run._meta,
        }
        return TemplateResponse(request, "admin/playback/run/rerun.html", context)

    def cancel_view(self, request: HttpRequest, run_id: int) -> HttpResponse:
        if not self.has_cancel_permission(request):
            raise PermissionDenied("You may not cancel runs.")
        run = get_object_or_404(Run.objects.select_related("flow"), pk=run_id)
        try:
            run = services.cancel_run(run=run, requested_by=request.user)
            if run.is_active:
                self.message_user(request, f"Run #{run.pk} stops before its next step.")
            else:
                self.message_user(request, f"Run #{run.pk} cancelled.")
        except services.RunConflict as exc:
            self.message_user(request, str(exc), messages.WARNING)
        return self._redirect_to(run.pk)
