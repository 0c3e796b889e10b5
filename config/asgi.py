"""The served application (config/gunicorn.py serves it with uvicorn workers).

With DEBUG on (`make run`) it also serves the static files, as runserver did."""

import os

from django.conf import settings
from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
application = get_asgi_application()
if settings.DEBUG:
    from django.contrib.staticfiles.handlers import ASGIStaticFilesHandler

    application = ASGIStaticFilesHandler(application)

import gc  # noqa: E402

from django.urls import get_resolver  # noqa: E402

# What start-up makes lives as long as the process: every view and serializer
# imported now (the URLconf, as the first request would), then out of the
# collector's sight, so that a full collection does not walk it while requests and
# event streams wait (docs/benchmarks.md: p99 of a GET with live streams open).
get_resolver().url_patterns  # noqa: B018
gc.collect()
gc.freeze()
