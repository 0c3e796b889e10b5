"""What a webhook delivery carries: the run, batch, failure group or quarantine
resource, as the API shows it (relative URLs: a worker has no request to make them
absolute)."""

from __future__ import annotations

from typing import Any

from playback.batches.models import Batch
from playback.models import Run
from playback.resources.batches import BatchSerializer
from playback.resources.runs import RunSerializer


def resource(kind: str, pk: int) -> dict[str, Any] | None:
    if kind == "failure_group":
        from playback.insights.lists import failure_groups
        from playback.insights.models import FailureGroup

        key = FailureGroup.objects.filter(pk=pk).values_list("key", flat=True).first()
        found = failure_groups(keys=[key], limit=1) if key else []
        return found[0] if found else None
    if kind == "quarantine":
        from playback.insights.models import Quarantine
        from playback.resources.quarantines import shown

        item = Quarantine.objects.filter(pk=pk).first()
        return None if item is None else shown(item)
    if kind == "run":
        run = Run.objects.select_related("flow", "device").filter(pk=pk).first()
        return None if run is None else RunSerializer(run).data
    batch = Batch.objects.filter(pk=pk).first()
    return None if batch is None else BatchSerializer(batch).data
