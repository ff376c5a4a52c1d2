"""残疾人两项补贴: 困难残疾人生活补贴 (members with a disability in the households the pack names:
低保 by default, some packs add 边缘 households or grade-3/4 intellectual and mental disability) and
重度残疾人护理补贴 (grade 1–2, some packs wider); amounts are local. 生活补贴 may differ by grade (一、二级 /
三、四级: 宣城 840 / 420 元/人·年, 合肥 277 / 185 元/人·月); 护理补贴 may differ by urban/rural (泰州 2024-07-01:
城镇 130, 农村 120 元/人·月) or by grade (陕西: 一级 120, 二级 80 元/人·月). An urban, rural or grade-1 amount is
used where a pack at least as specific as the one giving the uniform amount sets it.

Source: 国务院 国发〔2015〕52号《关于全面建立困难残疾人生活补贴和重度残疾人护理补贴制度的意见》.
"""

from __future__ import annotations

from decimal import Decimal

from jiuzhu.rules.expr import And, DivRound, If, Lit, Node, Or, Step, member_any, member_sum
from jiuzhu.rules.programmes.base import Condition, Parameters, Programme
from jiuzhu.rules.programmes.common import TWELVE, area, member

SOURCE = "国发〔2015〕52号《关于全面建立困难残疾人生活补贴和重度残疾人护理补贴制度的意见》"
REQUIRED = ("disability_subsidies.living.grade1_2", "disability_subsidies.care.amount")
CARE = "disability_subsidies.care.amount"


def _overrides(p: Parameters, specific: str, generic: str) -> bool:
    """Whether ``specific`` (an urban, rural or grade-1 amount) replaces ``generic`` (the uniform amount):
    it is set, and ``generic`` is neither overlaid by the case alone nor from a more specific pack."""
    own = p.resolved(specific)
    if own is None:
        return False
    base = p.resolved(generic)
    if base is None or own.overlaid:
        return True
    if base.overlaid:
        return False
    return len(own.region.rstrip("0")) >= len(base.region.rstrip("0"))


def care_subsidy_amount(p: Parameters, unit: str) -> Node:
    """当地重度残疾人护理补贴标准 for the household's area (the uniform amount unless an urban or rural one
    replaces it); also the cap of the 特困 全自理 care standard (宣政秘〔2024〕25号)."""
    uniform = p.money(CARE, unit)
    by_area = {
        setting: p.money(f"disability_subsidies.care.{setting}", unit)
        for setting in ("urban", "rural")
        if _overrides(p, f"disability_subsidies.care.{setting}", CARE)
    }
    if not by_area:
        return uniform
    return If(area().eq("urban"), by_area.get("urban", uniform), by_area.get("rural", uniform))


def build_disability_subsidies(p: Parameters, dibao_enrolled: Step, marginal_eligible: Step) -> Programme:
    rounding = p.rounding("money.rounding")
    grade = member("disability_grade", "残疾等级")
    kind = member("disability_type", "残疾类别")
    in_household = member("in_household", "是否共同生活家庭成员")
    scope = p.set_of("disability_subsidies.living.scope") or ("dibao",)
    covered: list[Node] = []
    if "dibao" in scope:
        covered.append(dibao_enrolled.ref())
    if "marginal" in scope:
        covered.append(And((marginal_eligible.ref(), in_household)))
    if "intellectual_mental_3_4" in scope:
        covered.append(And((kind.isin(["intellectual", "mental"]), grade >= 3, grade <= 4)))
    living_member = Step(
        "disability_subsidies.living_member",
        "符合困难残疾人生活补贴条件",
        And((grade >= 1, grade <= 4, Or(tuple(covered)))),
        "bool",
    )
    living_amount = Step(
        "disability_subsidies.living_member_month",
        "困难残疾人生活补贴（月）",
        If(
            living_member.ref(),
            DivRound(
                If(
                    grade <= 2,
                    p.money("disability_subsidies.living.grade1_2", "元/人·年"),
                    p.money("disability_subsidies.living.grade3_4", "元/人·年"),
                ),
                TWELVE,
                rounding,
            ),
            Lit(Decimal(0)),
        ),
    )
    severe: list[Node] = [And((grade >= 1, grade <= p.number("disability_subsidies.care.max_grade")))]
    if p.raw("disability_subsidies.care.intellectual_mental_max_grade") is not None:
        severe.append(
            And(
                (
                    kind.isin(["intellectual", "mental"]),
                    grade >= 1,
                    grade <= p.number("disability_subsidies.care.intellectual_mental_max_grade"),
                )
            )
        )
    care_member = Step("disability_subsidies.care_member", "符合重度残疾人护理补贴条件", Or(tuple(severe)), "bool")
    care_annual = care_subsidy_amount(p, "元/人·年")
    if _overrides(p, "disability_subsidies.care.grade1", CARE):
        care_annual = If(grade <= 1, p.money("disability_subsidies.care.grade1", "元/人·年"), care_annual)
    care_amount = Step(
        "disability_subsidies.care_member_month",
        "重度残疾人护理补贴（月）",
        If(
            care_member.ref(),
            DivRound(care_annual, TWELVE, rounding),
            Lit(Decimal(0)),
        ),
    )
    entitled = Step(
        "disability_subsidies.member",
        "享受残疾人两项补贴",
        Or((living_member.ref(), care_member.ref())),
        "bool",
    )
    living_total = Step(
        "disability_subsidies.living_month", "生活补贴合计（月）", member_sum(living_amount.ref(), "各成员生活补贴合计")
    )
    care_total = Step(
        "disability_subsidies.care_month", "护理补贴合计（月）", member_sum(care_amount.ref(), "各成员护理补贴合计")
    )
    any_member = Step(
        "disability_subsidies.any", "有成员符合两项补贴条件", member_any(entitled.ref(), "各成员是否符合"), "bool"
    )
    total = Step("disability_subsidies.total_month", "两项补贴合计（月）", living_total.ref() + care_total.ref())
    eligible = Step(
        "disability_subsidies.eligible", "是否享受残疾人两项补贴", And((any_member.ref(), total.ref() >= 0)), "bool"
    )
    amount = Step(
        "disability_subsidies.amount_month", "残疾人两项补贴（月）", If(eligible.ref(), total.ref(), Lit(Decimal(0)))
    )
    return Programme(
        id="disability_subsidies",
        label="残疾人两项补贴",
        source=SOURCE,
        steps=[
            living_member,
            living_amount,
            care_member,
            care_amount,
            entitled,
            living_total,
            care_total,
            any_member,
            total,
            eligible,
            amount,
        ],
        eligible=eligible,
        amount_month=amount,
        outputs={"living_subsidy_month": living_total, "care_subsidy_month": care_total},
        members_key="eligible_members",
        members_step=entitled,
        conditions=[
            Condition(
                any_member,
                "有持证残疾人符合困难残疾人生活补贴或重度残疾人护理补贴条件",
                "没有成员符合困难残疾人生活补贴或重度残疾人护理补贴条件",
            )
        ],
        required=REQUIRED,
    )
