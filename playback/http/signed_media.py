"""A run's media reached by a signed link (`?sig=`, playback/live/links.py): what lets
a page show a screenshot with `<img src>` (which sends no token). The link is for
that run's media only, for the user and credential that read the run, and for
PLAYBACK_MEDIA_LINK_MAX_AGE_S; an expired, tampered or foreign one is a 401."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework.authentication import BaseAuthentication
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.settings import api_settings

from playback.live import links

REFUSED = "This media link is invalid or has expired: read the run again for a fresh one."


class SignedMediaLink(BaseAuthentication):
    def authenticate(self, request: Any) -> tuple[Any, None] | None:
        value = request.query_params.get(links.PARAMETER)
        if value is None:
            return None  # the token or the session, as for any API GET
        run_id = (request.parser_context or {}).get("kwargs", {}).get("run_id")
        if not str(run_id).isdigit():
            raise AuthenticationFailed(REFUSED)
        run_id = int(run_id)  # a regex route's kwargs are text
        max_age = settings.PLAYBACK_MEDIA_LINK_MAX_AGE_S
        signed = links.signed_for(value, links.MEDIA, run_id, max_age=max_age)
        if signed is None or not links.still_valid(signed, request._request):
            raise AuthenticationFailed(REFUSED)
        user = get_user_model().objects.filter(pk=signed.user_id, is_active=True).first()
        if user is None:
            raise AuthenticationFailed(REFUSED)
        return user, None


class SignedMediaLinkScheme(OpenApiAuthenticationExtension):
    """The schema's word for it: the `sig` the run resource's media URLs carry."""

    target_class = SignedMediaLink
    name = "signedMediaLink"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {
            "type": "apiKey",
            "in": "query",
            "name": links.PARAMETER,
            "description": "The signature in a run resource's media URL (for <img src>).",
        }


# What a media view authenticates with: the API's usual ways (their 401 says "Token"),
# else a signed link.
MEDIA_AUTHENTICATION = [*api_settings.DEFAULT_AUTHENTICATION_CLASSES, SignedMediaLink]
