"""What the whole API shares: the error shape and the conversion of service errors."""

from __future__ import annotations

from typing import Any

from django.db.models import ProtectedError
from rest_framework import status
from rest_framework.exceptions import APIException, ValidationError
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler


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


class Conflict(APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "The resource is in a state that does not allow this."
    default_code = "conflict"


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, ProtectedError):
        # Runs keep their flow and device (history is never lost).
        exc = Conflict("It is still referenced by run history; it cannot be deleted.")
    return drf_exception_handler(exc, context)
