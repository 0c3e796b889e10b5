"""Triage in the admin: a failure group's page with its label, comment and issue
link; labelling many groups at once from the groups list; the failure categories'
page (edit or import Allure's categories.json). Editors and admins change them;
whoever may see runs sees them."""

from __future__ import annotations

import json
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import path, reverse

from playback.insights import categories, triage
from playback.insights.lists import failure_groups
from playback.insights.models import FailureGroup
from playback.models import Run

LABEL_CHOICES = list(triage.LABEL_NAMES.items())


class TriageForm(forms.Form):
    label = forms.ChoiceField(choices=LABEL_CHOICES)
    comment = forms.CharField(
        required=False,
        max_length=triage.MAX_COMMENT,
        strip=False,
        widget=forms.Textarea({"rows": 3, "cols": 60}),
    )
    issue_url = forms.CharField(
        required=False,
        max_length=500,
        label="Issue",
        widget=forms.URLInput({"size": 60}),
        help_text="The issue that tracks it: an http:// or https:// link.",
    )

    def clean_issue_url(self) -> str:
        url = self.cleaned_data.get("issue_url", "")
        problem = triage.issue_url_problem(url)
        if problem:
            raise forms.ValidationError(problem)
        return url


class BulkTriageForm(TriageForm):
    groups = forms.MultipleChoiceField(
        choices=[], error_messages={"required": "Select the groups to label."}
    )

    def __init__(self, *args: Any, keys: list[str], **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["groups"].choices = [(key, key) for key in keys]


class CategoriesForm(forms.Form):
    rules = forms.CharField(
        required=False,
        label="categories.json",
        widget=forms.Textarea({"rows": 16, "cols": 90}),
        help_text="A list of {name, messageRegex, traceRegex, matchedStatuses}; the first "
        "that matches a failure names it.",
    )
    upload = forms.FileField(required=False, label="…or import the file")

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        upload = data.get("upload")
        text = upload.read().decode("utf-8", "replace") if upload else data.get("rules") or "[]"
        try:
            data["parsed"] = categories.parse(json.loads(text))
        except json.JSONDecodeError as exc:
            raise forms.ValidationError(f"Not JSON: {exc}") from None
        except categories.CategoriesError as exc:
            raise forms.ValidationError(
                [f"{k}: {v}" if k != "non_field_errors" else v for k, v in exc.errors.items()]
            ) from None
        return data


class TriagePages:
    """FailureGroupAdmin's triage: its URLs, its forms (a ReadOnlyInsight mixin)."""

    def has_triage_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("playback.change_failuregroup")

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("categories/", view(self.categories_view), name="playback_categories"),
            path("<str:key>/", view(self.group_view), name="playback_failuregroup_group"),
            *super().get_urls(),
        ]

    def bulk_label(self, request: HttpRequest) -> BulkTriageForm | None:
        """The list's "label the selected groups" form; None once it has labelled."""
        keys = list(FailureGroup.objects.order_by("-last_seen").values_list("key", flat=True)[:100])
        if request.method != "POST":
            return BulkTriageForm(keys=keys, initial={"label": triage.TriageLabel.PRODUCT_BUG})
        if not self.has_triage_permission(request):
            raise PermissionDenied("You may not triage failures.")
        form = BulkTriageForm(request.POST, keys=keys)
        if not form.is_valid():
            return form
        chosen = FailureGroup.objects.filter(key__in=form.cleaned_data["groups"])
        done = triage.label_groups(
            chosen,
            request.user,
            label=form.cleaned_data["label"],
            comment=form.cleaned_data["comment"],
            issue_url=form.cleaned_data["issue_url"],
        )
        name = triage.LABEL_NAMES[form.cleaned_data["label"]]
        self.message_user(request, f"{len(done)} group(s) labelled {name}.", messages.SUCCESS)
        return None

    def group_view(self, request: HttpRequest, key: str) -> HttpResponse:
        self.check_view(request)
        group = FailureGroup.objects.filter(key=key).first()
        if group is None:
            raise Http404(f"No failure group {key!r}.")
        form = TriageForm(
            request.POST or None,
            initial={"label": group.label, "comment": group.comment, "issue_url": group.issue_url},
        )
        if request.method == "POST":
            if not self.has_triage_permission(request):
                raise PermissionDenied("You may not triage failures.")
            if form.is_valid():
                triage.label_groups([group], request.user, **form.cleaned_data)
                self.message_user(request, f"Labelled {triage.LABEL_NAMES[group.label]}.")
                return HttpResponseRedirect(request.path)
        shown = failure_groups(keys=[key], limit=1)[0]
        similar = (
            FailureGroup.objects.filter(key=group.similar_to).first() if group.similar_to else None
        )
        return self.page(
            request,
            "admin/playback/failure_group.html",
            title="Failure group",
            group=shown,
            form=form,
            similar=similar,
            may_label=self.has_triage_permission(request),
            runs=Run.objects.filter(pk__in=group.example_runs).select_related("flow", "device"),
        )

    def categories_view(self, request: HttpRequest) -> HttpResponse:
        self.check_view(request)
        may_edit = request.user.has_perm("playback.change_category")
        current = [rule.as_json() for rule in categories.load()]
        form = CategoriesForm(
            request.POST or None,
            request.FILES or None,
            initial={"rules": json.dumps(current, indent=2)},
        )
        if request.method == "POST":
            if not may_edit:
                raise PermissionDenied("You may not edit the categories.")
            if form.is_valid():
                categories.save(form.cleaned_data["parsed"])
                count = len(form.cleaned_data["parsed"])
                self.message_user(request, f"{count} categories saved.", messages.SUCCESS)
                return HttpResponseRedirect(reverse("admin:playback_categories"))
        return self.page(
            request,
            "admin/playback/categories.html",
            title="Failure categories",
            form=form,
            may_edit=may_edit,
            rules=current,
        )
