"""高龄津贴 (and similar age-tiered allowances for the old): up to four age tiers; each member gets the
highest tier reached on the as-of date. No national amount: each pack cites its own.

Some provinces pay it only to 经济困难 old people (000 晋中, 市民发〔2021〕40号 二（十四）: "经济困难的高龄和失能
老年人'两补'"): the pack then lists the assistance statuses that count (``elderly_allowance.scope``) and may
name an age from which everyone is paid whatever the household's means (百岁老人, ``scope_exempt_age``).
Without a scope the allowance does not look at the household's means."""

from __future__ import annotations

from decimal import Decimal

from jiuzhu.rules.expr import MEMBER, AgeAtLeast, And, DivRound, If, Lit, Node, Or, Step, member_any, member_sum
from jiuzhu.rules.programmes.base import Condition, Parameters, Programme
from jiuzhu.rules.programmes.common import TWELVE, member

SOURCE = "中华人民共和国老年人权益保障法第三十三条（高龄津贴由地方建立）"
REQUIRED = ("elderly_allowance.tier1.age", "elderly_allowance.tier1.amount")
TIERS = ("tier1", "tier2", "tier3", "tier4")


def _means_test(p: Parameters, dibao_enrolled: Step, tekun_member: Step, marginal_eligible: Step) -> Step | None:
    """经济困难: the member is one of the statuses the pack lists, or has reached the exempt age."""
    scope = p.set_of("elderly_allowance.scope")
    if not scope:
        return None
    covered: list[Node] = []
    if "dibao" in scope:
        covered.append(dibao_enrolled.ref())
    if "tekun" in scope:
        covered.append(tekun_member.ref())
    if "marginal" in scope:
        covered.append(And((marginal_eligible.ref(), member("in_household", "是否共同生活家庭成员"))))
    if p.raw("elderly_allowance.scope_exempt_age") is not None:
        covered.append(AgeAtLeast(MEMBER, p.number("elderly_allowance.scope_exempt_age")))
    return Step(
        "elderly_allowance.means_tested",
        "属于经济困难老年人（本地规定的救助对象），或已达不论经济状况均发放的年龄",
        Or(tuple(covered)),
        "bool",
    )


def build_elderly_allowance(
    p: Parameters, dibao_enrolled: Step, tekun_member: Step, marginal_eligible: Step
) -> Programme:
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
    means = _means_test(p, dibao_enrolled, tekun_member, marginal_eligible)
    if means is None:
        member_entitled = Step("elderly_allowance.member", "达到高龄津贴年龄", reached, "bool")
        member_amount = Step("elderly_allowance.member_month", "高龄津贴（月）", DivRound(annual, TWELVE, rounding))
        found, not_found = "有成员达到高龄津贴年龄", "没有成员达到高龄津贴年龄"
    else:
        member_entitled = Step(
            "elderly_allowance.member", "达到高龄津贴年龄且属于经济困难老年人", And((reached, means.ref())), "bool"
        )
        member_amount = Step(
            "elderly_allowance.member_month",
            "高龄津贴（月）",
            If(member_entitled.ref(), DivRound(annual, TWELVE, rounding), Lit(Decimal(0), "不符合条件")),
        )
        found = "有成员达到高龄津贴年龄且属于经济困难老年人（本地规定的救助对象）"
        not_found = "没有成员既达到高龄津贴年龄又属于经济困难老年人（本地高龄津贴只发给规定的救助对象）"
    any_member = Step("elderly_allowance.any", found, member_any(member_entitled.ref(), "各成员"), "bool")
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
        conditions=[Condition(any_member, found, not_found)],
        required=REQUIRED,
    )
