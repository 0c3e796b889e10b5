"""Warm devices: a device's Appium session outlives its run, on its Appium server.

The device's row records the session it keeps (`session`: id, server URL and the key
of its capabilities) and when a run last used it. A run *takes* it as it starts (the
record is cleared: a run whose worker dies never hands on the session it was using),
plays on it when its key still matches and it answers one cheap command, and *keeps*
it as it ends when nothing broke it and the device is still enabled
(playback/drivers/session.py). Whatever process plays the next run attaches to it by
its id.

Sessions idle for PLAYBACK_SESSION_IDLE_S and those of disabled devices are closed
by the sweeper; disabling or deleting a device closes its session at once (unless a
run has it: that run does not keep it). PLAYBACK_SESSION_IDLE_S = 0: one session per
run.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.db.models.signals import post_save, pre_delete
from django.utils import timezone

from playback.drivers.attach import KeptSession, close_kept
from playback.models import Device

log = logging.getLogger("playback.appium")

# Seconds Appium keeps an abandoned session (a killed worker) before closing it, when
# sessions are not kept; a kept one's is the idle time plus NEW_COMMAND_MARGIN_S (the
# sweeper, every minute, closes it first).
NEW_COMMAND_TIMEOUT_S = 120
NEW_COMMAND_MARGIN_S = 90


def idle_s() -> int:
    return max(int(settings.PLAYBACK_SESSION_IDLE_S), 0)


def new_command_timeout_s() -> int:
    """The session's `appium:newCommandTimeout`."""
    return idle_s() + NEW_COMMAND_MARGIN_S if idle_s() else NEW_COMMAND_TIMEOUT_S


class WarmRecord:
    """One device's record of its kept session, as a run uses it."""

    def __init__(self, device_pk: int):
        self.device_pk = device_pk

    def take(self, key: str) -> KeptSession | None:
        """The kept session if it was opened with `key`; the record is cleared either
        way, and a session opened otherwise (the device's capabilities or server
        changed) is closed."""
        with transaction.atomic():
            stored = (
                Device.objects.select_for_update()
                .filter(pk=self.device_pk, session__isnull=False)
                .values_list("session", flat=True)
                .first()
            )
            if stored is None:
                return None
            Device.objects.filter(pk=self.device_pk).update(session=None, session_used_at=None)
        kept = KeptSession.from_stored(stored)
        if kept is not None and kept.key != key:
            close_kept(kept)
            return None
        return kept

    def keep(self, kept: KeptSession) -> bool:
        """Record the session for the next run; False when the device was disabled or
        deleted meanwhile (the caller closes it then)."""
        return bool(
            Device.objects.filter(pk=self.device_pk, enabled=True).update(
                session=kept.stored(), session_used_at=timezone.now()
            )
        )


def warm_record(device: Device) -> WarmRecord | None:
    """The device's record, when sessions are kept (PLAYBACK_SESSION_IDLE_S > 0)."""
    return WarmRecord(device.pk) if idle_s() else None


def _close_unless_taken(device_pk: int, used_at: datetime | None) -> bool:
    """Close the device's kept session if no run has the device and no run used the
    session since `used_at` (a conditional update: a run that takes the device first
    keeps it)."""
    stored = Device.objects.filter(pk=device_pk).values_list("session", flat=True).first()
    kept = KeptSession.from_stored(stored)
    if kept is None:
        return False
    done = Device.objects.filter(
        pk=device_pk, current_run__isnull=True, session_used_at=used_at, session__id=kept.id
    ).update(session=None, session_used_at=None)
    if done:
        close_kept(kept)
        log.info("Closed device %s's warm session %s", device_pk, kept.id)
    return bool(done)


def close_idle(now: datetime) -> list[int]:
    """The sweeper's part: close the sessions idle for PLAYBACK_SESSION_IDLE_S (all of
    them when it is 0) and those of disabled devices; the devices whose it closed."""
    idle_before = now - timedelta(seconds=idle_s())
    due = Device.objects.filter(session__isnull=False, current_run__isnull=True).filter(
        Q(session_used_at__lt=idle_before) | Q(session_used_at__isnull=True) | Q(enabled=False)
    )
    return [
        pk
        for pk, used_at in due.values_list("pk", "session_used_at")
        if _close_unless_taken(pk, used_at)
    ]


def close_of_disabled(device_pks: list[int]) -> None:
    """Close the sessions of these devices that are disabled now (once the current
    transaction commits; a device a run has closes its own as the run ends)."""
    found = list(
        Device.objects.filter(pk__in=device_pks, enabled=False, session__isnull=False).values_list(
            "pk", "session_used_at"
        )
    )
    if found:
        transaction.on_commit(lambda: [_close_unless_taken(pk, used) for pk, used in found])


def _on_device_saved(sender: Any, instance: Device, created: bool, **kwargs: Any) -> None:
    if not created and not instance.enabled:
        close_of_disabled([instance.pk])


def _on_device_deleted(sender: Any, instance: Device, **kwargs: Any) -> None:
    stored = Device.objects.filter(pk=instance.pk).values_list("session", flat=True).first()
    kept = KeptSession.from_stored(stored)
    if kept is not None:
        transaction.on_commit(lambda: close_kept(kept))


def connect_signals() -> None:
    """Disabling or deleting a device closes its session (playback.apps)."""
    post_save.connect(_on_device_saved, sender=Device, dispatch_uid="playback-warm-disable")
    pre_delete.connect(_on_device_deleted, sender=Device, dispatch_uid="playback-warm-delete")
