"""What the whole API shares: the error shape and the conversion of service errors."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import ProtectedError
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, JsonResponse
from django.urls import Resolver404, resolve
from django.views import defaults
from rest_framework import status
from rest_framework.exceptions import APIException, ValidationError
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from config.middleware import PlainMiddleware

# The largest id SQLite and PostgreSQL (bigint) can hold; bigger ones are not found.
MAX_ID = 2**63 - 1
ID_PATTERN = r"[0-9]{1,18}"


class IdConverter:
    """A path converter for ids (registered as `id` by config/urls.py)."""

    regex = ID_PATTERN

    def to_python(self, value: str) -> int:
        return int(value)

    def to_url(self, value: int) -> str:
        return str(value)


def field_errors(errors: dict[str, Any]) -> dict[str, Any]:
    """Service errors ({field: message}) in DRF's shape ({field: [message]}), nested too."""
    shaped: dict[str, Any] = {}
    for key, value in errors.items():
        if isinstance(value, dict):
            shaped[key] = field_errors(value)
        elif isinstance(value, list):
            shaped[key] = value
        else:
            shaped[key] = [value]
    return shaped


def validation_error(errors: dict[str, Any]) -> ValidationError:
    return ValidationError(field_errors(errors))


@contextmanager
def unique_or_400(field: str, message: str) -> Iterator[None]:
    """A write that another request beat to a unique value is a 400 on `field`: the
    database's unique index decides between concurrent requests, the serializer's
    own check only catches the common case."""
    try:
        with transaction.atomic():
            yield
    except IntegrityError:
        raise validation_error({field: message}) from None


class QueuesRuns:
    """A view mixin: its actions in `queuing_actions` (those that queue runs) count
    against the `start` rate (REST_FRAMEWORK's DEFAULT_THROTTLE_RATES) as well."""

    queuing_actions: tuple[str, ...] = ()

    def initial(self, request: Any, *args: Any, **kwargs: Any) -> None:
        if getattr(self, "action", None) in self.queuing_actions:
            self.throttle_scope = "start"
        super().initial(request, *args, **kwargs)


class Gone(APIException):
    status_code = status.HTTP_410_GONE
    default_detail = "It was removed."
    default_code = "gone"


class Conflict(APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "The resource is in a state that does not allow this."
    default_code = "conflict"


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, ProtectedError):
        # Runs keep their flow and device (history is never lost).
        exc = Conflict("It is still referenced by run history; it cannot be deleted.")
    return drf_exception_handler(exc, context)


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
        if request.path.startswith("/api/"):
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


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": f"Nothing at {request.path}."}, status=404)
    return defaults.page_not_found(request, exception)


def server_error(request: HttpRequest) -> HttpResponse:
    request_id = getattr(request, "request_id", None)
    if request.path.startswith("/api/"):
        return JsonResponse(
            {"detail": f"Internal error; it has been logged with request id {request_id}."},
            status=500,
        )
    return defaults.server_error(request)
