"""Registry pages (placeholder until the UI work lands)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse


def household_list_view(request: HttpRequest) -> HttpResponse:
    return HttpResponse("")


def household_create_view(request: HttpRequest) -> HttpResponse:
    return HttpResponse("")
