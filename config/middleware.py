"""Our middlewares' one shape: plain work before and after the view (no I/O), run in
the sync chain (WSGI) and in the async one (ASGI) alike.

A middleware Django sees as sync-only makes an ASGI server run it, and every view
after it, on a thread held for the whole request: a request that waits would hold
that thread while it waits. These are `async_capable`, so nothing is adapted.
"""

from __future__ import annotations

from typing import Any

from asgiref.sync import iscoroutinefunction, markcoroutinefunction
from django.http import HttpRequest, HttpResponse


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
