"""Top-level URLs: pages per app, the JSON API under /api/v1/."""

from django.http import HttpRequest, HttpResponse
from django.urls import include, path

from jiuzhu.api import api


def healthz(request: HttpRequest) -> HttpResponse:
    return HttpResponse("ok", content_type="text/plain")


def favicon(request: HttpRequest) -> HttpResponse:
    return HttpResponse(FAVICON_SVG, content_type="image/svg+xml")


FAVICON_SVG = (
    '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32"><rect width="32" height="32" rx="6" fill="#b3261e"/>'
    '<path d="M9 16h14M16 9v14" stroke="#fff" stroke-width="4" stroke-linecap="round"/></svg>'
)

urlpatterns = [
    path("", include("jiuzhu.accounts.urls")),
    path("registry/", include("jiuzhu.registry.urls")),
    path("exchange/", include("jiuzhu.exchange.urls")),
    path("policy/", include("jiuzhu.policy.urls")),
    path("api/v1/", api.urls),
    path("healthz", healthz),
    path("favicon.ico", favicon),
]
