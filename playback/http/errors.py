"""Errors as HTTP answers, in one place: DRF's shape for field errors, and every
service error mapped to its answer by `exception_handler` (REST_FRAMEWORK's
EXCEPTION_HANDLER), so no view catches a service's error itself.

    FieldErrors (RunRequestError, the
    categories', a quarantine's, …)     -> 400 {field: [message]}, settings by API key
    RunConflict, DeviceUnreachable,
    IdempotencyConflict, ProtectedError -> 409 {"detail": ...}
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import ProtectedError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views import defaults
from rest_framework import status
from rest_framework.exceptions import APIException, ValidationError
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from playback.field_errors import FieldErrors
from playback.words import keyed_errors


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


class Gone(APIException):
    status_code = status.HTTP_410_GONE
    default_detail = "It was removed."
    default_code = "gone"


class Conflict(APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "The resource is in a state that does not allow this."
    default_code = "conflict"


def refused(exc: Any) -> ValidationError:
    """A service's refusal (`FieldErrors`) as a 400, settings named by their keys."""
    errors = dict(exc.errors)
    if isinstance(errors.get("settings"), dict):
        errors["settings"] = keyed_errors(errors["settings"])
    return validation_error(errors)


def as_http(exc: Exception) -> Exception:
    """The HTTP error a service's error is (any other exception as it is)."""
    from playback import services  # the services import models: not at start-up

    if isinstance(exc, FieldErrors):
        return refused(exc)
    if isinstance(
        exc, (services.RunConflict, services.DeviceUnreachable, services.IdempotencyConflict)
    ):
        return Conflict(str(exc))
    if isinstance(exc, ProtectedError):
        # Runs keep their flow and device (history is never lost).
        return Conflict("It is still referenced by run history; it cannot be deleted.")
    return exc


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    return drf_exception_handler(as_http(exc), context)


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
