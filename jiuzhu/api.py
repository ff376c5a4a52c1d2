"""The one versioned JSON API, ``/api/v1/`` (django-ninja); its OpenAPI document is docs/openapi.json."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, ValidationError
from ninja.parser import Parser

from jiuzhu.accounts.api import router as auth_router
from jiuzhu.core.api_auth import BearerToken
from jiuzhu.core.errors import DomainError, PermissionRefused
from jiuzhu.registry.api import router as registry_router


class DecimalParser(Parser):
    """JSON numbers become ``Decimal``, never float (DESIGN.md §5b)."""

    def parse_body(self, request: HttpRequest) -> Any:
        return json.loads(request.body or b"null", parse_float=Decimal)


api = NinjaAPI(
    title="救助 jiuzhu API",
    version="1.0.0",
    description="低收入人口数据库接口。认证：POST /api/v1/auth/token 获取令牌，之后使用 Authorization: Bearer <令牌>。"
    "管辖范围外的记录一律返回404。",
    auth=BearerToken(),
    parser=DecimalParser(),
    urls_namespace="api-1",
)
api.add_router("/auth", auth_router)
api.add_router("/", registry_router)


@api.exception_handler(DomainError)
def on_domain_error(request: HttpRequest, exc: DomainError) -> HttpResponse:
    status = 403 if isinstance(exc, PermissionRefused) else 400
    return api.create_response(request, {"detail": exc.message, "code": exc.code}, status=status)


@api.exception_handler(AuthenticationError)
def on_auth_error(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return api.create_response(request, {"detail": "未认证或令牌已过期，请先通过 /api/v1/auth/token 获取令牌。"},
                               status=401)


@api.exception_handler(ValidationError)
def on_validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    problems = []
    for error in exc.errors:
        location = ".".join(str(part) for part in error.get("loc", ()) if part not in ("body", "query", "path"))
        problems.append(f"{location}: {error.get('msg', '')}")
    return api.create_response(request, {"detail": "请求参数有误：" + "；".join(problems), "errors": exc.errors},
                               status=422)
