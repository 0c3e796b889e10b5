"""The insights' lists, for the API and the admin alike: the flakiest steps over
every flow, and the failure groups."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.utils import timezone

from flows.models import Flow
from playback.insights import categories, rates, triage
from playback.insights.models import FailureGroup, FlowWindow
from playback.models import Device

NEW_FOR = timedelta(hours=24)  # a failure group is new when first seen this recently
TOP = 50


def flaky_steps(data: dict[str, Any]) -> list[dict[str, Any]]:
    """The TOP flakiest steps over the flows' windows (`data`: window, platform, flow):
    ranked from letter counts, full statistics worked out for the top only."""
    scope = f"platform:{data['platform']}" if data.get("platform") else ""
    windows = FlowWindow.objects.filter(scope=scope).select_related("flow")
    if data.get("flow"):
        windows = windows.filter(flow_id=data["flow"])
    n = data["window"]
    ranked = []
    for window in windows:
        count = len(window.runs[-n:])
        for key, step in window.steps.items():
            tally = rates.tally(step["s"], count)
            if tally.flaky:
                ranked.append(
                    (
                        -tally.flake_rate,
                        -tally.flaky,
                        window.flow.name,
                        step.get("summary", ""),
                        window,
                        key,
                        count,
                    )
                )
    ranked.sort(key=lambda r: r[:4])
    found = []
    for _, _, name, _, window, key, count in ranked[:TOP]:
        stats = rates.step_stats(key, window.steps[key], count)
        found.append({"flow_id": window.flow_id, "flow_name": name, **rates.asdict(stats)})
    return found


def failure_groups(
    *, since: Any = None, label: str = "", keys: list[str] | None = None, limit: int = 200
) -> list[dict[str, Any]]:
    """The failure groups last seen since `since` (with `label`; or those of `keys`),
    latest first, with their flows' and devices' names, triage and category."""
    groups = FailureGroup.objects.select_related("labelled_by").order_by("-last_seen")
    if since is not None:
        groups = groups.filter(last_seen__gte=since)
    if label:
        groups = groups.filter(label=label)
    if keys is not None:
        groups = groups.filter(key__in=keys)
    groups = list(groups[:limit])
    flows = dict(
        Flow.objects.filter(pk__in={f for g in groups for f in g.flows}).values_list("pk", "name")
    )
    devices = dict(
        Device.objects.filter(pk__in={d for g in groups for d in g.devices}).values_list(
            "pk", "device_id"
        )
    )
    rules = categories.load() if groups else []
    new_since = timezone.now() - NEW_FOR
    return [
        {
            "key": g.key,
            "signature": g.signature,
            "count": g.count,
            "first_seen": g.first_seen,
            "last_seen": g.last_seen,
            "new": g.first_seen >= new_since,
            "flows": [{"id": f, "name": flows.get(f, "")} for f in g.flows],
            "devices": [{"id": d, "device_id": devices.get(d, "")} for d in g.devices],
            "example_runs": g.example_runs,
            **triage_of(g),
            **category_of(rules, g.signature),
        }
        for g in groups
    ]


def category_of(rules: list[categories.Rule], signature: str) -> dict[str, Any]:
    """A group's status as Allure names it, and its category (None when none matches)."""
    status = categories.allure_status(signature)
    return {"status": status, "category": categories.category_of(rules, signature, status) or None}


def flow_failure_groups(flow_id: int, *, runs: int = 50) -> list[dict[str, Any]]:
    """The failure groups of a flow's last `runs` runs (its page shows their labels)."""
    from playback.models import Run, StepResult

    recent = Run.objects.filter(flow_id=flow_id).order_by("-pk").values("pk")[:runs]
    keys = set(
        StepResult.objects.filter(run_id__in=list(recent.values_list("pk", flat=True)))
        .exclude(failure_key="")
        .values_list("failure_key", flat=True)
    )
    return failure_groups(keys=sorted(keys), limit=20) if keys else []


def triage_of(group: FailureGroup) -> dict[str, Any]:
    """A group's triage as the API and the admin show it."""
    return {
        "label": group.label,
        "label_name": triage.LABEL_NAMES.get(group.label, group.label),
        "label_source": group.label_source or None,
        "similar_to": group.similar_to or None,
        "comment": group.comment,
        "issue_url": group.issue_url,
        "labelled_by": group.labelled_by.get_username() if group.labelled_by else None,
        "labelled_at": group.labelled_at,
    }
