"""免费用电: a monthly free electricity quantity per household for 城乡低保 households and (as the pack
says) 农村 or 城市 特困 persons; the power company credits it, jiuzhu supplies the roster.

Source: 000 晋中 (晋价商字〔2012〕186号, restated by 市民发〔2021〕40号): 15 千瓦时 per month for 城乡低保对象 and
农村特困人员, not urban 特困.
"""

from __future__ import annotations

from decimal import Decimal

from jiuzhu.rules.expr import And, If, Lit, Node, Or, Step
from jiuzhu.rules.programmes.base import Condition, Parameters, Programme
from jiuzhu.rules.programmes.common import area

SOURCE = "晋价商字〔2012〕186号；晋中市民发〔2021〕40号"
REQUIRED = ("free_electricity.kwh_month",)


def build_free_electricity(p: Parameters, dibao_eligible: Step, tekun_eligible: Step) -> Programme:
    covered: list[Node] = [dibao_eligible.ref()]
    if p.raw("free_electricity.rural_tekun") is True:
        covered.append(And((tekun_eligible.ref(), area().eq("rural"))))
    if p.raw("free_electricity.urban_tekun") is True:
        covered.append(And((tekun_eligible.ref(), area().eq("urban"))))
    eligible = Step("free_electricity.eligible", "是否享受免费用电", Or(tuple(covered)), "bool")
    kwh = Step(
        "free_electricity.kwh_month",
        "每月免费用电量（千瓦时）",
        If(eligible.ref(), p.number("free_electricity.kwh_month"), Lit(Decimal(0))),
        "number",
    )
    amount = Step("free_electricity.amount_month", "免费用电（由供电企业按电量抵扣，无现金）", Lit(Decimal(0)))
    return Programme(
        id="free_electricity",
        label="免费用电",
        source=SOURCE,
        steps=[eligible, kwh, amount],
        eligible=eligible,
        amount_month=amount,
        outputs={"kwh_month": kwh},
        conditions=[
            Condition(
                eligible,
                "家庭为低保家庭或有符合条件的特困人员，每月免费用电 {kwh_month} 千瓦时",
                "家庭不是低保家庭，也没有符合条件的特困人员",
            )
        ],
        required=REQUIRED,
    )
