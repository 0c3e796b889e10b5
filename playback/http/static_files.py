"""The admin's and the API docs' static files, served by the app server itself
(WhiteNoise: in production what `collectstatic` wrote, compressed, with hashed names
cached for a year; in development the apps' own files).

WhiteNoise's own middleware is sync-only, which would make an ASGI server run every
request after it on a held thread (playback/http/middleware.py); this one has our
middlewares' shape: a static path is answered before anything else runs, every other
request goes on untouched.
"""

from __future__ import annotations

import functools
from typing import Any

from django.http import HttpRequest, HttpResponse
from whitenoise.middleware import WhiteNoiseMiddleware

from playback.http.middleware import PlainMiddleware


@functools.cache
def static_files() -> WhiteNoiseMiddleware:
    """The files to serve, found once a process (a middleware chain is built per
    handler: each test client builds one)."""
    return WhiteNoiseMiddleware(get_response=None)


class StaticFiles(PlainMiddleware):
    def __init__(self, get_response: Any):
        super().__init__(get_response)
        self.files = static_files()

    def before(self, request: HttpRequest) -> HttpResponse | None:
        path = request.path_info
        if not path.startswith(self.files.static_prefix):
            return None
        found = self.files.find_file(path) if self.files.autorefresh else self.files.files.get(path)
        return None if found is None else self.files.serve(found, request)
