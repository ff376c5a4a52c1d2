"""POST /api/v1/auth/token: exchange a username and password for a bearer token. No authentication."""

from __future__ import annotations

from typing import Any

from axes.helpers import get_cool_off
from django.http import HttpRequest, HttpResponse
from ninja import Router, Schema, Status

from jiuzhu.accounts import services
from jiuzhu.core.api_schemas import ErrorOut
from jiuzhu.core.errors import DomainError

router = Router(tags=["认证"])


class TokenIn(Schema):
    username: str
    password: str


class TokenOut(Schema):
    token: str


@router.post(
    "/token",
    response={200: TokenOut, 401: ErrorOut, 429: ErrorOut},
    auth=None,
    summary="获取接口令牌",
    description=(
        "用用户名和密码换取接口令牌，之后在请求头中使用 Authorization: Bearer <令牌>。"
        "令牌有效期由 JIUZHU_API_TOKEN_HOURS 设定（默认12小时），过期或未知的令牌返回401。"
        "同一用户名从同一地址连续5次密码错误即锁定30分钟（返回429），锁定期间正确的密码同样被拒绝。"
        "每次签发写入审计记录。"
    ),
)
def post_token(request: HttpRequest, credentials: TokenIn, response: HttpResponse) -> Status[dict[str, Any]]:
    try:
        token = services.api_token_issue(request=request, username=credentials.username, password=credentials.password)
    except DomainError as error:
        if getattr(request, "axes_locked_out", False):
            return _locked_out(request, response)
        return Status(401, {"detail": error.message, "code": error.code})
    response["Cache-Control"] = "no-store"
    return Status(200, {"token": token})


def _locked_out(request: HttpRequest, response: HttpResponse) -> Status[dict[str, Any]]:
    """A JSON 429 in Chinese instead of axes' HTML lockout page (API clients read JSON)."""
    # AxesMiddleware swaps in its HTML page when this flag is set; the refusal is answered here instead.
    request.axes_locked_out = False  # type: ignore[attr-defined]
    cool_off = get_cool_off(request)
    minutes = int(cool_off.total_seconds() // 60) if cool_off else None
    if minutes:
        response["Retry-After"] = str(minutes * 60)
    wait = f"请{minutes}分钟后再试，" if minutes else ""
    return Status(
        429, {"detail": f"密码错误次数过多，账户已被锁定。{wait}或联系系统管理员解锁。", "code": "locked_out"}
    )
