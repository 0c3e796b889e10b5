"""The runs list's own filters: what a QA lead asks of the history."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from playback import words
from playback.models import FailureGroup, Run, StepResult
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
    """Runs with a step in one failure group (the latest groups are offered)."""

    title = "failure group"
    parameter_name = "failure_group"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        latest = FailureGroup.objects.order_by("-last_seen").values_list("key", "signature")[:8]
        offered = [(key, signature[:60]) for key, signature in latest]
        if self.value() and self.value() not in dict(offered):
            offered.append((self.value(), f"group {self.value()}"))
        return offered

    def queryset(self, request: HttpRequest, queryset: QuerySet[Run]) -> QuerySet[Run]:
        if self.value():
            runs = StepResult.objects.filter(failure_key=self.value()).values("run_id")
            return queryset.filter(pk__in=runs)
        return queryset
