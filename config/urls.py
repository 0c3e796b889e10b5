from django.contrib import admin
from django.urls import include, path, re_path, register_converter
from django.views.decorators.csrf import csrf_exempt
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from playback.http.errors import not_found
from playback.http.ids import IdConverter
from simulator.views import demo_app

# `<id:run_id>` in the admin's own pages: an id the databases can hold, or no match
# (a 404), never an integer too large for SQLite (a 500).
register_converter(IdConverter, "id")

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/", include("playback.api.urls")),
    path("api/", include("flows.urls")),
    # Public when PLAYBACK_PUBLIC_API_DOCS (playback.http.permissions.ApiDocsAccess).
    re_path(r"^api/schema/?$", SpectacularAPIView.as_view(), name="schema"),
    re_path(r"^api/docs/?$", SpectacularSwaggerView.as_view(url_name="schema"), name="docs"),
    # The demo web app the demo's web device plays (simulator/demo_app/).
    path("demo-app/", demo_app, name="demo-app"),
    path("demo-app/<path:path>", demo_app),
    # Anything else under /api/ is a JSON 404, in development too (where Django's
    # own 404 page would answer, and APPEND_SLASH would redirect a POST), and for
    # any method: it changes nothing, so no CSRF check answers before it.
    re_path(r"^api/", csrf_exempt(not_found), name="api-not-found"),
]

handler404 = "playback.http.errors.not_found"
handler500 = "playback.http.errors.server_error"
