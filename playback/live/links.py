"""Signed links: how a browser's EventSource, `<img src>` or `<video src>` (which
cannot send headers) reach a run's events and media without the long-lived API token
in a URL.

The run and batch resources carry `events_url`, signed for the user who read them,
for that run or batch only, and for the credential they read it with: a token (its
fingerprint, never the token) or a session (the session's). It opens a stream for
PLAYBACK_EVENTS_LINK_MAX_AGE_S, and only while that credential is still valid: a
deleted token or an ended session ends its links too. A stream once open lasts until
its end; a reconnect needs a fresh link or the session cookie, which works as it
does for every API GET. Access logs never show the signature (config/logs.py).

Media URLs in a run resource (step and attempt screenshots, UI sources) carry the
same kind of signature, for that run's media (`MEDIA`), for
PLAYBACK_MEDIA_LINK_MAX_AGE_S (playback/http/signed_media.py checks them). The
signing key is SECRET_KEY: rotating it ends every link.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core import signing
from django.urls import reverse
from django.utils.crypto import constant_time_compare, salted_hmac

SALT = "playback.live.events"
PARAMETER = "sig"
TOKEN, SESSION, USER = "t", "s", "u"  # what a link was made with
MEDIA = "media"  # a run's media, beside the events' "run" and "batch"


def fingerprint(secret: str) -> str:
    """A credential's fingerprint: tells it apart, gives nothing of it away."""
    return salted_hmac(SALT, secret).hexdigest()[:24]


def credential_of(request: Any) -> list[str]:
    """What the request was authenticated with, as a link records it."""
    token = getattr(getattr(request, "auth", None), "key", None)
    if isinstance(token, str):
        return [TOKEN, fingerprint(token)]
    session = getattr(getattr(request, "_request", request), "session", None)
    key = getattr(session, "session_key", None)
    if key:
        return [SESSION, fingerprint(key)]
    return [USER]  # signed in some other way: the user must still be active


def signature(request: Any, kind: str, pk: int) -> str | None:
    """`kind` `pk` signed for the request's user and credential (None: no user)."""
    user = getattr(request, "user", None)
    if getattr(user, "pk", None) is None:
        return None
    signed = [kind, pk, user.pk, *credential_of(request)]
    return signing.dumps(signed, salt=SALT, compress=True)


def events_url(request: Any, kind: str, pk: int) -> str:
    url = reverse(f"playback:{kind}-events", kwargs={"pk": pk})
    signed = signature(request, kind, pk)
    if signed is not None:
        url += f"?{PARAMETER}={signed}"
    return request.build_absolute_uri(url) if request is not None else url


@dataclass(frozen=True)
class Signed:
    user_id: int
    credential: list[str]


def signed_for(value: str, kind: str, pk: int, *, max_age: int | None = None) -> Signed | None:
    """Who a signature was made for and with what, if it is this topic's and fresh
    (younger than `max_age` s: default, an events link's)."""
    if max_age is None:
        max_age = settings.PLAYBACK_EVENTS_LINK_MAX_AGE_S
    try:
        signed = signing.loads(value, salt=SALT, max_age=max_age)
    except signing.BadSignature:  # also SignatureExpired
        return None
    if not isinstance(signed, list) or signed[:2] != [kind, pk] or len(signed) < 4:
        return None
    if not isinstance(signed[2], int):
        return None
    return Signed(signed[2], [str(part) for part in signed[3:]])


def still_valid(signed: Signed, request: Any) -> bool:
    """Whether the credential the link was made with still is: the user's token is
    the same one, or the request carries that same session, still signed in as them."""
    from rest_framework.authtoken.models import Token

    kind, *rest = signed.credential
    if kind == TOKEN and rest:
        keys = Token.objects.filter(user_id=signed.user_id).values_list("key", flat=True)
        return any(constant_time_compare(fingerprint(key), rest[0]) for key in keys)
    if kind == SESSION and rest:
        session = getattr(request, "session", None)
        key = getattr(session, "session_key", None)
        user = getattr(request, "user", None)
        return bool(
            key
            and constant_time_compare(fingerprint(key), rest[0])
            and getattr(user, "pk", None) == signed.user_id
        )
    return kind == USER
