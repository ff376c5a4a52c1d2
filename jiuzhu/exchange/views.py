"""Import/export pages (placeholder until the exchange work lands)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse


def import_households_view(request: HttpRequest) -> HttpResponse:
    return HttpResponse("")


def export_households_view(request: HttpRequest) -> HttpResponse:
    return HttpResponse("")
