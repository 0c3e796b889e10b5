"""Quarantine: a flaky step (by its step key) or a whole flow whose failures do not
fail runs while someone fixes it. A quarantined step still plays and keeps its true
status; when it fails the run goes on as with `continue`, and the run's `verdict`
ignores it (SPEC "Wave 3"). A quarantine applies until it expires (by itself: its
time is checked when a run starts) or is lifted: by a person, or by a verify of the
flow with no fail and no flaky run (playback/verify.py).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone

from flows.models import Flow
from playback.field_errors import FieldErrors
from playback.insights import rates
from playback.insights.identity import step_key
from playback.insights.models import Quarantine
from playback.webhooks import delivery
from playback.words import WebhookEvent

CANDIDATE_FLAKE_RATE = 0.2
CANDIDATE_MIN_RUNS = 10
MAX_REASON = 2000


class QuarantineError(FieldErrors):
    """A quarantine that cannot be made: `errors` maps a field to what to fix."""


def applying(now: datetime | None = None) -> QuerySet[Quarantine]:
    """The quarantines in force: not lifted, not expired."""
    now = now or timezone.now()
    return Quarantine.objects.filter(lifted_at__isnull=True).filter(
        Q(expires_at__isnull=True) | Q(expires_at__gt=now)
    )


def quarantined_keys(flow_id: int) -> tuple[bool, frozenset[str]]:
    """(the whole flow is quarantined, the quarantined step keys) as a run starts."""
    keys = list(applying().filter(flow_id=flow_id).values_list("step_key", flat=True))
    return "" in keys, frozenset(k for k in keys if k)


def known_steps(flow: Flow) -> dict[str, str]:
    """The flow's step keys (its steps now, and those its history still shows), each
    with what the step does."""
    known = {}
    window = rates.window_of(flow.pk)
    for key, step in window.steps.items() if window else []:
        known[key] = step.get("summary") or ""
    for step in flow.steps.all():
        known[step_key(step.definition().as_json())] = step.summary()
    return known


def quarantine(
    *,
    flow_id: Any,
    step_key: Any = "",
    reason: Any,
    expires_at: datetime | None = None,
    by: Any = None,
) -> Quarantine:
    """Quarantine a step of a flow (or the whole flow, without `step_key`)."""
    flow, summary = checked(flow_id, step_key, reason, expires_at)
    return Quarantine.objects.create(
        flow=flow,
        step_key=step_key or "",
        step_summary=summary[:300],
        reason=reason.strip(),
        expires_at=expires_at,
        created_by=by if getattr(by, "pk", None) else None,
    )


def checked(
    flow_id: Any, step_key: Any, reason: Any, expires_at: datetime | None
) -> tuple[Flow, str]:
    """The flow and what the step does, or QuarantineError naming each problem."""
    errors: dict[str, str] = {}
    flow = Flow.objects.filter(pk=flow_id).first() if isinstance(flow_id, int) else None
    if flow is None:
        errors["flow_id"] = f"No flow {flow_id!r}."
    if not isinstance(reason, str) or not reason.strip() or len(reason) > MAX_REASON:
        errors["reason"] = f"Required: why it is quarantined (1 to {MAX_REASON} characters)."
    if expires_at is not None and expires_at <= timezone.now():
        errors["expires_at"] = "Must be in the future (or left out: until lifted)."
    summary = ""
    if flow is not None and step_key:
        steps = known_steps(flow)
        if step_key not in steps:
            errors["step_key"] = (
                f"Flow {flow.pk} has no step {step_key!r} (its steps' keys: "
                + (", ".join(sorted(steps)[:20]) or "none")
                + ")."
            )
        summary = steps.get(step_key, "")
    if errors:
        raise QuarantineError(errors)
    return flow, summary


def lift(item: Quarantine, *, by: Any = None, batch: Any = None) -> None:
    """End a quarantine now (by a person, or by the verify batch that proved the fix)."""
    item.lifted_at = timezone.now()
    item.lifted_by = by if getattr(by, "pk", None) else None
    item.lifted_by_batch = batch
    item.save(update_fields=["lifted_at", "lifted_by", "lifted_by_batch"])


def announce_expired(now: datetime | None = None) -> list[int]:
    """The sweeper's part: quarantines whose time passed since the last sweep are
    announced (quarantine.expired), each once."""
    now = now or timezone.now()
    due = list(
        Quarantine.objects.filter(
            lifted_at__isnull=True, expires_at__lte=now, expiry_announced=False
        ).values_list("pk", flat=True)
    )
    announced = []
    for pk in due:  # conditional: two sweepers at once announce it once
        if Quarantine.objects.filter(pk=pk, expiry_announced=False).update(expiry_announced=True):
            delivery.announce("quarantine", pk, [WebhookEvent.QUARANTINE_EXPIRED.value])
            announced.append(pk)
    return announced


def status_of(item: Quarantine, now: datetime | None = None) -> str:
    """active, expired or lifted."""
    now = now or timezone.now()
    if item.lifted_at is not None:
        return "lifted"
    if item.expires_at is not None and item.expires_at <= now:
        return "expired"
    return "active"


def candidates(steps: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Of the flaky steps list, those worth a quarantine: flake rate ≥ 0.2 over ≥ 10
    runs, not quarantined already."""
    found = [
        s
        for s in steps
        if s["flake_rate"] >= CANDIDATE_FLAKE_RATE and s["executed"] >= CANDIDATE_MIN_RUNS
    ]
    if not found:
        return []
    taken = set(
        applying()
        .filter(flow_id__in={s["flow_id"] for s in found})
        .values_list("flow_id", "step_key")
    )
    return [
        s
        for s in found
        if (s["flow_id"], s["step_key"]) not in taken and (s["flow_id"], "") not in taken
    ]
