"""刚性支出困难家庭: not 低保, 特困 or 边缘; per-capita income below last year's local per-capita disposable
income; property within the rule; 刚性支出 of the previous 12 months above a local share of the family income.

Source: 刚性支出困难家庭认定办法 (from 2025-01-01; 民发〔2024〕57号 per secondary sources) 第四、五条.
The status is an identity (单独标示 on the platform, 第十一条); it pays nothing by itself.
"""

from __future__ import annotations

from decimal import Decimal

from jiuzhu.rules.case import EXPENSE_TYPES
from jiuzhu.rules.expr import HOUSEHOLD, And, DivRound, If, Lit, MoneySum, Not, Or, Step
from jiuzhu.rules.money import FEN_HALF_UP
from jiuzhu.rules.programmes.base import Condition, Parameters, Programme
from jiuzhu.rules.programmes.common import TWELVE, Common, area

SOURCE = "刚性支出困难家庭认定办法（民发〔2024〕57号）第四、五条"
REQUIRED = ("rigid_expense.expense_ratio", "income.disposable_per_capita.urban", "income.disposable_per_capita.rural")


def build_rigid_expense(
    p: Parameters, c: Common, asset_test: Step, dibao_eligible: Step, tekun_eligible: Step, marginal_eligible: Step
) -> Programme:
    types = p.set_of("rigid_expense.expense_types") or EXPENSE_TYPES
    disposable = Step(
        "rigid_expense.disposable_annual",
        "上年度当地居民人均可支配收入",
        If(
            area().eq("urban"),
            p.money("income.disposable_per_capita.urban", "元/人·年"),
            p.money("income.disposable_per_capita.rural", "元/人·年"),
        ),
    )
    disposable_month = Step(
        "rigid_expense.disposable_month",
        "上年度当地居民人均可支配收入（月）",
        DivRound(disposable.ref(), TWELVE, FEN_HALF_UP),
    )
    income_test = Step(
        "rigid_expense.income_test",
        "收入条件：家庭人均收入低于上年度当地居民人均可支配收入",
        c.income_annual.ref() < disposable.ref() * c.size.ref(),
        "bool",
    )
    expenses = Step(
        "rigid_expense.expense_annual",
        "近12个月家庭刚性支出",
        MoneySum("expenses", tuple(types), HOUSEHOLD, "刚性支出合计"),
    )
    expense_test = Step(
        "rigid_expense.expense_test",
        "支出条件：刚性支出超过家庭收入的规定比例",
        expenses.ref() > p.number("rigid_expense.expense_ratio") * c.income_annual.ref(),
        "bool",
    )
    other_status = Step(
        "rigid_expense.other_status",
        "已符合特困、低保或低保边缘条件",
        Or((tekun_eligible.ref(), dibao_eligible.ref(), marginal_eligible.ref())),
        "bool",
    )
    eligible = Step(
        "rigid_expense.eligible",
        "是否为刚性支出困难家庭",
        And((Not(other_status.ref()), income_test.ref(), expense_test.ref(), asset_test.ref())),
        "bool",
    )
    amount = Step("rigid_expense.amount_month", "刚性支出困难家庭（身份认定，无现金补助）", Lit(Decimal(0)))
    return Programme(
        id="rigid_expense",
        label="刚性支出困难家庭",
        source=SOURCE,
        steps=[disposable, disposable_month, income_test, expenses, expense_test, other_status, eligible, amount],
        eligible=eligible,
        amount_month=amount,
        outputs={
            "disposable_income_month": disposable_month,
            "per_capita_income_month": c.per_capita_income_month,
            "expense_annual": expenses,
        },
        conditions=[
            Condition(other_status, "家庭已符合特困、低保或低保边缘条件，按该身份认定（身份互斥，就高认定）", ""),
            Condition(
                income_test,
                "家庭月人均收入 {per_capita_income_month} 元低于上年度当地居民月人均可支配收入"
                " {disposable_income_month} 元",
                "家庭月人均收入 {per_capita_income_month} 元不低于上年度当地居民月人均可支配收入"
                " {disposable_income_month} 元",
            ),
            Condition(
                expense_test,
                "近12个月刚性支出 {expense_annual} 元超过家庭收入的规定比例",
                "近12个月刚性支出 {expense_annual} 元未超过家庭收入的规定比例",
            ),
            Condition(asset_test, "", "家庭财产超过当地规定的限额"),
        ],
        notes=["刚性支出困难家庭为身份认定，单独标示，按规定享受专项救助；认定有效期不超过12个月"],
        required=REQUIRED,
    )
