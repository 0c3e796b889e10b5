"""The runs list's own filters: what a QA lead asks of the history."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from playback import words
from playback.insights.windows import failure_group_runs
from playback.models import FailureGroup, Run
from playback.words import RunStatus


class OutcomeFilter(admin.SimpleListFilter):
    """What a QA lead asks first: did it pass?"""

    title = "outcome"
    parameter_name = "outcome"
    GROUPS = {
        "passed": ("Passed", [RunStatus.SUCCESS]),
        "not_passed": (
            "Did not pass (failed, partial, error)",
            list(words.NOT_PASSED_RUN_STATUSES),
        ),
        "active": ("Queued or running", list(words.ACTIVE_RUN_STATUSES)),
        "cancelled": ("Cancelled", [RunStatus.CANCELLED]),
    }

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [(key, label) for key, (label, _) in self.GROUPS.items()]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Run]) -> QuerySet[Run]:
        if self.value() in self.GROUPS:
            return queryset.filter(status__in=self.GROUPS[self.value()][1])
        return queryset


class HasFlakyStepsFilter(admin.SimpleListFilter):
    title = "flaky steps"
    parameter_name = "flaky"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [("yes", "Has flaky steps"), ("no", "No flaky steps")]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Run]) -> QuerySet[Run]:
        if self.value() == "yes":
            return queryset.filter(flaky_steps__gt=0)
        if self.value() == "no":
            return queryset.filter(flaky_steps=0)
        return queryset


class MarkerFilter(admin.SimpleListFilter):
    """Allure's markers: what changed since the previous run of the flow."""

    title = "markers"
    parameter_name = "marker"
    LOOKUPS = {
        "new_failure": ("New failure", {"new_failure": True}),
        "fixed": ("Fixed", {"fixed": True}),
        "flaky": ("Flaky", {"flaky_steps__gt": 0}),
    }

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [(key, label) for key, (label, _) in self.LOOKUPS.items()]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Run]) -> QuerySet[Run]:
        if self.value() in self.LOOKUPS:
            return queryset.filter(**self.LOOKUPS[self.value()][1])
        return queryset


class FailureGroupFilter(admin.SimpleListFilter):
    """Runs with a step in one failure group, chosen on the Failure groups page (shown
    only while one is chosen: offering groups here would cost every load a query)."""

    title = "failure group"
    parameter_name = "failure_group"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        value = request.GET.get(self.parameter_name)
        if not value:
            return []
        group = FailureGroup.objects.filter(key=value).values_list("signature", flat=True)
        return [(value, (group.first() or f"group {value}")[:80])]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Run]) -> QuerySet[Run]:
        if self.value():
            return failure_group_runs(queryset, self.value())
        return queryset


class BatchFilter(admin.SimpleListFilter):
    """The runs of one batch (from its page; shown only while one is chosen)."""

    title = "batch"
    parameter_name = "batch"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        value = request.GET.get(self.parameter_name)
        return [(value, f"Batch #{value}")] if value and value.isdigit() else []

    def queryset(self, request: HttpRequest, queryset: QuerySet[Run]) -> QuerySet[Run]:
        value = self.value()
        if value and value.isdigit() and len(value) <= 18:
            return queryset.filter(batch_id=int(value))
        return queryset
