"""Domain errors: a stable code and a Chinese message the user can act on."""

from __future__ import annotations

from enum import StrEnum


class DomainError(Exception):
    """A refusal the user should read; the middleware renders ``message`` (never a traceback)."""

    def __init__(self, code: StrEnum | str, message: str) -> None:
        super().__init__(message)
        self.code = str(code)
        self.message = message

    def __str__(self) -> str:
        return self.message


class PermissionRefused(DomainError):
    """The user lacks the right for this action (inside their jurisdiction)."""

    def __init__(self, message: str = "您没有执行此操作的权限。") -> None:
        super().__init__("permission_refused", message)
