"""POST /api/v1/auth/token: exchange a username and password for a bearer token."""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Router, Schema

from jiuzhu.accounts import services
from jiuzhu.core.errors import DomainError

router = Router(tags=["认证"])


class TokenIn(Schema):
    username: str
    password: str


class TokenOut(Schema):
    token: str


class ErrorOut(Schema):
    detail: str


@router.post("/token", response={200: TokenOut, 401: ErrorOut}, auth=None, summary="获取接口令牌")
def post_token(request: HttpRequest, credentials: TokenIn) -> tuple[int, dict[str, str]]:
    """Lockout applies: five failures for one username from one address lock it for 30 minutes."""
    try:
        token = services.api_token_issue(request=request, username=credentials.username,
                                         password=credentials.password)
    except DomainError as error:
        return 401, {"detail": error.message}
    return 200, {"token": token}
