"""Our middlewares' one shape: plain work before and after the view (no I/O), run in
the sync chain (WSGI) and in the async one (ASGI) alike.

A middleware Django sees as sync-only makes an ASGI server run it, and every view
after it, on a thread held for the whole request: a request that waits would hold
that thread while it waits. These are `async_capable`, so nothing is adapted.
"""

from __future__ import annotations

from typing import Any

from asgiref.sync import iscoroutinefunction, markcoroutinefunction
from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, JsonResponse
from django.urls import Resolver404, resolve


class PlainMiddleware:
    """Override `before` (an early answer, or None), `after` (the answer) and
    `cleanup` (after the view, whatever happened)."""

    sync_capable = True
    async_capable = True

    def __init__(self, get_response: Any):
        self.get_response = get_response
        self.is_async = iscoroutinefunction(get_response)
        if self.is_async:
            markcoroutinefunction(self)

    def __call__(self, request: HttpRequest) -> Any:
        if self.is_async:
            return self.acall(request)
        early = self.before(request)
        if early is not None:
            return early
        try:
            response = self.get_response(request)
        finally:
            self.cleanup(request)
        return self.after(request, response)

    async def acall(self, request: HttpRequest) -> HttpResponse:
        early = self.before(request)
        if early is not None:
            return early
        try:
            response = await self.get_response(request)
        finally:
            self.cleanup(request)
        return self.after(request, response)

    def before(self, request: HttpRequest) -> HttpResponse | None:
        return None

    def after(self, request: HttpRequest, response: HttpResponse) -> HttpResponse:
        return response

    def cleanup(self, request: HttpRequest) -> None:
        return None


class ApiTrailingSlash(PlainMiddleware):
    """An API route answers without its trailing slash too: the request is served as
    the slashed route (no redirect, which a POST cannot follow); URLs the API writes
    keep their one canonical spelling."""

    def before(self, request: HttpRequest) -> None:
        path = request.path_info
        if path.startswith("/api/") and not path.endswith("/"):
            urlconf = getattr(request, "urlconf", None)
            if not _resolves(path, urlconf) and _resolves(path + "/", urlconf):
                request.path_info = path + "/"
                request.path = request.path + "/"


def _resolves(path: str, urlconf: Any) -> bool:
    try:
        match = resolve(path, urlconf)
    except Resolver404:
        return False
    return match.url_name != "api-not-found"


# Views that read at most their own limit of a body and say what is wrong with a
# larger one (a Maestro file over 1 MB is a 400 that says so).
OWN_BODY_LIMITS = frozenset({"/api/flows/import/maestro/"})


class RequestLimits(PlainMiddleware):
    """A NUL in a URL is refused with 400 (no route or filter can use one, and
    PostgreSQL refuses to compare with it); API request bodies larger than
    PLAYBACK_MAX_BODY_BYTES are refused with 413."""

    def before(self, request: HttpRequest) -> HttpResponse | None:
        if "\x00" in request.path or "%00" in request.META.get("QUERY_STRING", ""):
            message = "A URL must not contain NUL characters (%00)."
            if request.path.startswith("/api/"):
                return JsonResponse({"detail": message}, status=400)
            return HttpResponseBadRequest(message)
        if request.path.startswith("/api/") and request.path not in OWN_BODY_LIMITS:
            limit = settings.PLAYBACK_MAX_BODY_BYTES
            try:
                length = int(request.META.get("CONTENT_LENGTH") or 0)
            except ValueError:
                return JsonResponse({"detail": "Content-Length must be a number."}, status=400)
            if length > limit:
                return JsonResponse(
                    {"detail": f"The request body is {length} bytes; the limit is {limit}."},
                    status=413,
                )
        return None
