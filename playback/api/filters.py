from __future__ import annotations

import django_filters

from config.api import MAX_ID
from playback import words
from playback.models import Run


class RunFilter(django_filters.FilterSet):
    status = django_filters.MultipleChoiceFilter(
        choices=words.choices(words.RunStatus),
        help_text="Repeat for several: ?status=failed&status=error",
    )
    flow = django_filters.NumberFilter(
        field_name="flow_id", min_value=1, max_value=MAX_ID, help_text="A flow id."
    )
    device = django_filters.CharFilter(field_name="device__device_id", help_text="A device id.")
    queued_after = django_filters.IsoDateTimeFilter(
        field_name="queued_at", lookup_expr="gte", help_text="ISO 8601, inclusive."
    )
    queued_before = django_filters.IsoDateTimeFilter(
        field_name="queued_at", lookup_expr="lt", help_text="ISO 8601, exclusive."
    )

    class Meta:
        model = Run
        fields = ["status", "flow", "device", "queued_after", "queued_before"]
