"""Signed events URLs: how a browser's EventSource (which cannot send headers)
subscribes without the long-lived API token in a URL.

The run and batch resources carry `events_url`, signed for the user who read them
and for that run or batch only, valid PLAYBACK_EVENTS_LINK_MAX_AGE_S to connect (a
stream once open lasts until its end; a reconnect needs a fresh link or the
session cookie, which works as it does for every API GET).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core import signing
from django.urls import reverse

SALT = "playback.live.events"
PARAMETER = "sig"


def events_url(request: Any, kind: str, pk: int) -> str:
    url = reverse(f"playback:{kind}-events", kwargs={"pk": pk})
    user = getattr(request, "user", None)
    if getattr(user, "pk", None) is not None:
        url += f"?{PARAMETER}=" + signing.dumps([kind, pk, user.pk], salt=SALT, compress=True)
    return request.build_absolute_uri(url) if request is not None else url


def signed_user_id(value: str, kind: str, pk: int) -> int | None:
    """The user a signature was made for, if it is this topic's and still fresh."""
    try:
        signed = signing.loads(value, salt=SALT, max_age=settings.PLAYBACK_EVENTS_LINK_MAX_AGE_S)
    except signing.BadSignature:  # also SignatureExpired
        return None
    if not isinstance(signed, list) or signed[:2] != [kind, pk] or len(signed) != 3:
        return None
    return signed[2] if isinstance(signed[2], int) else None
