"""A quarantine as the API and webhooks show it (playback/quarantines.py)."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from playback import quarantines
from playback.insights.models import Quarantine

STATUSES = ("active", "expired", "lifted")


class QuarantineSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    flow_id = serializers.IntegerField()
    step_key = serializers.CharField(allow_null=True, help_text="null: the whole flow")
    step = serializers.CharField(help_text="What the step does (or 'the whole flow')")
    reason = serializers.CharField()
    status = serializers.ChoiceField(choices=STATUSES)
    created_by = serializers.CharField(allow_null=True)
    created_at = serializers.DateTimeField()
    expires_at = serializers.DateTimeField(allow_null=True)
    lifted_at = serializers.DateTimeField(allow_null=True)
    lifted_by = serializers.CharField(allow_null=True)
    lifted_by_batch = serializers.IntegerField(
        allow_null=True, help_text="The verify that lifted it"
    )


def shown(item: Quarantine) -> dict[str, Any]:
    return {
        "id": item.pk,
        "flow_id": item.flow_id,
        "step_key": item.step_key or None,
        "step": item.step_summary or ("the whole flow" if not item.step_key else item.step_key),
        "reason": item.reason,
        "status": quarantines.status_of(item),
        "created_by": item.created_by.get_username() if item.created_by else None,
        "created_at": item.created_at,
        "expires_at": item.expires_at,
        "lifted_at": item.lifted_at,
        "lifted_by": item.lifted_by.get_username() if item.lifted_by else None,
        "lifted_by_batch": item.lifted_by_batch_id,
    }
