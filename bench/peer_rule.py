"""The peer benchmark's 低保 rule, written with the engine's public expression nodes (jiuzhu.rules.expr)
and nothing else: a bench-only programme compiled by jiuzhu.rules.compile_ibis like any other.

The engine's own 低保 programme (jiuzhu/rules/programmes/dibao.py) computes the same amounts for the
peer's households (bench_rules.py checks it), but it also carries what the peer rule lacks: 特困
members taken out of the 低保 household (which needs the 特困 tests, obligors, …), 单人保, the asset
test, reasons. This programme is exactly the peer's README "The rule", so the two batch measurements
separate the compiler's cost from the programme's size. Parameters come from the benchmark pack
(bench/packs/119900) through the engine's ``Parameters`` view, with their provenance.
"""

from __future__ import annotations

from decimal import Decimal

from jiuzhu.rules.expr import (
    MEMBER,
    AgeAtLeast,
    And,
    DivRound,
    If,
    Input,
    Lit,
    MoneySum,
    Or,
    Step,
    member_count,
    member_sum,
    minimum,
)
from jiuzhu.rules.money import FEN_HALF_UP
from jiuzhu.rules.params import ParameterSet
from jiuzhu.rules.programmes import with_dependencies
from jiuzhu.rules.programmes.base import Parameters, Programme

TWELVE = Lit(Decimal(12), "12个月")
COUNTED = ("wage", "pension", "transfer_other")  # the peer's salary, pension, other income (net of excluded)


def build_peer_rule(parameters: ParameterSet) -> Programme:
    """Per member: counted income = salary + pension + other − excluded − min(20% × salary, 300);
    household: eligible ⇔ Σ counted < standard × size; benefit = round(standard × size − Σ counted, 2)
    + 10% of the standard per member aged 70+ or with disability grade 1–2 (annual amounts, ÷ 12)."""
    p = Parameters(parameters)
    in_household = Input(MEMBER, "in_household", "是否共同生活家庭成员")
    wage = MoneySum("incomes", ("wage",), MEMBER, "工资性收入")
    deduction = minimum(
        wage * p.number("dibao.employment_cost_deduction.rate"),
        p.money("dibao.employment_cost_deduction.cap", "元/人·年"),
    )
    member_income = Step(
        "bench.member_income_annual",
        "个人计入年收入",
        MoneySum("incomes", COUNTED, MEMBER, "本人计入收入") - deduction,
    )
    size = Step("bench.size", "家庭人口", member_count(in_household, "共同生活家庭成员"), "number")
    income = Step("bench.income_annual", "家庭计入年收入", member_sum(member_income.ref(), "各成员计入收入合计"))
    standard = Step("bench.standard_annual", "低保标准（年）", p.money("dibao.standard.urban", "元/人·年"))
    standard_month = Step("bench.standard_month", "低保标准（月）", DivRound(standard.ref(), TWELVE, FEN_HALF_UP))
    eligible = Step("bench.eligible", "家庭人均收入低于低保标准", income.ref() < standard.ref() * size.ref(), "bool")
    gap = Step(
        "bench.gap_month",
        "补差金额（月）",
        DivRound(standard.ref() * size.ref() - income.ref(), TWELVE, FEN_HALF_UP),
    )
    grade = Input(MEMBER, "disability_grade", "残疾等级")
    covered = Or(
        (
            AgeAtLeast(MEMBER, p.number("dibao.category_supplement.elderly_age")),
            And((grade >= 1, grade <= Lit(Decimal(2), "2级"))),
        )
    )
    supplement_member = Step(
        "bench.supplement_member_month",
        "分类施保金额（月）",
        If(
            covered,
            DivRound(p.number("dibao.category_supplement.elderly") * standard.ref(), TWELVE, FEN_HALF_UP),
            Lit(Decimal(0)),
        ),
    )
    supplement = Step(
        "bench.supplement_month", "分类施保合计（月）", member_sum(supplement_member.ref(), "各成员分类施保合计")
    )
    amount = Step(
        "bench.amount_month", "低保金（月）", If(eligible.ref(), gap.ref() + supplement.ref(), Lit(Decimal(0)))
    )
    outputs = {"standard_month": standard_month, "gap_month": gap, "supplement_month": supplement}
    return Programme(
        id="dibao",
        label="最低生活保障（对照基准规则）",
        source="对照基准 /work/shared/peers/openfisca README「The rule」",
        steps=with_dependencies([eligible, amount, *outputs.values()]),
        eligible=eligible,
        amount_month=amount,
        outputs=outputs,
    )
