"""Error bodies every /api/v1/ route shares (rendered by the handlers in ``jiuzhu.api``)."""

from __future__ import annotations

from ninja import Field, Schema


class ErrorOut(Schema):
    detail: str = Field(description="中文说明")
    code: str | None = Field(None, description="稳定的错误代码")


class ValidationErrorOut(Schema):
    detail: str = Field(description="中文说明，逐项列出有误的参数")
    errors: list[dict[str, object]] = Field(description="逐项错误（位置、类型、说明）；不回显被拒绝的值")
