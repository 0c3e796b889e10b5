"""Use cases around runs: start (once per Idempotency-Key), re-run, cancel, wait,
and why a queued run waits. Every change of a run's state is a transition of
`playback.runs.lifecycle`."""

from __future__ import annotations

import dataclasses
import logging
import time
from enum import StrEnum
from typing import Any

from django.conf import settings as django_settings
from django.db import IntegrityError, transaction
from django.db.models import Q

from flows.models import Flow
from playback.devices import reachability
from playback.field_errors import FieldErrors
from playback.models import Device, IdempotencyKey, Run
from playback.runs import lifecycle
from playback.words import (
    SETTINGS,
    RunSettings,
    RunStatus,
    Setting,
    SettingsError,
    parse_settings,
)

log = logging.getLogger("playback.services")


class RunRequestError(FieldErrors):
    """A run that cannot be started; `errors` maps a field to what to fix
    (`settings` maps each bad setting, by field name, to what is allowed)."""


class RunConflict(Exception):
    """The run is in a state that does not allow this (e.g. cancelling a finished run)."""


class DeviceUnreachable(Exception):
    """The device's Appium does not answer: the run is not queued (unless asked to).
    `problem` says why, in words; the message adds how to queue it anyway (API)."""

    def __init__(self, problem: str):
        self.problem = problem
        super().__init__(f"{problem} Start it, or send queue_if_unreachable: true.")


class IdempotencyConflict(Exception):
    """The Idempotency-Key was used before for another request."""


def effective_settings(settings: RunSettings | None) -> RunSettings:
    """The settings a run plays with: checked against this server's limits, each one
    not given filled in with the server's default (its `server_default`). Raises
    `SettingsError`."""
    limit = django_settings.PLAYBACK_MAX_RUN_TIMEOUT_S
    checked = parse_settings((settings or RunSettings()).stored(), max_run_timeout_s=limit)
    defaults = {
        setting.name: server_default(setting)
        for setting in SETTINGS
        if setting.server_default and getattr(checked, setting.name) is None
    }
    if "run_timeout_s" in defaults:
        defaults["run_timeout_s"] = min(defaults["run_timeout_s"], limit)
    return dataclasses.replace(checked, **defaults)


def server_default(setting: Setting) -> Any:
    """What a run plays with when it does not give `setting`: the setting's default,
    or this server's (its `server_default`, config/settings.py)."""
    if not setting.server_default:
        return setting.default
    value = getattr(django_settings, setting.server_default)
    return setting.kind(value) if issubclass(setting.kind, StrEnum) else value


def start_run(
    *,
    flow: Flow,
    device: Device,
    settings: RunSettings | None = None,
    requested_by: Any = None,
    requested_from: str = "",
    rerun_of: Run | None = None,
    foreground: bool = False,
    if_unreachable: str = "queue",
) -> Run:
    """Check a run request and queue the run; every problem is reported at once.
    `requested_from` names who asked when there is no user (the command line).

    With `if_unreachable="refuse"` (the API's, the CLI's and the admin's default) a
    device whose Appium does not answer a probe is refused with `DeviceUnreachable`
    at once; with "queue" the run waits in its queue (and ends `error` if the device
    still does not answer when it starts).

    Once the transaction commits, the device's queue is dispatched: if the device
    is free and this is its oldest queued run, a worker task is enqueued for it.
    A `foreground` run is played by the caller instead (`play_in_foreground`).
    """
    errors: dict[str, Any] = {}
    try:
        effective = effective_settings(settings)
    except SettingsError as exc:
        errors["settings"] = exc.errors
    errors.update(run_request_problems(flow=flow, device=device))
    if errors:
        raise RunRequestError(errors)
    if if_unreachable == "refuse" and (problem := reachability.unreachable(device)):
        raise DeviceUnreachable(problem)
    return lifecycle.queue_run(
        flow=flow,
        device=device,
        settings=effective,
        total_steps=flow.steps.count(),
        requested_by=requested_by,
        requested_from=requested_from,
        rerun_of=rerun_of,
        foreground=foreground,
    )


def run_request_problems(*, flow: Flow, device: Device) -> dict[str, str]:
    """Why this flow cannot be played on this device ({field: what to fix}), if it cannot."""
    problems: dict[str, str] = {}
    if not device.enabled:
        problems["device_id"] = f"Device {device.device_id} is disabled; enable it or pick another."
    elif device.platform != flow.platform:
        problems["device_id"] = (
            f"Device {device.device_id} is a {device.platform} device but flow "
            f"{flow.pk} ({flow.name}) is recorded for {flow.platform}."
        )
    if not flow.steps.exists():
        problems["flow_id"] = f"Flow {flow.pk} ({flow.name}) has no steps to play."
    return problems


def start_run_once(
    *, key: str, fingerprint: str, requested_by: Any, **start: Any
) -> tuple[Run, bool]:
    """`start_run` at most once per (user, Idempotency-Key).

    Returns (run, created). The same key with the same request (`fingerprint`)
    gives back the run it created; with another request it is a conflict. Two
    concurrent requests with one key create one run: the unique (user, key) row is
    written in the run's transaction, and the loser reads the winner's.
    """

    def existing() -> tuple[Run, bool]:
        seen = IdempotencyKey.objects.select_related("run").get(user=requested_by, key=key)
        if seen.request_hash != fingerprint:
            raise IdempotencyConflict(
                f"Idempotency-Key {key!r} was already used for another request "
                f"(run {seen.run_id}); use a new key for a new request."
            )
        return seen.run, False

    if IdempotencyKey.objects.filter(user=requested_by, key=key).exists():
        return existing()
    try:
        with transaction.atomic():
            run = start_run(requested_by=requested_by, **start)
            IdempotencyKey.objects.create(
                user=requested_by, key=key, request_hash=fingerprint, run=run
            )
    except IntegrityError:
        return existing()
    return run, True


def rerun(
    *, run: Run, requested_by: Any = None, if_unreachable: str = "queue", **overrides: Any
) -> Run:
    """Start the same flow on the same device with the same settings, but for the
    settings given (by field name) in `overrides`."""
    return start_run(
        flow=run.flow,
        device=run.device,
        settings=dataclasses.replace(run.settings, **overrides),
        requested_by=requested_by,
        rerun_of=run,
        if_unreachable=if_unreachable,
    )


def cancel_run(*, run: Run, requested_by: Any = None) -> Run:
    """Cancel a run: a queued one at once, a running one before its next step or
    attempt (the step in flight finishes; `cancel_requested` says it is coming)."""
    if not lifecycle.cancel_queued(run, by=requested_by) and not lifecycle.request_cancel(
        run, by=requested_by
    ):
        run.refresh_from_db()
        raise RunConflict(f"Run {run.pk} has already ended ({run.status}); nothing to cancel.")
    run.refresh_from_db()
    return run


def why_waiting(run: Run) -> str | None:
    """Why a queued run has not started yet, in words (None once it has)."""
    if run.status != RunStatus.QUEUED:
        return None
    device = run.device
    ahead = (
        Run.objects.filter(device_id=run.device_id, status=RunStatus.QUEUED)
        .filter(Q(queued_at__lt=run.queued_at) | Q(queued_at=run.queued_at, pk__lt=run.pk))
        .exclude(pk=device.current_run_id or 0)  # the one playing is not ahead: it plays
        .count()
    )
    queue = f"; {ahead} run{'s' if ahead != 1 else ''} ahead of it" if ahead else ""
    if device.current_run_id == run.pk:
        return f"Device {device.device_id} is its own: waiting for a worker to start it."
    if device.current_run_id is not None:
        holder = Run.objects.filter(pk=device.current_run_id).values_list("status", flat=True)
        if holder.first() == RunStatus.RUNNING:
            return f"Device {device.device_id} is playing run #{device.current_run_id}{queue}."
        return (
            f"Device {device.device_id} is given to run #{device.current_run_id}, which waits "
            f"for a worker to start it{queue}."
        )
    if not device.enabled:
        return f"Device {device.device_id} is disabled{queue}."
    return f"Waiting for device {device.device_id} to be handed to it{queue}."


def wait_for_run(*, run_id: int, timeout_s: float, poll_s: float = 0.1) -> Run:
    """The run once it has ended, or as it stands when `timeout_s` runs out."""
    deadline = time.monotonic() + timeout_s
    while True:
        run = Run.objects.get(pk=run_id)
        if not run.is_active or time.monotonic() >= deadline:
            return run
        time.sleep(poll_s)
