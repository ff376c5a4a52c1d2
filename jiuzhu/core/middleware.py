"""Request-wide policies: sign-in required, domain errors rendered in Chinese."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from jiuzhu.core.errors import DomainError, PermissionRefused

# Paths reachable without a session: the login page, static files, and the API (bearer tokens).
PUBLIC_PREFIXES = ("/accounts/login/", "/static/", "/api/", "/healthz", "/favicon.ico")


class LoginRequiredMiddleware:
    """Every page needs a signed-in user, so no view can forget it."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not request.user.is_authenticated and not request.path.startswith(PUBLIC_PREFIXES):
            if request.headers.get("HX-Request") == "true":
                # An expired session during an HTMX swap: send the whole page to the login form.
                response = HttpResponse(status=204)
                response["HX-Redirect"] = f"{settings.LOGIN_URL_PATH}?next={request.path}"
                return response
            return redirect_to_login(request.get_full_path(), settings.LOGIN_URL)
        return self.get_response(request)


class DomainErrorMiddleware:
    """Turn a ``DomainError`` raised by a service into its Chinese message; views don't catch it."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not isinstance(exception, DomainError):
            return None
        status = 403 if isinstance(exception, PermissionRefused) else 400
        template = "partials/error.html" if getattr(request, "htmx", False) else "error.html"
        return render(request, template, {"message": exception.message}, status=status)
