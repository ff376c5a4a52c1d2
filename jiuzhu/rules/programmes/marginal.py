"""低保边缘家庭: not eligible for 低保, per-capita income below the 边缘 line, property within the rule.

Sources: 民发〔2021〕57号 第八条; 民办函〔2024〕31号 (line = 1.5 × 低保标准, "低于"); a pack may
publish the line itself (002 印台: the 监测线 998 元/人·月, 8978 元/人·年), which then takes precedence.
"""

from __future__ import annotations

from decimal import Decimal

from jiuzhu.rules.expr import And, DivRound, If, Lit, Node, Not, Step
from jiuzhu.rules.money import FEN_HALF_UP
from jiuzhu.rules.programmes.base import Condition, Parameters, Programme
from jiuzhu.rules.programmes.common import TWELVE, Common, area

SOURCE = "民发〔2021〕57号《最低生活保障审核确认办法》第八条；民办函〔2024〕31号"


def _line_annual(p: Parameters, setting: str) -> Node:
    published = p.published(f"marginal.line.{setting}", ("marginal.income_multiplier", f"dibao.standard.{setting}"))
    if published is not None:
        return p.money(f"marginal.line.{setting}", "元/人·年")
    return p.number("marginal.income_multiplier") * p.money(f"dibao.standard.{setting}", "元/人·年")


def build_marginal(p: Parameters, c: Common, dibao_qualifies: Step, asset_test: Step) -> Programme:
    line_annual = Step(
        "marginal.line_annual",
        "低保边缘线（年）",
        If(area().eq("urban"), _line_annual(p, "urban"), _line_annual(p, "rural")),
    )
    line_month = Step("marginal.line_month", "低保边缘线（月）", DivRound(line_annual.ref(), TWELVE, FEN_HALF_UP))
    income_test = Step(
        "marginal.income_test",
        "收入条件：家庭人均收入低于低保边缘线",
        c.income_annual.ref() < line_annual.ref() * c.size.ref(),
        "bool",
    )
    not_dibao = Step("marginal.not_dibao", "不符合低保条件", Not(dibao_qualifies.ref()), "bool")
    eligible = Step(
        "marginal.eligible", "是否为低保边缘家庭", And((not_dibao.ref(), income_test.ref(), asset_test.ref())), "bool"
    )
    amount = Step("marginal.amount_month", "低保边缘家庭（身份认定，无现金补助）", Lit(Decimal(0)))
    return Programme(
        id="marginal",
        label="低保边缘家庭",
        source=SOURCE,
        steps=[line_annual, line_month, income_test, not_dibao, eligible, amount],
        eligible=eligible,
        amount_month=amount,
        outputs={"line_month": line_month, "per_capita_income_month": c.per_capita_income_month},
        conditions=[
            Condition(not_dibao, "", "家庭符合低保条件，按低保认定（低保优先于低保边缘）"),
            Condition(
                income_test,
                "家庭月人均收入 {per_capita_income_month} 元低于低保边缘线 {line_month} 元",
                "家庭月人均收入 {per_capita_income_month} 元不低于低保边缘线 {line_month} 元",
            ),
            Condition(asset_test, "", "家庭财产超过当地规定的限额"),
        ],
        notes=["低保边缘家庭为身份认定，不发放低保金；可按规定享受医疗、教育、住房、就业等专项救助"],
    )
