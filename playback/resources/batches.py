"""The batch resource: what the API answers, live events stream and webhooks send
and `play` prints, built here."""

from __future__ import annotations

from collections import Counter
from typing import Any

from django.urls import reverse
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from playback import verify
from playback.batches.models import Batch
from playback.live import links
from playback.resources.runs import RunSummarySerializer
from playback.resources.settings import SettingsSerializer
from playback.words import RunSettings, RunStatus, keyed_settings


class BatchCountsSerializer(serializers.Serializer):
    flows = serializers.IntegerField(help_text="Flows in the batch.")
    runs = serializers.IntegerField(help_text="Runs so far (a flow played again counts twice).")
    finished = serializers.IntegerField(help_text="Flows (all: flow and device pairs) done.")
    total = serializers.IntegerField(help_text="What `finished` counts up to.")
    flaky = serializers.IntegerField(help_text="Runs that passed with a step on a retry.")
    unplayable = serializers.IntegerField(help_text="Flows no device of the batch could play.")
    queued = serializers.IntegerField()
    running = serializers.IntegerField()
    success = serializers.IntegerField()
    failed = serializers.IntegerField()
    partial_success = serializers.IntegerField()
    error = serializers.IntegerField()
    cancelled = serializers.IntegerField()


class BatchFlowSerializer(serializers.Serializer):
    flow_id = serializers.IntegerField()
    name = serializers.CharField()


class VerifySerializer(serializers.Serializer):
    times = serializers.IntegerField()
    passed_first_time = serializers.IntegerField()
    flaky = serializers.IntegerField(help_text="Passed only on a retry")
    failed = serializers.IntegerField()


class BatchSerializer(serializers.ModelSerializer):
    """A batch: its status by the overall rules over its runs, counts and runs."""

    batch_id = serializers.IntegerField(source="pk", read_only=True)
    settings = serializers.SerializerMethodField()
    flows = serializers.SerializerMethodField()
    devices = serializers.SerializerMethodField()
    failed_devices = serializers.SerializerMethodField()
    counts = serializers.SerializerMethodField()
    runs = serializers.SerializerMethodField()
    unplayable = serializers.ListField(
        child=serializers.IntegerField(),
        read_only=True,
        help_text="Flow ids no device of the batch could play (every one failed).",
    )
    junit_url = serializers.SerializerMethodField()
    verify = serializers.SerializerMethodField(
        help_text="A verify's result once it ended (mode repeat: POST /api/flows/{id}/verify/)"
    )
    verdict = serializers.SerializerMethodField(
        help_text="pass or fail once it ended (null before): every flow's last run passed by "
        "its verdict (quarantined failures do not count)."
    )
    events_url = serializers.SerializerMethodField(
        help_text="Its Server-Sent Events (GET, text/event-stream), signed for the reader."
    )

    class Meta:
        model = Batch
        fields = [
            "batch_id",
            "status",
            "verdict",
            "verify",
            "mode",
            "tag",
            "platform",
            "settings",
            "flows",
            "devices",
            "failed_devices",
            "unplayable",
            "counts",
            "runs",
            "cancel_requested",
            "created_at",
            "finished_at",
            "rerun_of",
            "requested_from",
            "junit_url",
            "events_url",
        ]
        read_only_fields = fields

    def names(self, batch: Batch) -> dict[str, dict[int, Any]]:
        """The batch's flows and devices, read once per batch shown."""
        from flows.models import Flow
        from playback.models import Device

        cache = self.context.setdefault("batch_names", {})
        if batch.pk not in cache:
            cache[batch.pk] = {
                "flows": Flow.objects.in_bulk(batch.flow_ids),
                "devices": Device.objects.in_bulk(batch.device_ids),
            }
        return cache[batch.pk]

    @extend_schema_field(SettingsSerializer)
    def get_settings(self, batch: Batch) -> dict[str, Any]:
        return keyed_settings(RunSettings.from_stored(batch.settings))

    @extend_schema_field(BatchFlowSerializer(many=True))
    def get_flows(self, batch: Batch) -> list[dict[str, Any]]:
        flows = self.names(batch)["flows"]
        return [{"flow_id": pk, "name": flows[pk].name} for pk in batch.flow_ids if pk in flows]

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_devices(self, batch: Batch) -> list[str]:
        devices = self.names(batch)["devices"]
        return [devices[pk].device_id for pk in batch.device_ids if pk in devices]

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_failed_devices(self, batch: Batch) -> list[str]:
        devices = self.names(batch)["devices"]
        return [devices[pk].device_id for pk in batch.failed_devices if pk in devices]

    def batch_runs(self, batch: Batch) -> list[Any]:
        """Its runs in order, read once (prefetched by the list)."""
        if not hasattr(batch, "_runs"):
            batch._runs = sorted(batch.runs.all(), key=lambda run: run.pk)
        return batch._runs

    @extend_schema_field(BatchCountsSerializer)
    def get_counts(self, batch: Batch) -> dict[str, int]:
        from playback.batches.progress import progress_of

        runs = self.batch_runs(batch)
        by_status = Counter(run.status for run in runs)
        done, total = progress_of(batch, runs)
        return {
            "flows": len(batch.flow_ids),
            "runs": len(runs),
            "finished": done,
            "total": total,
            "flaky": sum(1 for run in runs if run.status == "success" and run.flaky_steps),
            "unplayable": len(batch.unplayable),
            **{status.value: by_status.get(status, 0) for status in RunStatus},
        }

    @extend_schema_field(VerifySerializer(allow_null=True))
    def get_verify(self, batch: Batch) -> dict[str, int] | None:
        return verify.tally(batch, self.batch_runs(batch))

    @extend_schema_field(RunSummarySerializer(many=True))
    def get_runs(self, batch: Batch) -> list[dict[str, Any]]:
        return RunSummarySerializer(self.batch_runs(batch), many=True, context=self.context).data

    def get_events_url(self, batch: Batch) -> str:
        return links.events_url(self.context.get("request"), "batch", batch.pk)

    def get_verdict(self, batch: Batch) -> str | None:
        return batch.verdict or None

    def get_junit_url(self, batch: Batch) -> str:
        url = reverse("playback:batch-junit", kwargs={"pk": batch.pk})
        request = self.context.get("request")
        return request.build_absolute_uri(url) if request else url
