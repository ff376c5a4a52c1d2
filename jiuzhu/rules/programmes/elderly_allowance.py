"""高龄津贴 (and similar age-tiered allowances for the old): up to three age tiers; each member gets the
highest tier reached on the as-of date. No national amount: each pack cites its own."""

from __future__ import annotations

from decimal import Decimal

from jiuzhu.rules.expr import MEMBER, AgeAtLeast, And, DivRound, If, Lit, Node, Step, member_any, member_sum
from jiuzhu.rules.programmes.base import Condition, Parameters, Programme
from jiuzhu.rules.programmes.common import TWELVE

SOURCE = "中华人民共和国老年人权益保障法第三十三条（高龄津贴由地方建立）"
REQUIRED = ("elderly_allowance.tier1.age", "elderly_allowance.tier1.amount")
TIERS = ("tier1", "tier2", "tier3")


def build_elderly_allowance(p: Parameters) -> Programme:
    rounding = p.rounding("money.rounding")
    tiers = [t for t in TIERS if p.raw(f"elderly_allowance.{t}.age") is not None]
    if not tiers:
        tiers = ["tier1"]
    annual: Node = Lit(Decimal(0), "未达高龄津贴年龄")
    reached: Node = Lit(False)
    for tier in tiers:  # lowest first; a higher tier reached replaces the lower one
        age = AgeAtLeast(MEMBER, p.number(f"elderly_allowance.{tier}.age"))
        annual = If(age, p.money(f"elderly_allowance.{tier}.amount", "元/人·年"), annual)
        reached = age if tier == tiers[0] else reached
    member_entitled = Step("elderly_allowance.member", "达到高龄津贴年龄", reached, "bool")
    member_amount = Step("elderly_allowance.member_month", "高龄津贴（月）", DivRound(annual, TWELVE, rounding))
    any_member = Step(
        "elderly_allowance.any", "有成员达到高龄津贴年龄", member_any(member_entitled.ref(), "各成员"), "bool"
    )
    total = Step("elderly_allowance.total_month", "高龄津贴合计（月）", member_sum(member_amount.ref(), "各成员合计"))
    eligible = Step("elderly_allowance.eligible", "是否享受高龄津贴", And((any_member.ref(), total.ref() >= 0)), "bool")
    amount = Step("elderly_allowance.amount_month", "高龄津贴（月）", If(eligible.ref(), total.ref(), Lit(Decimal(0))))
    return Programme(
        id="elderly_allowance",
        label="高龄津贴",
        source=SOURCE,
        steps=[member_entitled, member_amount, any_member, total, eligible, amount],
        eligible=eligible,
        amount_month=amount,
        members_key="eligible_members",
        members_step=member_entitled,
        conditions=[Condition(any_member, "有成员达到高龄津贴年龄", "没有成员达到高龄津贴年龄")],
        required=REQUIRED,
    )
