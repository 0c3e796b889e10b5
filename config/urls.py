from django.contrib import admin
from django.contrib.auth.decorators import login_required
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/", include("playback.api.urls")),
    path("api/", include("flows.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    # The docs page sends people to the admin login; the schema itself needs a token
    # or a session like every other API route.
    path(
        "api/docs/",
        login_required(
            SpectacularSwaggerView.as_view(url_name="schema"), login_url="/admin/login/"
        ),
        name="docs",
    ),
]

handler404 = "config.api.not_found"
handler500 = "config.api.server_error"
