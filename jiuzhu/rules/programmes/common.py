"""Steps several programmes share (household size, counted income, the 低保 standard), defined once."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from jiuzhu.rules.case import COUNTED_INCOME, EXCLUDABLE_INCOME
from jiuzhu.rules.expr import (
    HOUSEHOLD,
    MEMBER,
    DivRound,
    If,
    Input,
    Lit,
    MoneySum,
    Step,
    maximum,
    member_count,
    member_sum,
    minimum,
)
from jiuzhu.rules.money import FEN_HALF_UP
from jiuzhu.rules.programmes.base import Parameters

TWELVE = Lit(Decimal(12), "12个月")


@dataclass
class Common:
    size: Step  # 共同生活家庭成员人数
    gross_income_annual: Step
    employment_deduction_annual: Step
    income_annual: Step  # 计入的家庭年收入
    per_capita_income_month: Step
    standard_annual: Step  # 低保标准（元/人·年）
    standard_month: Step  # 低保标准（元/人·月，到分）
    counted_types: tuple[str, ...]


def area() -> Input:
    return Input(HOUSEHOLD, "area", "城乡类别")


def member(field: str, label: str) -> Input:
    return Input(MEMBER, field, label)


def build_common(p: Parameters) -> Common:
    excluded = set(p.set_of("income.excluded_types"))
    counted = tuple(t for t in COUNTED_INCOME + EXCLUDABLE_INCOME if t not in excluded)
    in_household = member("in_household", "是否共同生活家庭成员")
    size = Step("household.size", "共同生活家庭成员人数", member_count(in_household, "共同生活家庭成员"), "number")
    gross = Step(
        "income.gross_annual", "家庭年收入（按规定计入的项目）", MoneySum("incomes", counted, HOUSEHOLD, "计入收入合计")
    )
    rate = p.number("dibao.employment_cost_deduction.rate")
    cap = p.money("dibao.employment_cost_deduction.cap", "元/人·年")
    if p.raw("dibao.employment_cost_deduction.rate") is None:
        deduction = Step("income.employment_deduction_annual", "就业成本扣减（年）", Lit(Decimal(0), "本地未规定扣减"))
    else:
        wage = MoneySum("incomes", ("wage",), MEMBER, "工资性收入")
        per_member = If(
            in_household,
            minimum(wage * rate, cap) if p.raw("dibao.employment_cost_deduction.cap") is not None else wage * rate,
            Lit(Decimal(0)),
        )
        deduction = Step(
            "income.employment_deduction_annual", "就业成本扣减（年）", member_sum(per_member, "各就业成员扣减合计")
        )
    income = Step("income.counted_annual", "计入的家庭年收入", maximum(gross.ref() - deduction.ref(), 0))
    urban = p.money("dibao.standard.urban", "元/人·年")
    rural = p.money("dibao.standard.rural", "元/人·年")
    standard_annual = Step("dibao.standard_annual", "低保标准（年）", If(area().eq("urban"), urban, rural))
    standard_month = Step(
        "dibao.standard_month",
        "低保标准（月）",
        If(
            area().eq("urban"),
            DivRound(p.money("dibao.standard.urban", "元/人·年"), TWELVE, FEN_HALF_UP),
            DivRound(p.money("dibao.standard.rural", "元/人·年"), TWELVE, FEN_HALF_UP),
        ),
    )
    per_capita = Step(
        "dibao.per_capita_income_month", "家庭月人均收入", DivRound(income.ref(), size.ref() * TWELVE, FEN_HALF_UP)
    )
    return Common(
        size=size,
        gross_income_annual=gross,
        employment_deduction_annual=deduction,
        income_annual=income,
        per_capita_income_month=per_capita,
        standard_annual=standard_annual,
        standard_month=standard_month,
        counted_types=counted,
    )


def common_steps(c: Common) -> list[Step]:
    return [
        c.size,
        c.gross_income_annual,
        c.employment_deduction_annual,
        c.income_annual,
        c.standard_annual,
        c.standard_month,
        c.per_capita_income_month,
    ]
