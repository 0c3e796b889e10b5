from __future__ import annotations

import functools
from datetime import UTC
from typing import Any

import django_filters
from django import forms
from django_filters.fields import IsoDateTimeField

from playback import words
from playback.http.filters import Pagination
from playback.http.ids import MAX_ID
from playback.insights import windows
from playback.insights.windows import failure_group_runs
from playback.models import Run


class UTCDateTimeField(IsoDateTimeField):
    """An ISO 8601 moment that still exists in UTC (9999-12-31T23:59-14:00 does not)."""

    def to_python(self, value):
        moment = super().to_python(value)
        if moment is not None:
            try:
                moment.astimezone(UTC)
            except OverflowError:
                raise forms.ValidationError(
                    "Must be a moment between the years 1 and 9999 in UTC."
                ) from None
        return moment


class UTCDateTimeFilter(django_filters.IsoDateTimeFilter):
    field_class = UTCDateTimeField


class RunFilter(django_filters.FilterSet):
    flaky = django_filters.TypedChoiceFilter(
        choices=[("true", "true"), ("false", "false")],
        method="filter_flaky",
        help_text="true: runs with a flaky step; false: runs without.",
    )
    ordering = django_filters.OrderingFilter(
        fields=["queued_at", "finished_at", "duration_ms", "status", "flaky_steps"],
        help_text="A field to sort by, - for descending (default: -queued_at).",
    )

    status = django_filters.MultipleChoiceFilter(
        choices=words.choices(words.RunStatus),
        help_text="Repeat for several: ?status=failed&status=error",
    )
    flow = django_filters.NumberFilter(
        field_name="flow_id", min_value=1, max_value=MAX_ID, help_text="A flow id."
    )
    device = django_filters.CharFilter(field_name="device__device_id", help_text="A device id.")
    batch = django_filters.NumberFilter(
        field_name="batch_id", min_value=1, max_value=MAX_ID, help_text="A batch id."
    )
    marker = django_filters.ChoiceFilter(
        choices=[("new_failure", "new_failure"), ("fixed", "fixed"), ("flaky", "flaky")],
        method="filter_marker",
        help_text=(
            "new_failure: a step failed that passed in the previous finished run of the flow "
            "on its platform; fixed: the reverse; flaky: a step passed on a retry."
        ),
    )
    failure_group = django_filters.CharFilter(
        method="filter_failure_group",
        max_length=16,
        help_text="A failure group's key (GET /api/insights/failure-groups/).",
    )
    queued_after = UTCDateTimeFilter(
        field_name="queued_at", lookup_expr="gte", help_text="ISO 8601, inclusive."
    )
    queued_before = UTCDateTimeFilter(
        field_name="queued_at", lookup_expr="lt", help_text="ISO 8601, exclusive."
    )

    class Meta:
        model = Run
        fields = [
            "status",
            "flow",
            "device",
            "batch",
            "queued_after",
            "queued_before",
            "flaky",
            "marker",
            "failure_group",
            "ordering",
        ]

    def filter_marker(self, queryset, name: str, value: str):
        if value == "flaky":
            return queryset.filter(flaky_steps__gt=0)
        return queryset.filter(**{value: True})

    def filter_failure_group(self, queryset, name: str, value: str):
        return failure_group_runs(queryset, value)

    def filter_flaky(self, queryset, name: str, value: str):
        return (
            queryset.filter(flaky_steps__gt=0)
            if value == "true"
            else queryset.filter(flaky_steps=0)
        )


class RunPagination(Pagination):
    """The runs list's pages; a list narrowed by a failure group alone is counted from
    the group's index (`windows.failure_group_count`)."""

    def paginate_queryset(self, queryset: Any, request: Any, view: Any = None) -> Any:
        key = windows.only_failure_group(
            request.query_params, {"page", "page_size", "ordering", "format"}
        )
        if key:
            count = windows.failure_group_count(key)
            self.django_paginator_class = functools.partial(
                windows.KnownCountPaginator, count=count
            )
        return super().paginate_queryset(queryset, request, view)
