"""What a webhook delivery carries: the run or batch resource, as the API shows it
(relative URLs: a worker has no request to make them absolute)."""

from __future__ import annotations

from typing import Any

from playback.batches.models import Batch
from playback.models import Run
from playback.resources.batches import BatchSerializer
from playback.resources.runs import RunSerializer


def resource(kind: str, pk: int) -> dict[str, Any] | None:
    if kind == "run":
        run = Run.objects.select_related("flow", "device").filter(pk=pk).first()
        return None if run is None else RunSerializer(run).data
    batch = Batch.objects.filter(pk=pk).first()
    return None if batch is None else BatchSerializer(batch).data
