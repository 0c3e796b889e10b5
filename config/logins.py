"""What a locked-out sign-in answers (django-axes' AXES_LOCKOUT_CALLABLE): 429 with
Retry-After, saying when to try again."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils.html import escape


def locked_out(request: HttpRequest, response: Any, credentials: Any = None) -> HttpResponse:
    seconds = int(settings.AXES_COOLOFF_TIME.total_seconds())
    minutes = max(1, seconds // 60)
    message = (
        f"Too many failed sign-ins for this user or from this address: try again in "
        f"{minutes} minutes, or ask an administrator to unlock it (manage.py axes_reset)."
    )
    answer = HttpResponse(
        f"<!DOCTYPE html><title>Signing in is paused</title><p>{escape(message)}</p>",
        status=429,
    )
    answer["Retry-After"] = str(seconds)
    return answer
