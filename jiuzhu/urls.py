"""Top-level URLs: pages per app, the JSON API under /api/v1/."""

from django.http import HttpRequest, HttpResponse
from django.urls import include, path

from jiuzhu.api import api


def healthz(request: HttpRequest) -> HttpResponse:
    return HttpResponse("ok", content_type="text/plain")


urlpatterns = [
    path("", include("jiuzhu.accounts.urls")),
    path("registry/", include("jiuzhu.registry.urls")),
    path("exchange/", include("jiuzhu.exchange.urls")),
    path("api/v1/", api.urls),
    path("healthz", healthz),
]
