"""Jurisdiction: the one place that limits what a user can see.

Every region-scoped query starts from ``visible_to(user)``; a record outside it
is then simply not found (404), exactly like a missing one.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Self

from django.db import models

if TYPE_CHECKING:
    from jiuzhu.accounts.models import User


class RegionScopedQuerySet(models.QuerySet[Any]):
    """A queryset whose model names the field holding its 12-digit region code in ``region_field``."""

    def visible_to(self, user: User) -> Self:
        """Rows whose region lies in the user's jurisdiction; none for anyone without one."""
        if not getattr(user, "is_authenticated", False):
            return self.none()
        prefix = user.jurisdiction_prefix()
        if prefix is None:
            return self.none()
        if prefix == "":
            return self
        field = self.model.region_field
        return self.filter(**{f"{field}__startswith": prefix})


def within_jurisdiction(user: User, region_code: str) -> bool:
    """Whether ``region_code`` lies inside the user's jurisdiction (for checks before a write)."""
    prefix = user.jurisdiction_prefix()
    return prefix is not None and region_code.startswith(prefix)
