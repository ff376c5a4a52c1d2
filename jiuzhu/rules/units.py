"""Units of parameter values and the conversions the engine is allowed to make.

A value's unit travels with it; the engine converts only within a dimension
(元/人·月 ↔ 元/人·年 by ×12 or ÷12 in ``Decimal``) and rejects anything else.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum


class Dimension(StrEnum):
    MONEY_PER_PERSON = "money_per_person"  # 元 per person per period
    MONEY_PER_PERIOD = "money_per_period"  # 元 per period (minimum wage)
    MONEY = "money"  # 元, once
    SHARE_OF_STANDARD = "share_of_standard"  # 倍标准
    MULTIPLIER = "multiplier"  # 倍
    SHARE_OF_MINIMUM_WAGE = "share_of_minimum_wage"  # 倍最低工资
    MONTHS = "months"
    YEARS = "years"
    AGE = "age"
    GRADE = "grade"
    ENERGY_PER_MONTH = "energy_per_month"
    RULE = "rule"
    SET = "set"
    FLAG = "flag"
    PERSONS = "persons"
    DAYS = "days"


@dataclass(frozen=True)
class Unit:
    symbol: str
    dimension: Dimension
    months: int = 0  # period length for per-period money: 1 (月) or 12 (年)


UNITS: dict[str, Unit] = {
    u.symbol: u
    for u in (
        Unit("元/人·月", Dimension.MONEY_PER_PERSON, 1),
        Unit("元/人·年", Dimension.MONEY_PER_PERSON, 12),
        Unit("元/月", Dimension.MONEY_PER_PERIOD, 1),
        Unit("元/年", Dimension.MONEY_PER_PERIOD, 12),
        Unit("元", Dimension.MONEY),
        Unit("倍标准", Dimension.SHARE_OF_STANDARD),
        Unit("倍", Dimension.MULTIPLIER),
        Unit("倍最低工资", Dimension.SHARE_OF_MINIMUM_WAGE),
        Unit("月", Dimension.MONTHS),
        Unit("年", Dimension.YEARS),
        Unit("岁", Dimension.AGE),
        Unit("级", Dimension.GRADE),
        Unit("千瓦时/月", Dimension.ENERGY_PER_MONTH),
        Unit("规则", Dimension.RULE),
        Unit("项目", Dimension.SET),
        Unit("是否", Dimension.FLAG),
        Unit("人", Dimension.PERSONS),
        Unit("套", Dimension.PERSONS),
        Unit("辆", Dimension.PERSONS),
        Unit("次", Dimension.PERSONS),
        Unit("个工作日", Dimension.DAYS),
        Unit("日", Dimension.DAYS),
    )
}

TWELVE = Decimal(12)


def unit(symbol: str) -> Unit:
    """The unit named ``symbol``; ``KeyError`` when unknown."""
    return UNITS[symbol]


def convertible(source: str, target: str) -> bool:
    """Whether a value in ``source`` can be expressed in ``target``."""
    if source == target:
        return True
    a, b = UNITS.get(source), UNITS.get(target)
    return a is not None and b is not None and a.dimension == b.dimension and a.months > 0 and b.months > 0


def convert(value: Decimal, source: str, target: str) -> Decimal:
    """Convert a per-period amount exactly (a yearly figure ÷ 12 keeps full ``Decimal`` precision)."""
    if source == target:
        return value
    if not convertible(source, target):
        raise ValueError(f"{source} 不能换算为 {target}")
    a, b = UNITS[source], UNITS[target]
    return value * Decimal(b.months) / Decimal(a.months)
