"""特困人员救助供养: no labour capacity, no source of living, no obligor able to support; the basic
standard (≥ 1.3 × 低保标准 or the published figure) plus the care standard by self-care ability.

Where a published basic standard includes the person's 城乡居民基础养老金 and the notice names the lower
财政补助标准 (合肥县域 2023-07-01: 13744 元/年, 其中财政补助标准 12359 元; DOMAIN.md §2.7), the 特困 payment pays the
财政补助标准 and ``basic_standard_month`` still shows the whole standard. Where the pack says so (宣政秘〔2024〕25号),
the 全自理 care standard is capped at the local 重度残疾人护理补贴标准.

Sources: 社会救助暂行办法第十四条; 民发〔2021〕43号《特困人员认定办法》第五、六、八、二十一、二十二条.
"""

from __future__ import annotations

from decimal import Decimal

from jiuzhu.rules.expr import (
    MEMBER,
    OBLIGOR,
    AgeAtLeast,
    And,
    DivRound,
    If,
    Input,
    Lit,
    MoneySum,
    Node,
    Or,
    Step,
    member_any,
    member_count,
    member_sum,
    minimum,
    obligor_all,
)
from jiuzhu.rules.money import FEN_HALF_UP
from jiuzhu.rules.programmes.base import Condition, Parameters, Programme, lit_years
from jiuzhu.rules.programmes.common import TWELVE, Common, area, member
from jiuzhu.rules.programmes.disability_subsidies import care_subsidy_amount

SOURCE = "社会救助暂行办法第十四条；民发〔2021〕43号《特困人员认定办法》"
LEVELS = ("full", "partial", "none")
SETTINGS = ("institutional", "home_based")


def _basic_month(p: Parameters, setting: str) -> Node:
    name = f"tekun.basic_standard.{setting}"
    if p.published(name, ("tekun.basic_standard.multiplier", f"dibao.standard.{setting}")) is not None:
        return DivRound(p.money(name, "元/人·年"), TWELVE, FEN_HALF_UP)
    formula = p.number("tekun.basic_standard.multiplier") * p.money(f"dibao.standard.{setting}", "元/人·年")
    return DivRound(formula, TWELVE, p.rounding("tekun.basic_standard.rounding", "none"))


def _subsidy_used(p: Parameters, setting: str) -> bool:
    """A published 财政补助标准 applies: it is set and the published standard it belongs to is in use (the
    case overlays neither the standard's formula inputs alone nor the standard alone)."""
    figure = f"tekun.basic_standard.{setting}"
    name = f"tekun.basic_standard.subsidy.{setting}"
    inputs = ("tekun.basic_standard.multiplier", f"dibao.standard.{setting}")
    return p.published(figure, inputs) is not None and p.published(name, (figure, *inputs)) is not None


def _subsidy_month(p: Parameters, setting: str) -> Node:
    """The 财政补助标准 paid where the published standard includes the 基础养老金; else the whole standard."""
    if not _subsidy_used(p, setting):
        return _basic_month(p, setting)
    return DivRound(p.money(f"tekun.basic_standard.subsidy.{setting}", "元/人·年"), TWELVE, FEN_HALF_UP)


def _has_subsidy(p: Parameters) -> bool:
    return any(_subsidy_used(p, setting) for setting in ("urban", "rural"))


def _care_annual(p: Parameters, setting: str, level: str) -> Node | None:
    generic = f"tekun.care_standard.{level}"
    specific = f"tekun.care_standard.{setting}.{level}"
    name = generic if p.set.overlaid(generic) or p.raw(specific) is None else specific
    unit = p.unit_of(name)
    if unit is None:
        return None
    if unit == "倍最低工资":
        return p.number(name) * p.money("minimum_wage.month", "元/年")
    return p.money(name, "元/人·年")


def _has_care_parameters(p: Parameters) -> bool:
    return any(
        p.raw(f"tekun.care_standard.{level}") is not None
        or any(p.raw(f"tekun.care_standard.{s}.{level}") is not None for s in SETTINGS)
        for level in LEVELS
    )


def build_tekun(p: Parameters, c: Common, asset_test: Step) -> Programme:
    rounding = p.rounding("money.rounding")
    grade = member("disability_grade", "残疾等级")
    kind = member("disability_type", "残疾类别")
    disabled_parts: list[Node] = [
        And(
            (
                kind.isin(["intellectual", "mental"]),
                grade >= 1,
                grade <= p.number("tekun.disability.intellectual_mental_max_grade"),
            )
        ),
        And((kind.eq("physical"), grade >= 1, grade <= p.number("tekun.disability.physical_max_grade"))),
        And((kind.eq("visual"), grade >= 1, grade <= p.number("tekun.disability.visual_max_grade"))),
    ]
    if p.raw("tekun.disability.other_max_grade") is not None:
        disabled_parts.append(And((grade >= 1, grade <= p.number("tekun.disability.other_max_grade"))))
    no_labour = Step(
        "tekun.no_labour_capacity",
        "无劳动能力",
        Or(
            (
                member("labour_capacity", "劳动能力").eq("none"),
                AgeAtLeast(MEMBER, p.number("tekun.age_elderly")),
                ~AgeAtLeast(MEMBER, p.number("tekun.age_minor")),
                Or(tuple(disabled_parts)),
            )
        ),
        "bool",
    )
    own_income = Step(
        "tekun.own_income_annual",
        "本人年收入（计入部分）",
        MoneySum("incomes", c.counted_types, MEMBER, "本人计入收入"),
    )
    no_income = Step(
        "tekun.no_income_source", "无生活来源：本人收入低于低保标准", own_income.ref() < c.standard_annual.ref(), "bool"
    )

    disposable = If(
        area().eq("urban"),
        p.money("income.disposable_per_capita.urban", "元/人·年"),
        p.money("income.disposable_per_capita.rural", "元/人·年"),
    )
    age = Input(OBLIGOR, "age", "年龄")
    status = Input(OBLIGOR, "status", "救助身份")
    poor = Input(OBLIGOR, "annual_income", "年收入") < disposable * Input(OBLIGOR, "household_size", "家庭人口")
    unable = Or(
        (
            status.eq("tekun"),
            And((status.eq("dibao"), age >= p.number("tekun.obligor.dibao_age"))),
            And((age >= p.number("tekun.obligor.elderly_age"), poor)),
            And((Input(OBLIGOR, "severe_disability", "是否重度残疾").eq(True), poor)),
            Input(OBLIGOR, "incapacitated", "是否无民事行为能力、失踪或服刑").eq(True),
        )
    )
    no_obligor = Step(
        "tekun.no_able_obligor", "无法定义务人，或义务人无履行能力", obligor_all(unable, "各义务人均无履行能力"), "bool"
    )
    # A spouse, parent or adult child living in the household is a legal obligor too (民法典第一千零五十九、
    # 一千零六十七条); the case lists relations to the head only, so jiuzhu takes any other co-resident adult
    # under the obligor age limit, with (some) labour capacity and no severe disability, as an obligor able
    # to support (a conservative reading of 特困办法第八条, shown in the trace); such a person is not 特困
    # but may be covered by the household's 低保.
    able_adult = And(
        (
            member("in_household", "是否共同生活家庭成员"),
            member("labour_capacity", "劳动能力").isin(["full", "partial"]),
            Or((grade < 1, grade > 2)),
            AgeAtLeast(MEMBER, lit_years(18)),
            ~AgeAtLeast(MEMBER, p.number("tekun.obligor.elderly_age")),
        )
    )
    able_count = Step(
        "tekun.able_adults",
        "共同生活的有劳动能力成年人数",
        member_count(able_adult, "有劳动能力的成年人"),
        "number",
    )
    no_obligor_at_home = Step(
        "tekun.no_obligor_at_home",
        "共同生活的家庭成员中无有履行能力的法定义务人",
        able_count.ref() - If(able_adult, Lit(Decimal(1)), Lit(Decimal(0))) < 1,
        "bool",
    )
    eligible_member = Step(
        "tekun.eligible_member",
        "符合特困人员条件",
        And((no_labour.ref(), no_income.ref(), no_obligor.ref(), no_obligor_at_home.ref(), asset_test.ref())),
        "bool",
    )

    basic = Step(
        "tekun.basic_standard_month",
        "特困人员基本生活标准（月）",
        If(area().eq("urban"), _basic_month(p, "urban"), _basic_month(p, "rural")),
    )
    notes = []
    paid = basic
    if _has_subsidy(p):
        paid = Step(
            "tekun.subsidy_standard_month",
            "特困人员基本生活费财政补助标准（月，实际发放）",
            If(area().eq("urban"), _subsidy_month(p, "urban"), _subsidy_month(p, "rural")),
        )
        notes.append("本地公布的特困人员基本生活标准含本人城乡居民基础养老金，特困供养金按其中的财政补助标准发放")
    if _has_care_parameters(p):
        self_care = member("self_care", "生活自理能力")
        setting = member("care_setting", "供养方式")

        def by_setting(level: str) -> Node:
            inst = _care_annual(p, "institutional", level)
            home = _care_annual(p, "home_based", level)
            missing = p.money(f"tekun.care_standard.{level}", "元/人·年")
            value: Node = If(setting.eq("institutional"), inst or missing, home or missing)
            cap = "tekun.care_standard.full_cap"
            if level == "full" and p.raw(cap) is not None:
                value = If(p.flag(cap), minimum(value, care_subsidy_amount(p, "元/人·年")), value)
            return value

        care_annual: Node = If(
            self_care.eq("full"),
            by_setting("full"),
            If(self_care.eq("partial"), by_setting("partial"), by_setting("none")),
        )
        care_member = Step(
            "tekun.care_standard_member_month", "照料护理标准（月）", DivRound(care_annual, TWELVE, rounding)
        )
    else:
        care_member = Step("tekun.care_standard_member_month", "照料护理标准（月）", Lit(None, "本地未设置"))
        notes.append("本地区参数包未设置照料护理标准，金额未含照料护理费")
    care_due = If(Input(MEMBER, "is_first", "是否第一名成员"), care_member.ref(), Lit(Decimal(0)))
    basic_member = Step(
        "tekun.amount_member_month",
        "特困供养金（月）",
        If(
            eligible_member.ref(),
            DivRound(paid.ref(), Lit(Decimal(1), "1"), rounding)
            + (care_member.ref() if _has_care_parameters(p) else Lit(Decimal(0))),
            Lit(Decimal(0)),
        ),
    )
    any_eligible = Step(
        "tekun.any_eligible", "有符合特困条件的成员", member_any(eligible_member.ref(), "各成员是否符合"), "bool"
    )
    total = Step("tekun.total_month", "特困供养金合计（月）", member_sum(basic_member.ref(), "符合条件成员合计"))
    eligible = Step("tekun.eligible", "是否符合特困人员条件", And((any_eligible.ref(), total.ref() >= 0)), "bool")
    amount = Step("tekun.amount_month", "特困供养金（月）", If(eligible.ref(), total.ref(), Lit(Decimal(0))))
    care_output = Step(
        "tekun.care_standard_month",
        "照料护理标准（月）",
        If(
            any_eligible.ref(),
            member_sum(If(eligible_member.ref(), care_member.ref(), Lit(Decimal(0))), "符合条件成员照料护理标准合计"),
            member_sum(care_due, "第一名成员的照料护理标准"),
        ),
    )
    return Programme(
        id="tekun",
        label="特困人员救助供养",
        source=SOURCE,
        steps=[
            no_labour,
            own_income,
            no_income,
            no_obligor,
            able_count,
            no_obligor_at_home,
            eligible_member,
            basic,
            care_member,
            basic_member,
            any_eligible,
            total,
            eligible,
            amount,
            care_output,
        ],
        eligible=eligible,
        amount_month=amount,
        outputs={
            "basic_standard_month": basic,
            "care_standard_month": care_output,
            **({"subsidy_standard_month": paid} if paid is not basic else {}),
        },
        members_key="eligible_members",
        members_step=eligible_member,
        conditions=[
            Condition(
                any_eligible,
                "有成员同时符合无劳动能力、无生活来源、无法定义务人（或义务人无履行能力）的条件",
                "没有成员同时符合无劳动能力、无生活来源、无法定义务人（或义务人无履行能力）三项条件",
            )
        ],
        notes=notes,
    )
