"""What the history says, over the API: a flow's rates, the flakiest steps, the
failure groups (playback/insights: read from the rollups, never the whole history)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from flows.definitions import PLATFORMS
from flows.models import Flow
from playback.api.filters import UTCDateTimeField
from playback.http.ids import MAX_ID
from playback.insights import rates, triage
from playback.insights.lists import failure_groups, flaky_steps
from playback.models import Device, Run


class ScopeForm(forms.Form):
    window = forms.IntegerField(
        required=False, min_value=rates.MIN_WINDOW, max_value=rates.MAX_WINDOW
    )
    platform = forms.ChoiceField(required=False, choices=[(p, p) for p in PLATFORMS])
    device = forms.CharField(required=False, max_length=200)
    flow = forms.IntegerField(required=False, min_value=1, max_value=MAX_ID)
    since = UTCDateTimeField(required=False)
    label = forms.ChoiceField(
        required=False, choices=[(label.value, label.value) for label in triage.TriageLabel]
    )


def checked(request: Request, *allowed: str) -> dict[str, Any]:
    """The query's parameters, checked (400 with what to fix)."""
    unknown = sorted(set(request.query_params) - set(allowed))
    if unknown:
        raise ValidationError(
            {name: [f"Unknown parameter; allowed: {', '.join(allowed)}."] for name in unknown}
        )
    form = ScopeForm(request.query_params)
    if not form.is_valid():
        raise ValidationError(form.errors)
    data = {k: v for k, v in form.cleaned_data.items() if k in allowed}
    if data.get("platform") and data.get("device"):
        raise ValidationError({"device": ["Give a platform or a device, not both."]})
    data["window"] = data.get("window") or rates.DEFAULT_WINDOW
    return data


def scope_of(data: dict[str, Any]) -> str:
    if data.get("device"):
        device = Device.objects.filter(device_id=data["device"]).first()
        if device is None:
            raise ValidationError({"device": [f"No device {data['device']!r}."]})
        return f"device:{device.pk}"
    return f"platform:{data['platform']}" if data.get("platform") else ""


class LastFailureSerializer(serializers.Serializer):
    run_id = serializers.IntegerField()
    finished_at = serializers.DateTimeField(allow_null=True)
    error = serializers.CharField()


class StepStatsSerializer(serializers.Serializer):
    step_key = serializers.CharField()
    summary = serializers.CharField()
    executed = serializers.IntegerField(help_text="pass + flaky + fail in the window")
    passed = serializers.IntegerField()
    flaky = serializers.IntegerField()
    failed = serializers.IntegerField()
    flake_rate = serializers.FloatField(help_text="flaky / executed")
    fail_rate = serializers.FloatField(help_text="fail / executed")
    usual_passing_attempt = serializers.IntegerField(allow_null=True)
    attempts = serializers.ListField(
        child=serializers.IntegerField(allow_null=True),
        help_text="Its attempts in each run of the window, oldest first (null: not executed).",
    )
    statuses = serializers.ListField(
        child=serializers.CharField(allow_null=True),
        help_text="pass / flaky / fail per run of the window, oldest first (null: not run).",
    )
    last_failure = LastFailureSerializer(allow_null=True)


class FlowStatsSerializer(serializers.Serializer):
    flow_id = serializers.IntegerField()
    flow_name = serializers.CharField()
    scope = serializers.CharField(help_text='"" (every device), "platform:…" or "device:<pk>"')
    window = serializers.IntegerField(help_text="The last N finished runs asked for.")
    runs = serializers.IntegerField(help_text="success + failed + partial_success in it")
    success = serializers.IntegerField()
    failed = serializers.IntegerField()
    partial_success = serializers.IntegerField()
    error = serializers.IntegerField(help_text="Counted apart, over the same period.")
    cancelled = serializers.IntegerField(help_text="Counted apart, over the same period.")
    pass_rate = serializers.FloatField(allow_null=True, help_text="success / runs")
    flip_rate = serializers.FloatField(
        allow_null=True, help_text="changes success <-> not success / (runs - 1)"
    )
    health = serializers.ChoiceField(["passing", "flaky", "failing", "no runs"])
    results = serializers.ListField(child=serializers.CharField(), help_text="oldest first")
    run_ids = serializers.ListField(child=serializers.IntegerField())
    steps = StepStatsSerializer(many=True)


class FlakyStepSerializer(StepStatsSerializer):
    flow_id = serializers.IntegerField()
    flow_name = serializers.CharField()


class FailureGroupSerializer(serializers.Serializer):
    key = serializers.CharField(help_text="Filter runs by it: ?failure_group=<key>")
    signature = serializers.CharField()
    count = serializers.IntegerField(help_text="Failed and flaky steps in the group")
    first_seen = serializers.DateTimeField()
    last_seen = serializers.DateTimeField()
    new = serializers.BooleanField(help_text="First seen in the last 24 h")
    flows = serializers.ListField(child=serializers.DictField())
    devices = serializers.ListField(child=serializers.DictField())
    example_runs = serializers.ListField(child=serializers.IntegerField())
    label = serializers.ChoiceField(
        choices=[label.value for label in triage.TriageLabel],
        help_text="What people decided it is (to_investigate until someone says)",
    )
    label_name = serializers.CharField()
    label_source = serializers.ChoiceField(
        choices=[source.value for source in triage.LabelSource],
        allow_null=True,
        help_text="manual: a person set it; similar: taken from `similar_to`; null: default",
    )
    similar_to = serializers.CharField(
        allow_null=True, help_text="The labelled group whose label this one took"
    )
    comment = serializers.CharField(allow_blank=True)
    issue_url = serializers.CharField(allow_blank=True)
    labelled_by = serializers.CharField(allow_null=True)
    labelled_at = serializers.DateTimeField(allow_null=True)
    status = serializers.ChoiceField(
        choices=["failed", "broken"],
        help_text="As Allure names it: failed (an assertion), broken (anything else)",
    )
    category = serializers.CharField(
        allow_null=True, help_text="The first of /api/insights/categories/ that matches"
    )


WINDOW = OpenApiParameter("window", int, description="The last N finished runs (10-200, 30).")
PLATFORM = OpenApiParameter("platform", str, enum=list(PLATFORMS))


class FlowStatsView(APIView):
    queryset = Run.objects.none()  # its permission: playback.view_run

    @extend_schema(
        summary="A flow's rates over its last N finished runs",
        description=(
            "Pass rate, flip rate and health of the flow over its last N finished runs "
            "(success, failed, partial_success; error and cancelled counted apart), on "
            "every device, one platform or one device; and each step's flake and fail "
            "rates, usual passing attempt, attempts per run and last failure. Read from "
            "the rollups kept as runs end."
        ),
        parameters=[WINDOW, PLATFORM, OpenApiParameter("device", str, description="A device id.")],
        responses={200: FlowStatsSerializer},
    )
    def get(self, request: Request, id: int) -> Response:
        flow = get_object_or_404(Flow, pk=id)
        data = checked(request, "window", "platform", "device")
        scope = scope_of(data)
        stats = rates.flow_stats(rates.window_of(flow.pk, scope), data["window"])
        return Response(
            {"flow_id": flow.pk, "flow_name": flow.name, "scope": scope, **stats.as_json()}
        )


class FlakyStepsView(APIView):
    queryset = Run.objects.none()

    @extend_schema(
        summary="The flakiest steps (by flake rate, then runs affected), top 50",
        description=(
            "Steps that passed only on a retry in the last N finished runs of their flow, "
            "over every flow (or one), on every platform or one; flake rate = flaky / "
            "executed."
        ),
        parameters=[WINDOW, PLATFORM, OpenApiParameter("flow", int)],
        responses={200: FlakyStepSerializer(many=True)},
    )
    def get(self, request: Request) -> Response:
        data = checked(request, "window", "platform", "flow")
        return Response(flaky_steps(data))


class FailureGroupsView(APIView):
    queryset = Run.objects.none()

    @extend_schema(
        summary="Failed and flaky steps grouped by failure signature, latest first",
        description=(
            "Each group: its signature (the error with digits outside quotes as N), how "
            "many steps, first and last seen, new (first seen in the last 24 h), flows, "
            "devices and example runs. Runs of a group: GET /api/playback/runs/"
            "?failure_group=<key>."
        ),
        parameters=[
            OpenApiParameter("since", str, description="ISO 8601: last seen since."),
            OpenApiParameter("label", str, enum=[label.value for label in triage.TriageLabel]),
        ],
        responses={200: FailureGroupSerializer(many=True)},
    )
    def get(self, request: Request) -> Response:
        data = checked(request, "since", "label")
        return Response(failure_groups(since=data.get("since"), label=data.get("label") or ""))
