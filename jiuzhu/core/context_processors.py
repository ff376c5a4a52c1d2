"""Template context shared by every page: the navigation a role may use."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from jiuzhu.accounts.permissions import Permission, has_permission


def navigation(request: HttpRequest) -> dict[str, Any]:
    user = request.user
    if not user.is_authenticated:
        return {}
    return {
        "can": {p.value: has_permission(user, p) for p in Permission},
    }
