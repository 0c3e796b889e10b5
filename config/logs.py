"""Logs: one JSON line per record on stderr, in every process (web, workers, CLI),
each with the id of the request it belongs to.

Every request gets an id (its `X-Request-ID` header when it sends a sane one, else a
new one), answered in the `X-Request-ID` header and named by a 500's body, so an
error a user reports can be found in the logs.
"""

from __future__ import annotations

import json
import logging
import re
import traceback
import uuid
from contextvars import ContextVar
from datetime import UTC, datetime

from django.http import HttpRequest, HttpResponse

from playback.http.middleware import PlainMiddleware

current_request_id: ContextVar[str | None] = ContextVar("request_id", default=None)
REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,64}")


class RequestIdMiddleware(PlainMiddleware):
    """Gives each request an id, for its logs and its answer."""

    def before(self, request: HttpRequest) -> None:
        given = request.headers.get("X-Request-ID", "")
        request.request_id = given if REQUEST_ID.fullmatch(given) else uuid.uuid4().hex
        request.request_id_token = current_request_id.set(request.request_id)

    def cleanup(self, request: HttpRequest) -> None:
        current_request_id.reset(request.request_id_token)

    def after(self, request: HttpRequest, response: HttpResponse) -> HttpResponse:
        response["X-Request-ID"] = request.request_id
        return response


class JsonLineFormatter(logging.Formatter):
    """A record as one JSON line: time, level, logger, message, request id, traceback."""

    def format(self, record: logging.LogRecord) -> str:
        request = getattr(record, "request", None)
        line = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(request, "request_id", None) or current_request_id.get(),
        }
        if record.exc_info:
            line["exc"] = "".join(traceback.format_exception(*record.exc_info)).strip()
        return json.dumps(line, ensure_ascii=False, default=str)


SIGNATURE = re.compile(r"(?<=[?&]sig=)[^&\s\"]+")


class HideSignatures(logging.Filter):
    """Access-log records with the `sig` of a signed events URL replaced: a log read
    by more people than the API's users must not hand them working links."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(
                SIGNATURE.sub("[hidden]", arg) if isinstance(arg, str) else arg
                for arg in record.args
            )
        if isinstance(record.msg, str):
            record.msg = SIGNATURE.sub("[hidden]", record.msg)
        return True


def hide_signatures_in_access_logs() -> None:
    """On the loggers the web servers write access lines to (uvicorn's under
    gunicorn, and Django's development server)."""
    for name in ("uvicorn.access", "gunicorn.access", "django.server"):
        logger = logging.getLogger(name)
        if not any(isinstance(f, HideSignatures) for f in logger.filters):
            logger.addFilter(HideSignatures())
