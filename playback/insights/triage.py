"""What people decided a failure group is: its label (a defect type, as ReportPortal
has them), a comment and the issue that tracks it; and the label a new group takes
from a labelled one whose signature is close (auto-analysis).

Similarity is rapidfuzz's `fuzz.ratio` / 100 (the normalized Indel similarity) of the
two signatures; a new group is compared with the groups a person labelled only (read
through their partial index), so the cost follows how many people labelled, not how
many groups there are.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum
from typing import Any
from urllib.parse import urlsplit

from django.db import transaction
from django.utils import timezone
from rapidfuzz import fuzz, process

from playback.insights.models import FailureGroup
from playback.webhooks import delivery
from playback.words import WebhookEvent

CREATED = WebhookEvent.FAILURE_GROUP_CREATED.value


class TriageLabel(StrEnum):
    TO_INVESTIGATE = "to_investigate"  # nobody has looked yet (the default)
    PRODUCT_BUG = "product_bug"
    AUTOMATION_BUG = "automation_bug"  # the flow is wrong: a locator, a wait
    SYSTEM_ISSUE = "system_issue"  # the device, Appium, the network
    NO_DEFECT = "no_defect"


class LabelSource(StrEnum):
    MANUAL = "manual"  # a person set it: it always wins
    SIMILAR = "similar"  # taken from a labelled group with a close signature


LABEL_NAMES = {
    TriageLabel.TO_INVESTIGATE: "To investigate",
    TriageLabel.PRODUCT_BUG: "Product bug",
    TriageLabel.AUTOMATION_BUG: "Automation bug",
    TriageLabel.SYSTEM_ISSUE: "System issue",
    TriageLabel.NO_DEFECT: "No defect",
}
SIMILARITY = 0.8
MAX_COMMENT = 10_000


def issue_url_problem(url: str) -> str:
    """Why an issue link cannot be kept ("" when it can): http or https, a host."""
    if not url:
        return ""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return "Must be an http:// or https:// link (to the issue that tracks it)."
    if len(url) > 500:
        return "Must be at most 500 characters."
    return ""


def label_groups(groups: Iterable[FailureGroup], user: Any, **changes: Any) -> list[FailureGroup]:
    """Set a person's triage (any of label, comment, issue_url) on the groups."""
    now = timezone.now()
    done = []
    for group in groups:
        for name, value in changes.items():
            setattr(group, name, value)
        group.label_source = LabelSource.MANUAL
        group.similar_to = ""
        group.labelled_by = user if getattr(user, "pk", None) else None
        group.labelled_at = now
        done.append(group)
    FailureGroup.objects.bulk_update(
        done,
        [
            "label",
            "comment",
            "issue_url",
            "label_source",
            "similar_to",
            "labelled_by",
            "labelled_at",
        ],
    )
    return done


def follow_similar(new: list[FailureGroup]) -> None:
    """New groups take the label of the closest group a person labelled, when their
    signatures are at least SIMILARITY alike; each is announced (failure_group.created,
    once the run's end commits)."""
    if not new:
        return
    for group in new:
        pk = group.pk
        transaction.on_commit(lambda pk=pk: delivery.announce("failure_group", pk, [CREATED]))
    labelled = list(
        FailureGroup.objects.filter(label_source=LabelSource.MANUAL)
        .exclude(key__in=[g.key for g in new])
        .values_list("key", "signature", "label")
    )
    if not labelled:
        return
    signatures = [signature for _, signature, _ in labelled]
    changed = []
    for group in new:
        best = process.extractOne(
            group.signature, signatures, scorer=fuzz.ratio, score_cutoff=SIMILARITY * 100
        )
        if best is None:
            continue
        key, _, label = labelled[best[2]]
        group.label, group.label_source, group.similar_to = label, LabelSource.SIMILAR, key
        group.labelled_at = timezone.now()
        changed.append(group)
    if changed:
        FailureGroup.objects.bulk_update(
            changed, ["label", "label_source", "similar_to", "labelled_at"]
        )
