"""The demo web app (simulator/demo_app/), served by the project's own web server at
/demo-app/ for the demo's web device: static files, no extra process."""

from __future__ import annotations

from pathlib import Path

from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_safe
from django.views.static import serve

DEMO_APP_DIR = Path(__file__).resolve().parent / "demo_app"


@require_safe
def demo_app(request: HttpRequest, path: str = "") -> HttpResponse:
    response = serve(request, path or "index.html", document_root=str(DEMO_APP_DIR))
    # Each run sees the app as it is now; nothing stale from an earlier run.
    response["Cache-Control"] = "no-store"
    return response
