"""The API's waiting views, async so that waiting holds no thread: a run's and a
batch's Server-Sent Events, and `?wait` on starting or re-running a run.

Everything else about a request (authentication, permissions, validation, the
service call, the answer) stays in the sync DRF views, run once, before the wait.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable
from typing import Any

from django.contrib.auth import get_user_model
from django.http import HttpRequest, HttpResponse, JsonResponse, StreamingHttpResponse
from rest_framework.request import Request
from rest_framework.settings import api_settings

from playback.batches.models import Batch
from playback.live import hub, links, streams
from playback.models import Run

MODELS = {"run": Run, "batch": Batch}


def _refusal(request: HttpRequest, kind: str, pk: int) -> HttpResponse | None:
    """None when the caller may read this run's (or batch's) events: an API token or
    session with `playback.view_run` (batches are runs started together), or the
    signed `events_url` of the resource. A 4xx that says why otherwise."""
    user = None
    if value := request.GET.get(links.PARAMETER):
        signed = links.signed_for(value, kind, pk)
        if signed is not None and links.still_valid(signed, request):
            user = get_user_model().objects.filter(pk=signed.user_id, is_active=True).first()
        if user is None:
            return JsonResponse(
                {
                    "detail": "This events link is expired or not valid (or the token or "
                    "session it was made with is gone): read the "
                    f"{kind}'s resource again for a fresh events_url."
                },
                status=403,
            )
    else:
        authenticators = [auth() for auth in api_settings.DEFAULT_AUTHENTICATION_CLASSES]
        drf_request = Request(request, authenticators=authenticators)
        try:
            user = drf_request.user
        except Exception as exc:  # DRF's AuthenticationFailed: a bad token
            return JsonResponse({"detail": str(exc)}, status=401)
        if not user.is_authenticated:
            return JsonResponse(
                {"detail": "Authentication credentials were not provided."},
                status=401,
                headers={"WWW-Authenticate": "Token"},
            )
    if not user.has_perm("playback.view_run"):
        return JsonResponse(
            {"detail": "You do not have permission to perform this action."}, status=403
        )
    if not MODELS[kind].objects.filter(pk=pk).exists():
        return JsonResponse({"detail": f"No {kind} {pk}."}, status=404)
    return None


def _events_view(
    kind: str, parse: Callable[[str | None], Any], stream: Callable[..., Any]
) -> Callable[..., Any]:
    async def view(request: HttpRequest, pk: str) -> HttpResponse:
        if request.method not in ("GET", "HEAD"):
            return JsonResponse({"detail": f'Method "{request.method}" not allowed.'}, status=405)
        refusal = await hub.in_pool(_refusal, request, kind, int(pk))
        if refusal is not None:
            return refusal
        try:
            cursor = parse(_last_event_id(request))
        except streams.BadCursor as exc:
            return JsonResponse({"Last-Event-ID": [str(exc)]}, status=400)
        events = stream(int(pk), request.build_absolute_uri("/"), cursor)
        response = StreamingHttpResponse(events, content_type="text/event-stream")
        response["Cache-Control"] = "no-cache"
        response["X-Accel-Buffering"] = "no"  # a proxy passes each event on at once
        return response

    view.__name__ = f"{kind}_events"
    view.waits_on_loop = True  # config/asgi.py: served holding no thread
    return view


def _last_event_id(request: HttpRequest) -> str | None:
    # EventSource sends the header; a client that cannot may pass ?lastEventId=.
    return request.headers.get("Last-Event-ID") or request.GET.get("lastEventId")


run_events = _events_view("run", streams.run_cursor, streams.run_events)
batch_events = _events_view("batch", streams.batch_cursor, streams.batch_events)


def waits(view: Callable[..., Any]) -> Callable[..., Any]:
    """A DRF view whose answer may wait for its run (`?wait=N`): the view answers at
    once, marking an answer that should wait with `wait_for_run = (run id, seconds)`;
    the wait happens here, on the event loop, and the run is then answered as it
    stands (200 once ended)."""

    @functools.wraps(view)
    async def waiting(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        started = time.monotonic()
        response = await hub.in_pool(functools.partial(view, request, *args, **kwargs))
        if (wait := getattr(response, "wait_for_run", None)) is None:
            return response
        run_id, seconds = wait
        await streams.wait_for_end(run_id, seconds - (time.monotonic() - started))
        return await hub.in_pool(response.refresh)

    waiting.waits_on_loop = True  # config/asgi.py: served holding no thread
    return waiting
