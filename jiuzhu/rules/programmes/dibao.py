"""最低生活保障（低保）: income and asset tests, the gap (补差), 分类施保 supplements, 单人保 and 渐退.

Sources: 社会救助暂行办法 (国务院令第649号) 第九、十二条; 最低生活保障审核确认办法
(民发〔2021〕57号) 第七、十三、十四、二十三、二十七条; 渐退: 民发〔2022〕83号 (原则上不超过6个月);
each pack cites its local figures.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from jiuzhu.rules.case import PHASE_OUT_REASONS
from jiuzhu.rules.expr import (
    HOUSEHOLD,
    MEMBER,
    AgeAtLeast,
    And,
    Coalesce,
    DivRound,
    If,
    Input,
    Lit,
    MoneySum,
    Node,
    Not,
    Or,
    Step,
    WithinMonths,
    maximum,
    member_any,
    member_count,
    member_sum,
    month_window_last_day,
)
from jiuzhu.rules.money import FEN_HALF_UP, money_text
from jiuzhu.rules.programmes.base import Condition, Parameters, Programme, lit_years
from jiuzhu.rules.programmes.common import TWELVE, Common, common_steps, member

SOURCE = "社会救助暂行办法第九、十二条；民发〔2021〕57号《最低生活保障审核确认办法》"
SUPPLEMENT_CATEGORIES = ("elderly", "minor", "severe_disability", "serious_illness")


def _supplement_amount(p: Parameters, c: Common, category: str) -> Node | None:
    """One category's monthly supplement for a member, before rounding (None: the pack sets none)."""
    name = f"dibao.category_supplement.{category}"
    unit = p.unit_of(name)
    if unit is None:
        return None
    if unit == "倍标准":
        return p.number(name) * c.standard_annual.ref()  # annual amount; divided by 12 once, when rounded
    return p.money(name, "元/人·年")


def _member_in_category(p: Parameters, category: str) -> Node:
    if category == "elderly":
        return AgeAtLeast(MEMBER, p.number("dibao.category_supplement.elderly_age"))
    if category == "minor":
        return ~AgeAtLeast(MEMBER, lit_years(18))
    if category == "severe_disability":
        grade = member("disability_grade", "残疾等级")
        return And((grade >= 1, grade <= 2))
    return member("serious_illness", "是否患重病")


# 渐退 and exit (DOMAIN.md §2.9): ``household.dibao_enrollment.phase_out`` says why the enrolled household
# is leaving 低保 and when that began. Its absence means no 渐退 or exit is under way (never "unknown"):
# the reason is then "none" and every rule below reads as before.
PHASE_OUT_TRIGGERS = {
    "employment": "家庭成员就业等原因使家庭人均收入超过低保标准",
    "voluntary": "家庭主动申报退出低保",
}
PHASE_OUT_MONTHS = {
    "employment": ("dibao.phase_out.months", "dibao.phase_out.registered_poor.months"),
    "voluntary": ("dibao.phase_out.voluntary.months", "dibao.phase_out.voluntary.registered_poor.months"),
}


def _phase_out_reason() -> Node:
    return Coalesce(Input(HOUSEHOLD, "dibao_phase_out_reason", "渐退（退出）原因"), Lit("none", "未申报渐退或退出"))


def _phase_out_months(p: Parameters, trigger: str) -> Node:
    """The 渐退期 for a trigger: the pack's months, or, for a 建档立卡（脱贫）household, the months the pack
    sets for them where they differ. A pack that sets none gives no 渐退期 (0 months): the national text
    leaves 渐退 to local rules (民发〔2021〕57号: "可给予一定时间的渐退期")."""
    name, poor_name = PHASE_OUT_MONTHS[trigger]
    months: Node = (
        p.number(name)
        if p.raw(name) is not None
        else Lit(Decimal(0), f"本地未规定{PHASE_OUT_TRIGGERS[trigger]}的渐退期（0个月）")
    )
    poor = p.raw(poor_name)
    if poor is None or poor == (p.raw(name) or Decimal(0)):
        return months
    return If(Input(HOUSEHOLD, "dibao_registered_poor", "是否建档立卡（脱贫）户"), p.number(poor_name), months)


def _phase_out_window(months: Node) -> Node:
    """The 渐退 began within ``months`` whole months up to the as-of date. The bound must be a constant
    (it is computed from the as-of date in Python), so a choice of months becomes a choice of windows."""
    if isinstance(months, If):
        return If(months.cond, _phase_out_window(months.then), _phase_out_window(months.other))
    return WithinMonths(HOUSEHOLD, "dibao_phase_out_start", "渐退（退出）开始日期", months)


def _month_text(day: dt.date) -> str:
    return f"{day.year}年{day.month}月"


def phase_out_output(
    ctx: Any, active: Step, months: Step, income_test: Step, exit_award: Step | None
) -> dict[str, Any]:
    """``phase_out_until`` (the last day of the running 渐退期) and the Chinese reasons about 渐退 and exit.

    The month arithmetic here is for the output only; eligibility was decided by the rule trees."""
    output: dict[str, Any] = {"phase_out_until": None, "reasons": []}
    reason = ctx.input(HOUSEHOLD, "dibao_phase_out_reason", 0)
    start = ctx.input(HOUSEHOLD, "dibao_phase_out_start", 0)
    if reason is None or start is None:
        return output
    values = ctx.household_values
    running, count = values[active.name][0], values[months.name][0]
    last = None if count is None else month_window_last_day(start, int(count))
    trigger = PHASE_OUT_TRIGGERS[reason]
    if running and last is not None:
        output["phase_out_until"] = last.isoformat()
        output["reasons"].append(
            f"{trigger}，给予{int(count)}个月渐退期（自{_month_text(start)}起）：渐退期内继续发放，至{_month_text(last)}"
        )
    elif values[income_test.name][0] is False and count is not None:
        if last is None:
            output["reasons"].append(f"{trigger}，本地未规定渐退期，不再发放")
        elif ctx.as_of > last:
            output["reasons"].append(f"{trigger}，{int(count)}个月渐退期已于{_month_text(last)}届满，不再发放")
    if exit_award is not None and reason == "voluntary":
        award = values[exit_award.name][0]
        if award is not None:
            output["reasons"].append(f"主动申请退出低保，按规定一次性发给低保金 {money_text(award)} 元")
    return output


def build_asset_test(p: Parameters, c: Common) -> Step:
    """财产条件 (民发〔2021〕57号第十四、十七条; limits are local): shared by 低保, 特困, 边缘 and 刚性."""
    deposits = Input(HOUSEHOLD, "deposits", "存款等金融资产")
    houses = Input(HOUSEHOLD, "houses", "住房套数")
    vehicles = Input(HOUSEHOLD, "vehicles_private", "非生活必需机动车辆")
    asset_parts: list[Node] = []
    if p.raw("dibao.assets.deposit_limit_months") is not None:
        # deposits ≤ months × monthly standard × persons, compared on annual terms (no division)
        asset_parts.append(
            deposits * TWELVE <= p.number("dibao.assets.deposit_limit_months") * c.standard_annual.ref() * c.size.ref()
        )
    if p.raw("dibao.assets.max_houses") is not None:
        asset_parts.append(houses <= p.number("dibao.assets.max_houses"))
    if p.raw("dibao.assets.max_private_vehicles") is not None:
        asset_parts.append(vehicles <= p.number("dibao.assets.max_private_vehicles"))
    return Step(
        "dibao.asset_test",
        "财产条件：家庭财产状况符合当地规定",
        And(tuple(asset_parts)) if asset_parts else Lit(True, "本地未规定财产限额"),
        "bool",
    )


def build_dibao(p: Parameters, c: Common, asset_test: Step, tekun_member: Step) -> Programme:
    rounding = p.rounding("money.rounding")
    # 特困 > 低保 (国办发〔2023〕39号): a member who is 特困 is supported as such and leaves the 低保
    # household, with their own income; where 特困 cannot be determined, the member stays in.
    is_tekun = Coalesce(tekun_member.ref(), Lit(False, "特困条件无法判断，按未认定特困计"))
    covered_member = Step(
        "dibao.covered_member",
        "计入低保家庭（共同生活且非特困人员）",
        And((member("in_household", "是否共同生活家庭成员"), Not(is_tekun))),
        "bool",
    )
    in_household: Node = covered_member.ref()
    size = Step("dibao.size", "低保家庭人数（不含特困人员）", member_count(in_household, "计入人数"), "number")
    tekun_income = Step(
        "dibao.tekun_income_annual",
        "特困人员本人收入（不计入低保家庭）",
        member_sum(
            If(
                And((member("in_household", "是否共同生活家庭成员"), is_tekun)),
                MoneySum("incomes", c.counted_types, MEMBER, "本人计入收入"),
                Lit(Decimal(0)),
            ),
            "特困人员收入合计",
        ),
    )
    income = Step("dibao.income_annual", "低保家庭计入年收入", maximum(c.income_annual.ref() - tekun_income.ref(), 0))
    per_capita = Step(
        "dibao.covered_per_capita_income_month",
        "低保家庭月人均收入（不含特困人员）",
        If(size.ref() >= 1, DivRound(income.ref(), size.ref() * TWELVE, FEN_HALF_UP), c.per_capita_income_month.ref()),
    )

    income_test = Step(
        "dibao.income_test",
        "收入条件：家庭人均收入低于低保标准",
        income.ref() < c.standard_annual.ref() * size.ref(),
        "bool",
    )
    qualifies = Step("dibao.qualifies", "收入和财产条件均符合", income_test.ref() & asset_test.ref(), "bool")

    # 渐退: an enrolled household whose income no longer passes the test, all else still met, keeps its
    # previous 低保金 for the pack's months (counted in whole months, the month the 渐退 began first).
    reason = _phase_out_reason()
    employment_months = _phase_out_months(p, "employment")
    voluntary_months = _phase_out_months(p, "voluntary")
    phase_out_months = Step(
        "dibao.phase_out_months",
        "渐退期（月）",
        If(reason.eq("voluntary"), voluntary_months, employment_months),
        "number",
    )
    previous = Input(HOUSEHOLD, "dibao_amount_month", "渐退前每月低保金")
    phase_out = Step(
        "dibao.phase_out",
        "渐退期内：收入已超过低保标准、其他条件仍符合，继续发放原低保金",
        If(
            reason.isin(PHASE_OUT_REASONS),
            And(
                (
                    phase_out_months.ref() >= 1,
                    If(
                        reason.eq("voluntary"),
                        _phase_out_window(voluntary_months),
                        _phase_out_window(employment_months),
                    ),
                    Not(income_test.ref()),
                    asset_test.ref(),
                    size.ref() >= 1,
                )
            ),
            Lit(False, "未申报渐退或退出"),
        ),
        "bool",
    )
    household_covered = Step(
        "dibao.household_covered", "全户纳入低保（含渐退期）", Or((qualifies.ref(), phase_out.ref())), "bool"
    )
    exit_award: Step | None = None
    if p.raw("dibao.exit_award.months") is not None:
        exit_award = Step(
            "dibao.exit_award",
            "主动退出一次性发给的低保金",
            If(reason.eq("voluntary"), p.number("dibao.exit_award.months") * previous, Lit(Decimal(0))),
        )

    gap = Step(
        "dibao.gap_month",
        "补差金额（月）",
        DivRound(maximum(c.standard_annual.ref() * size.ref() - income.ref(), 0), TWELVE, rounding),
    )

    # 分类施保: each covered member gets the highest (or the sum) of the categories they fall in,
    # each member's supplement rounded before summing (case-format.md, money.rounding).
    amounts: list[Node] = []
    for category in SUPPLEMENT_CATEGORIES:
        category_amount = _supplement_amount(p, c, category)
        if category_amount is not None:
            amounts.append(If(_member_in_category(p, category), category_amount, Lit(Decimal(0))))
    if amounts:
        combined: Node = amounts[0]
        for extra in amounts[1:]:
            combined = (
                maximum(combined, extra)
                if p.choice("dibao.category_supplement.stacking", "highest") == "highest"
                else combined + extra
            )
        per_member: Node = If(in_household, DivRound(combined, TWELVE, rounding), Lit(Decimal(0)))
    else:
        per_member = Lit(Decimal(0), "本地未规定分类施保")
    supplement_member = Step("dibao.supplement_member_month", "分类施保金额（月）", per_member)
    supplement = Step(
        "dibao.supplement_month", "分类施保合计（月）", member_sum(supplement_member.ref(), "各成员分类施保合计")
    )

    all_tekun = Step(
        "dibao.all_tekun",
        "共同生活成员均为特困人员",
        And((size.ref() < 1, member_any(And((member("in_household", "是否共同生活家庭成员"), is_tekun)), "各成员"))),
        "bool",
    )
    household_total = Step("dibao.household_total_month", "低保金（全户，月）", gap.ref() + supplement.ref())

    # 单人保 (民发〔2021〕57号第八条): a household that fails the 低保 test but whose per-capita income is below
    # the multiplier × standard may have its severely disabled or seriously ill members enrolled alone, each
    # treated as a one-person household (参照单人户): the standard less their own counted income, plus
    # their supplement.
    individual_steps: list[Step] = []
    individual_total: Node = Lit(Decimal(0))
    individual_member: Step | None = None
    if p.raw("dibao.individual.household_multiplier") is not None:
        grade = member("disability_grade", "残疾等级")
        kind = member("disability_type", "残疾类别")
        conditions: list[Node] = [
            And((grade >= 1, grade <= p.number("dibao.individual.disability_max_grade"))),
            And(
                (
                    kind.isin(["intellectual", "mental"]),
                    grade >= 1,
                    grade <= p.number("dibao.individual.intellectual_mental_max_grade"),
                )
            ),
        ]
        if p.raw("dibao.individual.serious_illness") is True:
            conditions.append(member("serious_illness", "是否患重病").eq(True))
        household_test = Step(
            "dibao.individual_household_test",
            "单人保家庭条件：家庭人均收入低于低保标准的规定倍数",
            income.ref() < p.number("dibao.individual.household_multiplier") * c.standard_annual.ref() * size.ref(),
            "bool",
        )
        own_income = MoneySum("incomes", c.counted_types, MEMBER, "本人计入收入")
        individual_member = Step(
            "dibao.individual_member",
            "单独纳入低保（单人保）",
            And(
                (
                    Not(household_covered.ref()),
                    household_test.ref(),
                    asset_test.ref(),
                    in_household,
                    Or(tuple(conditions)),
                    own_income < c.standard_annual.ref(),
                )
            ),
            "bool",
        )
        individual_amount = Step(
            "dibao.individual_amount_member_month",
            "单人保低保金（月）",
            If(
                individual_member.ref(),
                DivRound(maximum(c.standard_annual.ref() - own_income, 0), TWELVE, rounding) + supplement_member.ref(),
                Lit(Decimal(0)),
            ),
        )
        any_individual = Step(
            "dibao.any_individual", "有成员单独纳入低保", member_any(individual_member.ref(), "各成员"), "bool"
        )
        individual_sum = Step(
            "dibao.individual_total_month", "单人保低保金合计（月）", member_sum(individual_amount.ref(), "各成员合计")
        )
        individual_steps = [household_test, individual_member, individual_amount, any_individual, individual_sum]
        covered: Node = Or((household_covered.ref(), any_individual.ref()))
        individual_total = individual_sum.ref()
    else:
        covered = household_covered.ref()

    supplement_shown = Step(
        "dibao.supplement_paid_month",
        "分类施保合计（月，纳入保障的成员）",
        If(
            qualifies.ref(),
            supplement.ref(),
            member_sum(If(individual_member.ref(), supplement_member.ref(), Lit(Decimal(0))), "单人保成员分类施保")
            if individual_member is not None
            else supplement.ref(),
        ),
    )
    total = Step(
        "dibao.total_month",
        "低保金（月）",
        If(qualifies.ref(), household_total.ref(), If(phase_out.ref(), previous, individual_total)),
    )
    # Eligible only when the amount can also be determined (unknown facts make it null, never zero).
    eligible = Step("dibao.eligible", "是否符合低保条件", And((covered, total.ref() >= 0)), "bool")
    amount = Step("dibao.amount_month", "低保金（月）", If(eligible.ref(), total.ref(), Lit(Decimal(0))))
    enrolled = Step(
        "dibao.enrolled_member",
        "纳入保障",
        If(household_covered.ref(), And((eligible.ref(), in_household)), individual_member.ref())
        if individual_member is not None
        else And((eligible.ref(), in_household)),
        "bool",
    )
    individual_conditions = (
        [
            Condition(
                individual_steps[3],
                "家庭人均收入低于低保标准的规定倍数，重度残疾或重病成员按单人户单独纳入低保（单人保）",
                "",
            )
        ]
        if individual_steps
        else []
    )
    return Programme(
        id="dibao",
        label="最低生活保障",
        source=SOURCE,
        steps=[
            *common_steps(c),
            covered_member,
            size,
            tekun_income,
            income,
            per_capita,
            income_test,
            asset_test,
            qualifies,
            gap,
            supplement_member,
            supplement,
            all_tekun,
            household_total,
            phase_out_months,
            phase_out,
            household_covered,
            *([exit_award] if exit_award is not None else []),
            *individual_steps,
            supplement_shown,
            total,
            eligible,
            amount,
            enrolled,
        ],
        eligible=eligible,
        amount_month=amount,
        outputs={
            "standard_month": c.standard_month,
            "per_capita_income_month": per_capita,
            "gap_month": gap,
            "supplement_month": supplement_shown,
            **({"individual_month": individual_steps[4]} if individual_steps else {}),
            **({"exit_award": exit_award} if exit_award is not None else {}),
        },
        members_key="enrolled_members",
        members_step=enrolled,
        conditions=[
            Condition(
                income_test,
                "家庭月人均收入 {per_capita_income_month} 元低于低保标准 {standard_month} 元",
                "家庭月人均收入 {per_capita_income_month} 元不低于低保标准 {standard_month} 元",
            ),
            Condition(asset_test, "家庭财产状况符合当地规定", "家庭财产超过当地规定的限额"),
            Condition(all_tekun, "家庭成员均符合特困人员条件，按特困人员救助供养（特困优先于低保）", ""),
            *individual_conditions,
        ],
        extra=lambda ctx: phase_out_output(ctx, phase_out, phase_out_months, income_test, exit_award),
    )
