"""困境儿童基本生活补贴: children (under the age limit) in 低保 households and seriously ill or severely
disabled children get a share of the local 散居孤儿 basic allowance (001 泰州: "不低于50%")."""

from __future__ import annotations

from decimal import Decimal

from jiuzhu.rules.expr import MEMBER, AgeAtLeast, And, DivRound, If, Lit, Or, Step, member_any, member_sum
from jiuzhu.rules.programmes.base import Condition, Parameters, Programme
from jiuzhu.rules.programmes.common import TWELVE, member

SOURCE = "国发〔2016〕36号《关于加强困境儿童保障工作的意见》；地方困境儿童基本生活保障规定"
REQUIRED = ("child_allowance.orphan_standard", "child_allowance.share", "child_allowance.age_limit")


def build_child_allowance(p: Parameters, dibao_enrolled: Step) -> Programme:
    rounding = p.rounding("money.rounding")
    grade = member("disability_grade", "残疾等级")
    child = ~AgeAtLeast(MEMBER, p.number("child_allowance.age_limit"))
    in_difficulty = Or(
        (
            dibao_enrolled.ref(),
            member("serious_illness", "是否患重病").eq(True),
            And((grade >= 1, grade <= p.number("child_allowance.severe_disability_max_grade"))),
        )
    )
    entitled = Step("child_allowance.member", "符合困境儿童基本生活补贴条件", And((child, in_difficulty)), "bool")
    per_child = Step(
        "child_allowance.member_month",
        "困境儿童基本生活补贴（月）",
        If(
            entitled.ref(),
            DivRound(
                p.number("child_allowance.share") * p.money("child_allowance.orphan_standard", "元/人·年"),
                TWELVE,
                rounding,
            ),
            Lit(Decimal(0)),
        ),
    )
    any_child = Step("child_allowance.any", "有儿童符合条件", member_any(entitled.ref(), "各成员"), "bool")
    total = Step(
        "child_allowance.total_month", "困境儿童基本生活补贴合计（月）", member_sum(per_child.ref(), "各儿童合计")
    )
    eligible = Step(
        "child_allowance.eligible", "是否享受困境儿童基本生活补贴", And((any_child.ref(), total.ref() >= 0)), "bool"
    )
    amount = Step(
        "child_allowance.amount_month", "困境儿童基本生活补贴（月）", If(eligible.ref(), total.ref(), Lit(Decimal(0)))
    )
    return Programme(
        id="child_allowance",
        label="困境儿童基本生活补贴",
        source=SOURCE,
        steps=[entitled, per_child, any_child, total, eligible, amount],
        eligible=eligible,
        amount_month=amount,
        members_key="eligible_members",
        members_step=entitled,
        conditions=[
            Condition(
                any_child,
                "家中有低保家庭儿童或重病、重残儿童",
                "家中没有低保家庭儿童或重病、重残儿童",
            )
        ],
        required=REQUIRED,
    )
