"""The served application (config/gunicorn.py serves it with uvicorn workers).

Django's ASGI handler, with one change: a request to a view that waits on the event
loop (a run's or a batch's events, `?wait` on starting or re-running a run: their
views say `waits_on_loop`) is served without the thread-sensitive context Django
opens for each request. Within that context the request's first sync call (a
middleware's hook, the request_started signal's receivers) starts a thread that
lives until the request ends: one idle thread per open stream (300 streams held
+304 threads). Without it, those short calls run on asgiref's one shared thread and
the view's sync part on the live hub's pool (playback/live/hub.py `in_pool`).

With DEBUG on (`make run`) it also serves the static files, as runserver did."""

import os

import django
from django.conf import settings
from django.core.handlers.asgi import ASGIHandler
from django.urls import Resolver404, get_resolver

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
django.setup(set_prefix=False)

from playback.live import hub  # noqa: E402


class Handler(ASGIHandler):
    async def __call__(self, scope, receive, send):
        if scope["type"] == "http" and waits_on_loop(scope["path"]):
            marked = hub.ON_LOOP.set(True)
            try:
                await self.handle(scope, receive, send)
            finally:
                hub.ON_LOOP.reset(marked)
            return
        await super().__call__(scope, receive, send)


def waits_on_loop(path: str) -> bool:
    try:
        match = get_resolver().resolve(path)
    except Resolver404:
        return False
    return getattr(match.func, "waits_on_loop", False)


application = Handler()
if settings.DEBUG:
    from django.contrib.staticfiles.handlers import ASGIStaticFilesHandler

    application = ASGIStaticFilesHandler(application)

import gc  # noqa: E402

# What start-up makes lives as long as the process: every view and serializer
# imported now (the URLconf, as the first request would), then out of the
# collector's sight, so that a full collection does not walk it while requests and
# event streams wait (docs/benchmarks.md: p99 of a GET with live streams open).
get_resolver().url_patterns  # noqa: B018
gc.collect()
gc.freeze()
