"""临时救助: 急难型 (sudden hardship) and 支出型 (large necessary spending), with a cap per event, the
township's approval limit and payment in instalments ("一次审批、分次发放").

Sources: 社会救助暂行办法第四十七至五十条; 民政部 财政部 民发〔2018〕23号《关于进一步加强和改进临时救助工作的意见》
(支出型: per-capita income below last year's local per-capita disposable income); amounts, caps,
the township limit and instalments are local (each pack cites its own).

Amounts: 急难型 = min(核定损失, 月数 × 月低保标准 × 家庭人口, 上限); 支出型 = min(自负支出 × 比例, 上限);
上限 = 上限月数 × 月低保标准 (per household and event). A case without ``household.emergency`` reports
no hardship: not eligible (a temporary-assistance case starts from a reported event).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from jiuzhu.rules.expr import (
    HOUSEHOLD,
    And,
    Coalesce,
    DivRound,
    If,
    Input,
    Lit,
    Node,
    Or,
    Step,
    minimum,
)
from jiuzhu.rules.money import FEN_HALF_UP
from jiuzhu.rules.programmes.base import Condition, Parameters, Programme
from jiuzhu.rules.programmes.common import Common, area

SOURCE = "社会救助暂行办法第四十七至五十条；民发〔2018〕23号《关于进一步加强和改进临时救助工作的意见》"
REQUIRED = (
    "temporary_assistance.emergency.months",
    "temporary_assistance.expense.share",
    "temporary_assistance.cap_months",
)


def build_temporary_assistance(p: Parameters, c: Common) -> Programme:
    rounding = p.rounding("money.rounding")
    kind = Coalesce(Input(HOUSEHOLD, "emergency_kind", "临时救助情形"), Lit("none", "未申报"))
    loss = Input(HOUSEHOLD, "emergency_loss", "急难情形核定损失")
    spending = Input(HOUSEHOLD, "emergency_expenses", "支出型困难的自负支出")
    reported = Step(
        "temporary_assistance.reported", "已申报急难或支出型困难", kind.isin(["emergency", "expense"]), "bool"
    )
    disposable = If(
        area().eq("urban"),
        p.money("income.disposable_per_capita.urban", "元/人·年"),
        p.money("income.disposable_per_capita.rural", "元/人·年"),
    )
    income_test = Step(
        "temporary_assistance.income_test",
        "支出型：家庭人均收入低于上年度当地居民人均可支配收入",
        c.income_annual.ref() < disposable * c.size.ref(),
        "bool",
    )
    standard_month: Node = c.standard_month.ref()
    cap = Step(
        "temporary_assistance.cap",
        "每次救助上限",
        p.number("temporary_assistance.cap_months") * standard_month,
    )
    emergency_amount = minimum(
        minimum(loss, p.number("temporary_assistance.emergency.months") * standard_month * c.size.ref()), cap.ref()
    )
    expense_amount = minimum(spending * p.number("temporary_assistance.expense.share"), cap.ref())
    computed = Step(
        "temporary_assistance.computed",
        "按规定计算的救助金额",
        DivRound(If(kind.eq("emergency"), emergency_amount, expense_amount), Lit(Decimal(1), "1"), rounding),
    )
    # Eligible only when the amount can be determined too (unknown facts give null, never zero).
    eligible = Step(
        "temporary_assistance.eligible",
        "是否符合临时救助条件",
        And((reported.ref(), Or((kind.eq("emergency"), income_test.ref())), computed.ref() >= 0)),
        "bool",
    )
    amount = Step(
        "temporary_assistance.amount", "临时救助金额（本次）", If(eligible.ref(), computed.ref(), Lit(Decimal(0)))
    )
    threshold = p.money("temporary_assistance.instalment.threshold", "元")
    count = p.number("temporary_assistance.instalment.count")
    split = (
        p.raw("temporary_assistance.instalment.threshold") is not None
        and p.raw("temporary_assistance.instalment.count") is not None
    )
    instalments = Step(
        "temporary_assistance.instalments",
        "分次发放次数",
        If(amount.ref() >= threshold, count, Lit(Decimal(1))) if split else Lit(Decimal(1), "一次发放"),
        "number",
    )
    first = Step(
        "temporary_assistance.first_instalment",
        "首次发放金额",
        DivRound(amount.ref(), instalments.ref(), FEN_HALF_UP) if split else amount.ref(),
    )
    conditions = [
        Condition(reported, "", "未申报急难或支出型困难情形"),
        Condition(
            income_test,
            "家庭月人均收入 {per_capita_income_month} 元低于上年度当地居民人均可支配收入（支出型条件）",
            "家庭月人均收入 {per_capita_income_month} 元不低于上年度当地居民人均可支配收入（支出型条件）",
        ),
    ]
    township_step: list[Step] = []
    if p.raw("temporary_assistance.township_limit") is not None:
        township = Step(
            "temporary_assistance.township_approval",
            "乡镇（街道）可直接审批",
            # "2024元以下" includes 2024 (民法典第一千二百五十九条: 以下 includes the number itself).
            amount.ref() <= p.money("temporary_assistance.township_limit", "元"),
            "bool",
        )
        township_step.append(township)
        conditions.append(
            Condition(
                township,
                "救助金额在乡镇审批限额以内，由乡镇（街道）审批",
                "救助金额超过乡镇审批限额，报县级民政部门审批",
            )
        )

    def extra(ctx: Any) -> dict[str, Any]:
        values = ctx.household_values
        total, _ = values[amount.name]
        times, _ = values[instalments.name]
        if total is None or times is None or not values[eligible.name][0]:
            return {"instalments": []}
        n = int(times)
        each = FEN_HALF_UP.apply(Decimal(total) / n)
        parts = [each] * (n - 1) + [Decimal(total) - each * (n - 1)]
        return {"instalments": [f"{part:.2f}" for part in parts]}

    return Programme(
        id="temporary_assistance",
        label="临时救助",
        source=SOURCE,
        steps=[reported, income_test, cap, computed, eligible, amount, instalments, first, *township_step],
        eligible=eligible,
        amount_month=first,
        outputs={
            "amount": amount,
            "cap": cap,
            "standard_month": c.standard_month,
            "per_capita_income_month": c.per_capita_income_month,
        },
        conditions=conditions,
        notes=["临时救助为一次性救助，经审批后发放；金额较大的按规定分次发放"],
        extra=extra,
        required=REQUIRED,
    )
