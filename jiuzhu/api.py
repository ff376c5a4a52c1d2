"""The one versioned JSON API, ``/api/v1/`` (django-ninja); its OpenAPI document is docs/openapi.json."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, ValidationError
from ninja.parser import Parser
from ninja.renderers import JSONRenderer

from jiuzhu.accounts.api import router as auth_router
from jiuzhu.core.api_auth import BearerToken
from jiuzhu.core.errors import DomainError, PermissionRefused
from jiuzhu.policy.api import router as policy_router
from jiuzhu.registry.api import router as registry_router


class DecimalParser(Parser):
    """JSON numbers become ``Decimal``, never float (DESIGN.md §5b)."""

    def parse_body(self, request: HttpRequest) -> Any:
        return json.loads(request.body or b"null", parse_float=Decimal)


class Utf8JSONRenderer(JSONRenderer):
    """Chinese stays readable in responses (UTF-8, not \\u escapes)."""

    json_dumps_params = {"ensure_ascii": False}


api = NinjaAPI(
    title="救助 jiuzhu API",
    version="1.0.0",
    description="低收入人口数据库接口。认证：POST /api/v1/auth/token 获取令牌，之后使用 Authorization: Bearer <令牌>。"
    "管辖范围外的记录一律返回404（与不存在的记录相同）；角色缺少权限返回403。"
    '约定：金额为两位小数的字符串（如 "1200.00"），日期为 ISO 8601（YYYY-MM-DD），身份证号脱敏'
    "（1407**********1234），完整号码只能通过留痕的查看接口在响应正文中取得，不出现在网址中。"
    "列表分页参数为 page 和 page_size，返回 {items, count}。错误响应为 {detail, code}，detail 为中文说明。",
    auth=BearerToken(),
    parser=DecimalParser(),
    renderer=Utf8JSONRenderer(),
    urls_namespace="api-1",
)
api.add_router("/auth", auth_router)
api.add_router("/", registry_router)
api.add_router("/policy", policy_router)


@api.exception_handler(DomainError)
def on_domain_error(request: HttpRequest, exc: DomainError) -> HttpResponse:
    status = 403 if isinstance(exc, PermissionRefused) else 400
    return api.create_response(request, {"detail": exc.message, "code": exc.code}, status=status)


@api.exception_handler(AuthenticationError)
def on_auth_error(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return api.create_response(
        request, {"detail": "未认证或令牌已过期，请先通过 /api/v1/auth/token 获取令牌。"}, status=401
    )


@api.exception_handler(Http404)
def on_not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    # Outside the jurisdiction and missing read the same (DESIGN.md §5).
    return api.create_response(
        request, {"detail": "未找到该记录，或该记录不在您的管辖范围内。", "code": "not_found"}, status=404
    )


# pydantic error types in Chinese; anything else falls back to pydantic's own (English) message.
_PROBLEMS: dict[str, str] = {
    "missing": "必须填写",
    "less_than_equal": "不能大于{le}",
    "less_than": "应小于{lt}",
    "greater_than_equal": "不能小于{ge}",
    "greater_than": "应大于{gt}",
    "int_parsing": "应为整数",
    "int_type": "应为整数",
    "string_type": "应为字符串",
    "string_too_short": "至少{min_length}个字符",
    "string_too_long": "不能超过{max_length}个字符",
    "string_pattern_mismatch": "格式不正确",
    "enum": "应为以下之一：{expected}",
    "literal_error": "应为以下之一：{expected}",
    "date_parsing": "应为日期，格式 YYYY-MM-DD",
    "date_from_datetime_parsing": "应为日期，格式 YYYY-MM-DD",
    "decimal_parsing": "应为数字",
    "json_invalid": "不是有效的 JSON",
    "model_attributes_type": "应为 JSON 对象",
    "dict_type": "应为 JSON 对象",
}


def _problem(error: dict[str, Any]) -> str:
    kind = str(error.get("type", ""))
    if kind == "string_too_short" and error.get("ctx", {}).get("min_length") == 1:
        return "不能为空"
    template = _PROBLEMS.get(kind)
    if template is None:
        return str(error.get("msg", ""))
    try:
        return template.format(**error.get("ctx", {}))
    except (KeyError, IndexError):
        return str(error.get("msg", ""))


@api.exception_handler(ValidationError)
def on_validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    problems, errors = [], []
    for error in exc.errors:
        location = ".".join(str(part) for part in error.get("loc", ()) if part not in ("body", "query", "path"))
        problems.append(f"{location}: {_problem(error)}" if location else _problem(error))
        # The rejected value is not echoed: it may be an ID number (the 'q' search).
        errors.append({"loc": list(error.get("loc", ())), "type": error.get("type", ""), "msg": _problem(error)})
    return api.create_response(
        request, {"detail": "请求参数有误：" + "；".join(problems), "errors": errors}, status=422
    )
