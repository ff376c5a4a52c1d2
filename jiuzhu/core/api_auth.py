"""Bearer-token authentication for django-ninja routes."""

from __future__ import annotations

from django.http import HttpRequest
from ninja.security import HttpBearer

from jiuzhu.accounts.models import User
from jiuzhu.accounts.services import api_token_user


class BearerToken(HttpBearer):
    """``Authorization: Bearer <token>`` issued by ``POST /api/v1/auth/token``."""

    def authenticate(self, request: HttpRequest, token: str) -> User | None:
        user = api_token_user(token)
        if user is not None:
            request.user = user
        return user
