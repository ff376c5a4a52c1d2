"""OpenAPI description of ``POST /api/v1/policy/compute``: documentation only, never a parser.

The request body is read by the rules engine's own case parser (``jiuzhu.rules.case``), with JSON
numbers as ``Decimal``; a pydantic model would go through float and would not give the engine's
Chinese messages. So the case is described here as a JSON Schema built from the parser's own value
lists, and the answer as ninja schemas that accept the extra keys a programme adds.
"""

from __future__ import annotations

from typing import Any

from ninja import Field, Schema
from pydantic import ConfigDict

from jiuzhu.rules.case import (
    AREAS,
    CAPACITY,
    CARE_SETTINGS,
    DISABILITY_TYPES,
    EMERGENCY_KINDS,
    EXPENSE_PERIODS,
    EXPENSE_TYPES,
    INCOME_PERIODS,
    INCOME_TYPES,
    NUMBER_TEXT,
    OBLIGOR_STATUS,
    PROGRAMMES,
    RELATIONS,
    SEX,
    STUDENT,
    VEHICLE_PURPOSES,
    VEHICLE_TYPES,
)

# ----------------------------------------------------------------------------- the case (request body)

_MONEY: dict[str, Any] = {
    "type": ["string", "number"],
    "pattern": f"^\\s*{NUMBER_TEXT.pattern}\\s*$",
    "minimum": 0,
    "description": '金额（元）：字符串（推荐，如 "1200.00"）或数字，按 Decimal 精确读取，不能为负，须小于 10^15',
    "examples": ["1200.00"],
}
_DATE: dict[str, Any] = {"type": "string", "format": "date", "description": "日期 YYYY-MM-DD"}


def _enum(values: tuple[str, ...], description: str) -> dict[str, Any]:
    return {"type": "string", "enum": list(values), "description": description}


def _object(properties: dict[str, Any], required: tuple[str, ...] = (), description: str = "") -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "object", "additionalProperties": False, "properties": properties}
    if required:
        schema["required"] = list(required)
    if description:
        schema["description"] = description
    return schema


def _money_items(types: tuple[str, ...], periods: tuple[str, ...], description: str) -> dict[str, Any]:
    item = _object(
        {
            "type": _enum(types, "项目"),
            "amount": _MONEY,
            "period": _enum(periods, "期间：month 每月、year 每年" + ("、once 一次性" if "once" in periods else "")),
            "note": {"type": "string", "description": "备注（jiuzhu 扩展，不参与计算）"},
        },
        required=("type", "amount", "period"),
    )
    return {"type": "array", "items": item, "description": description + "；[] 表示没有，缺省表示未知"}


_MEMBER = _object(
    {
        "id": {"type": "string", "description": "成员编号，户内唯一；缺省为 m1、m2…（按顺序）"},
        "name": {"type": "string", "description": "姓名（用于说明和 missing）"},
        "id_number": {"type": "string", "description": "身份证号；未给 birth_date 时从中读取出生日期"},
        "birth_date": {**_DATE, "description": "出生日期（年龄按 as_of 计算）；缺省为未知"},
        "sex": _enum(SEX, "性别；缺省为未知"),
        "relation": _enum(RELATIONS, "与户主关系；缺省为未知"),
        "hukou": _enum(AREAS, "户籍：urban 城镇、rural 农村；缺省为未知"),
        "in_household": {
            "type": "boolean",
            "description": "true 共同生活家庭成员（默认）；false 列出但收入不计入",
        },
        "labour_capacity": _enum(CAPACITY, "劳动能力：full 完全、partial 部分、none 无；缺省为未知"),
        "self_care": _enum(CAPACITY, "生活自理能力：full 全自理、partial 半护理、none 全护理；缺省为未知"),
        "care_setting": _enum(CARE_SETTINGS, "供养方式：institutional 集中供养、home_based 分散供养（默认）"),
        "disability": {
            "type": ["object", "null"],
            "additionalProperties": False,
            "required": ["type", "grade"],
            "properties": {
                "type": _enum(DISABILITY_TYPES, "残疾类别"),
                "grade": {"type": "integer", "minimum": 1, "maximum": 4, "description": "残疾等级 1–4"},
            },
            "description": "残疾：null 表示无残疾，缺省表示未知",
        },
        "serious_illness": {"type": "boolean", "description": "是否重病患者；缺省为未知"},
        "student": {
            "type": ["string", "null"],
            "enum": [*STUDENT, None],
            "description": "在读学段：null 表示不在读，缺省表示未知",
        },
        "incomes": _money_items(INCOME_TYPES, INCOME_PERIODS, "本人收入"),
    },
    description="家庭成员",
)

_VEHICLE = _object(
    {
        "type": _enum(VEHICLE_TYPES, "车辆类别（默认 car）"),
        "value": _MONEY,
        "purpose": _enum(VEHICLE_PURPOSES, "用途：private 非生活必需（默认）、livelihood 生产生活必需"),
    },
    description="车辆（jiuzhu 扩展的字段）",
)

_OBLIGOR = _object(
    {
        "name": {"type": "string", "description": "姓名"},
        "relation": _enum(RELATIONS, "与户主关系（默认 other）"),
        "annual_income": _MONEY,
        "household_size": {"type": "integer", "minimum": 1, "maximum": 50, "description": "义务人家庭人口"},
        "age": {"type": "integer", "minimum": 0, "maximum": 130, "description": "年龄（jiuzhu 扩展）"},
        "status": _enum(OBLIGOR_STATUS, "义务人救助身份（jiuzhu 扩展）"),
        "severe_disability": {"type": "boolean", "description": "义务人是否重度残疾（jiuzhu 扩展）"},
        "incapacitated": {"type": "boolean", "description": "义务人是否无民事行为能力、失踪或服刑（jiuzhu 扩展）"},
    },
    description="赡养（抚养、扶养）义务人",
)

_HOUSEHOLD = _object(
    {
        "members": {"type": "array", "minItems": 1, "items": _MEMBER, "description": "家庭成员，至少一人"},
        "incomes": _money_items(INCOME_TYPES, INCOME_PERIODS, "不归属个人的家庭收入"),
        "expenses": _money_items(EXPENSE_TYPES, EXPENSE_PERIODS, "刚性支出"),
        "assets": _object(
            {
                "deposits": _MONEY,
                "vehicles": {"type": "array", "items": _VEHICLE, "description": "车辆；[] 表示没有"},
                "houses": {"type": "integer", "minimum": 0, "maximum": 100, "description": "住房套数"},
            },
            description="家庭财产；缺省表示未知（有财产条件的项目结果为 null）",
        ),
        "obligors": {"type": "array", "items": _OBLIGOR, "description": "义务人；[] 表示没有，缺省表示未知"},
        "emergency": _object(
            {
                "kind": _enum(EMERGENCY_KINDS, "emergency 急难型、expense 支出型"),
                "loss": _MONEY,
                "expenses": _MONEY,
                "date": _DATE,
            },
            required=("kind",),
            description="临时救助：发生的事（jiuzhu 扩展）",
        ),
    },
    required=("members",),
)

_OVERLAY = {
    "type": "object",
    "description": "本案参数覆盖：参数名 → {value, unit}；参数名和单位见 docs/case-format.md 的参数表",
    "additionalProperties": _object(
        {
            "value": {
                "type": ["string", "number", "boolean", "array"],
                "items": {"type": "string"},
                "description": "数值（字符串或数字）、规则值（如 fen_half_up）、项目列表或 true/false，依参数而定",
            },
            "unit": {"type": "string", "description": "单位，如 元/人·月、倍、规则"},
        },
        required=("value", "unit"),
    ),
}

CASE_SCHEMA: dict[str, Any] = {
    **_object(
        {
            "region": {
                "type": "string",
                "pattern": "^([0-9]{6}|[0-9]{12})$",
                "description": "6位县级区划代码（GB/T 2260）或12位统计用区划代码",
            },
            "as_of": {**_DATE, "description": "计算日期：选取当日有效的参数"},
            "area": _enum(AREAS, "城乡类别；缺省时取户主户籍"),
            "programmes": {
                "type": "array",
                "items": _enum(PROGRAMMES, "救助项目"),
                "description": "要计算的项目；缺省为参数包支持的全部项目",
            },
            "parameters": _OVERLAY,
            "household": _HOUSEHOLD,
        },
        required=("region", "as_of", "household"),
    ),
    "title": "案件（case-format）",
}

CASE_EXAMPLE: dict[str, Any] = {
    "region": "140702",
    "as_of": "2025-06-30",
    "area": "urban",
    "programmes": ["dibao", "tekun"],
    "parameters": {
        "dibao.standard.urban": {"value": "800", "unit": "元/人·月"},
        "money.rounding": {"value": "fen_half_up", "unit": "规则"},
    },
    "household": {
        "members": [
            {
                "id": "m1",
                "name": "张三",
                "birth_date": "1960-05-01",
                "sex": "male",
                "relation": "head",
                "hukou": "urban",
                "labour_capacity": "partial",
                "self_care": "full",
                "disability": {"type": "physical", "grade": 2},
                "serious_illness": False,
                "student": None,
                "incomes": [{"type": "wage", "amount": "1200.00", "period": "month"}],
            }
        ],
        "incomes": [{"type": "business", "amount": "3600", "period": "year"}],
        "expenses": [],
        "assets": {"deposits": "5000", "vehicles": [], "houses": 1},
        "obligors": [{"name": "张四", "relation": "son", "annual_income": "60000", "household_size": 3}],
    },
}

# ----------------------------------------------------------------------------- the answer


class TraceParameterOut(Schema):
    name: str = Field(description="参数名")
    label: str = Field(description="中文名称")
    value: str | list[str] | bool = Field(description="取值（数值为字符串）")
    unit: str = Field(description="单位")
    region: str = Field(description="取值所属区划（6位）；本案覆盖时为案件区划")
    region_name: str = Field(description="参数包名称；本案覆盖时为“本案覆盖”")
    effective: str | None = Field(description="生效日期；本案覆盖时为 null")
    end: str | None = Field(description="终止日期")
    source: str = Field(description="依据（文号、条款）")
    overlaid: bool = Field(description="是否为本案 parameters 覆盖的值")
    example: bool = Field(description="是否为待核实的示例值")
    draft: bool = Field(description="是否来自征求意见稿参数包")


class TraceStepOut(Schema):
    model_config = ConfigDict(extra="allow")

    step: str = Field(description="步骤名")
    label: str = Field(description="中文说明")
    value: Any = Field(description="结果：金额为两位小数字符串，判断为 true/false，无法确定为 null")
    formula: str = Field(description="中文算式")
    parameters: list[TraceParameterOut] = Field(description="用到的参数及来源")
    member: str | None = Field(None, description="成员级步骤：成员编号")
    missing: list[str] | None = Field(None, description="无法确定时：缺少的输入")


class ProgrammeResultOut(Schema):
    model_config = ConfigDict(extra="allow")

    eligible: bool | None = Field(description="是否符合：true、false，或缺少输入时 null")
    missing: list[str] = Field(description="eligible 为 null 时缺少的输入（中文）")
    reasons: list[str] = Field(description="中文理由")
    amount_month: str = Field(description='全户每月金额，两位小数字符串；不符合时为 "0.00"')


class PolicyComputeOut(Schema):
    region: str = Field(description="案件的区划代码")
    as_of: str = Field(description="计算日期")
    area: str | None = Field(description="城乡类别（urban/rural），未知时为 null")
    parameters_fingerprint: str = Field(description="所用参数的指纹（sha256:…）：指纹相同则参数相同")
    results: dict[str, ProgrammeResultOut] = Field(
        description="各项目结果（键为项目编号）；各项目另有自己的字段，见 docs/case-format.md"
    )
    trace: list[TraceStepOut] = Field(description="计算过程")
    notes: list[str] | None = Field(None, description="注意事项（示例值、征求意见稿等）；没有时不出现")


_OVERLAID_STANDARD = {
    "name": "dibao.standard.urban",
    "label": "城市低保标准",
    "value": "800",
    "unit": "元/人·月",
    "region": "140702",
    "region_name": "本案覆盖",
    "effective": None,
    "end": None,
    "source": "案件参数覆盖（parameters）",
    "overlaid": True,
    "example": False,
    "draft": False,
}

OUTPUT_EXAMPLE: dict[str, Any] = {
    "region": "140702",
    "as_of": "2025-06-30",
    "area": "urban",
    "parameters_fingerprint": "sha256:…",
    "results": {
        "dibao": {
            "eligible": False,
            "missing": [],
            "reasons": ["家庭月人均收入 1500.00 元不低于低保标准 800.00 元", "家庭财产状况符合当地规定"],
            "amount_month": "0.00",
            "standard_month": "800.00",
            "per_capita_income_month": "1500.00",
            "gap_month": "0.00",
            "supplement_month": "0.00",
            "enrolled_members": [],
        },
        "tekun": {
            "eligible": False,
            "missing": [],
            "reasons": ["没有成员同时符合无劳动能力、无生活来源、无法定义务人（或义务人无履行能力）三项条件"],
            "amount_month": "0.00",
            "basic_standard_month": "1040.00",
            "care_standard_month": None,
            "eligible_members": [],
        },
    },
    "trace": [
        {
            "step": "dibao.standard_month",
            "label": "低保标准（月）",
            "value": "800.00",
            "formula": "城市低保标准 9600.00元/人·年（800元/人·月 × 12） ÷ 12个月，按分四舍五入",
            "parameters": [_OVERLAID_STANDARD],
        },
        {
            "step": "dibao.per_capita_income_month",
            "label": "家庭月人均收入",
            "value": "1500.00",
            "formula": "计入的家庭年收入 18000.00 ÷ （共同生活家庭成员人数 1.00 × 12个月），按分四舍五入",
            "parameters": [],
        },
    ],
}

INVALID_CASE_EXAMPLE = {
    "detail": "“household.members[0].sex”：未知的取值“m”（可选：male、female）",
    "code": "invalid_case",
}
