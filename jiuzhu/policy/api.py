"""``POST /api/v1/policy/compute``: the case file in, the same object as ``jiuzhu policy compute --json`` out.

The body is the case JSON of case-format.md, read as text and parsed by the rules engine itself
(numbers as ``Decimal``), never through a pydantic model. ``as_of`` and ``programmes`` come from the
body: the route has no query parameters. An invalid case is a 422 ``{"detail", "code"}`` whose
``detail`` is the message the command line prints after ``错误：<文件>：``.

Authentication: a bearer token, any role: the computation reads no registry data.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import Router

from jiuzhu.core.api_schemas import ErrorOut
from jiuzhu.policy import services
from jiuzhu.policy.schemas import CASE_EXAMPLE, CASE_SCHEMA, INVALID_CASE_EXAMPLE, OUTPUT_EXAMPLE, PolicyComputeOut
from jiuzhu.rules.errors import RulesError

logger = logging.getLogger(__name__)

router = Router(tags=["救助政策计算"])

JSON_TYPE = "application/json; charset=utf-8"


def _json(body: dict[str, Any], status: int) -> HttpResponse:
    return HttpResponse(json.dumps(body, ensure_ascii=False), status=status, content_type=JSON_TYPE)


@router.post(
    "/compute",
    response={200: PolicyComputeOut, 401: ErrorOut, 422: ErrorOut, 500: ErrorOut},
    summary="按案件计算各项救助",
    description=(
        "请求正文是一个案件（格式见 docs/case-format.md，与命令行 jiuzhu policy compute 的案件文件相同），"
        "按 Decimal 精确读取数字；计算日期和项目取自正文的 as_of 和 programmes，本接口没有查询参数。"
        "响应与 jiuzhu policy compute --json 输出的对象相同：results 为各项目结果，trace 为计算过程，"
        "金额均为两位小数的字符串。不论是否符合条件均返回200。"
        "案件无效（不是 JSON、类型不对、未知的键或取值、未知的参数、单位无法换算、金额为负、区划代码无效等）"
        "返回422，detail 为指明键名和问题的中文说明（与命令行输出相同），code 为 invalid_case。"
        "任何已登录角色均可调用：本接口不读取低收入人口数据库。"
    ),
    openapi_extra={
        "requestBody": {
            "required": True,
            "description": "案件（case-format）",
            "content": {"application/json": {"schema": CASE_SCHEMA, "example": CASE_EXAMPLE}},
        },
        "responses": {
            200: {"content": {"application/json": {"example": OUTPUT_EXAMPLE}}},
            422: {"description": "案件无效", "content": {"application/json": {"example": INVALID_CASE_EXAMPLE}}},
            500: {"description": "服务器上的参数包有误（不是请求的问题）"},
        },
    },
)
def post_compute(request: HttpRequest) -> HttpResponse:
    try:
        text = request.body.decode("utf-8")
    except UnicodeDecodeError:
        return _json({"detail": "请求正文不是 UTF-8 编码的文本", "code": "invalid_case"}, 422)
    try:
        evaluation = services.compute_case_text(text)
    except services.INVALID_CASE as error:
        return _json({"detail": error.message, "code": "invalid_case"}, 422)
    except RulesError as error:  # a pack shipped with the server is broken: not the caller's doing
        logger.error("参数包有误：%s", error.message)
        return _json({"detail": f"服务器上的参数包有误，请联系系统管理员：{error.message}", "code": "pack_error"}, 500)
    return _json(evaluation.output, 200)
