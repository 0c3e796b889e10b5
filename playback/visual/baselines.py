"""Baselines: adding a version (a candidate, or approved at once by `updateBaselines`)
and approving one (the approved version it replaces is retired), in one place for
the engine's judge, the API and the admin."""

from __future__ import annotations

from typing import Any

from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.text import slugify

from playback.visual.models import Baseline
from playback.words import BaselineStatus


class NotApprovable(Exception):
    """The baseline is not a candidate (approved already, or retired)."""


def image_name(flow_id: int, name: str, profile: str, version: int) -> str:
    return f"baselines/{flow_id}/{slugify(name)[:60] or 'screen'}/{slugify(profile)}-v{version}.png"


def add(
    *,
    flow_id: int,
    name: str,
    profile: str,
    png: bytes,
    size: tuple[int, int],
    approved_by: Any = None,
    approve_now: bool = False,
    **fields: Any,
) -> Baseline:
    """A new version of (flow, name, profile): a candidate, or (`approve_now`) the
    approved one."""
    for _ in range(3):  # two runs adding a version at once: the loser takes the next
        version = (
            Baseline.objects.filter(flow_id=flow_id, name=name, profile=profile).aggregate(
                top=Max("version")
            )["top"]
            or 0
        ) + 1
        baseline = Baseline(
            flow_id=flow_id,
            name=name,
            profile=profile,
            version=version,
            width=size[0],
            height=size[1],
            status=BaselineStatus.CANDIDATE,
            **fields,
        )
        baseline.image.save(
            image_name(flow_id, name, profile, version), ContentFile(png), save=False
        )
        try:
            with transaction.atomic():
                baseline.save()
        except IntegrityError:
            baseline.image.delete(save=False)
            continue
        return approve(baseline, approved_by) if approve_now else baseline
    raise IntegrityError(f"No free version for baseline {name!r} on {profile}")


def approve(baseline: Baseline, user: Any) -> Baseline:
    """`baseline` becomes the approved version of its (flow, name, profile); the one
    approved before is retired. NotApprovable unless it is a candidate."""
    with transaction.atomic():
        current = Baseline.objects.select_for_update().get(pk=baseline.pk)
        if current.status == BaselineStatus.RETIRED:
            raise NotApprovable(f"Baseline {current.pk} is retired: approve a newer screen.")
        if current.status == BaselineStatus.APPROVED:
            raise NotApprovable(f"Baseline {current.pk} is approved already.")
        Baseline.objects.filter(
            flow_id=current.flow_id,
            name=current.name,
            profile=current.profile,
            status=BaselineStatus.APPROVED,
        ).exclude(pk=current.pk).update(status=BaselineStatus.RETIRED)
        current.status = BaselineStatus.APPROVED
        current.approved_by = user if getattr(user, "pk", None) else None
        current.approved_at = timezone.now()
        current.save(update_fields=["status", "approved_by", "approved_at"])
    return current
