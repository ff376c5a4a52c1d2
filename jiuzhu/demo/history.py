"""Enrollments with their history for the generated households (money: ``amounts.py``).

History matters (DOMAIN.md §1.4): besides each household's current status there are 低保/特困
enrollments that ended (most within the last two years, some earlier), households that left
低保 and came back, refused applicants, 建档立卡 → 脱贫人口 flags and 防返贫监测 tags (some
already closed). So "who was in 低保 on 2025-06-30" differs from "who is in 低保 today".
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from jiuzhu.demo.amounts import (
    DemoStandards,
    Rows,
    between,
    build_incomes,
    counted_month,
    household_assets,
    standard_in_year,
    tekun_amount,
    yuan,
)
from jiuzhu.demo.attributes import SERIOUS, Facts
from jiuzhu.demo.generator import (
    DIBAO,
    MARGINAL,
    NO_DATE,
    OTHER,
    RIGID,
    SINGLE_ADULT,
    SINGLE_ELDER,
    TEKUN,
    YEAR,
    Households,
    People,
    day_of,
    ymd,
)

CATEGORIES = np.array(
    [
        "dibao",
        "tekun",
        "marginal",
        "rigid_expense",
        "other_hardship",
        "relapse_watch",
        "former_poor",
        "registered_poor",
        "refused_applicant",
    ]
)
C_DIBAO, C_TEKUN, C_MARGINAL, C_RIGID, C_OTHER, C_RELAPSE, C_FORMER_POOR, C_REGISTERED_POOR, C_REFUSED = range(9)
STATUS_CATEGORY = np.array([C_TEKUN, C_DIBAO, C_MARGINAL, C_RIGID, C_OTHER])

DIBAO_EXIT_REASONS = np.array(
    [
        "家庭人均收入超过低保标准（成员就业）",
        "家庭人均收入超过低保标准",
        "渐退期满",
        "主动申请退出",
        "家庭财产状况超过规定",
    ]
)
DIBAO_EXIT_SHARE = np.array([0.40, 0.25, 0.15, 0.10, 0.10])
TEKUN_EXIT_REASONS = np.array(["法定义务人具备赡养能力", "主动申请退出", "收入超过特困人员认定条件"])
RELAPSE_TYPES = np.array(["脱贫不稳定户", "边缘易致贫户", "突发严重困难户"])
REFUSAL_NOTE = "申请最低生活保障，经审核家庭人均收入高于当地低保标准，不予批准"


@dataclass
class History:
    enrollments: dict[str, np.ndarray]  # household, person, category, valid_from, valid_to, amount, note, end_reason
    incomes: dict[str, np.ndarray]  # household, person, type, amount, period, valid_from
    since: np.ndarray  # per household: first day on the register
    membership_from: np.ndarray  # per person
    financial_assets: np.ndarray  # 分, -1 unknown
    house_count: np.ndarray  # -1 unknown
    vehicle_count: np.ndarray  # -1 unknown


def build_history(
    rng: np.random.Generator, households: Households, people: People, facts: Facts, as_of: int, standards: DemoStandards
) -> History:
    count = len(households.status)
    status = households.status.copy()
    if as_of - 30 < day_of(2025):  # 刚性支出困难 exists from 2025-01-01 (刚性办法)
        status[status == RIGID] = OTHER
    households.status = status
    h = people.household
    living = people.deceased_on == NO_DATE
    counted = living & facts.in_household
    members = np.bincount(h[counted], minlength=count)
    standard = np.where(households.urban, standards.urban_month, standards.rural_month).astype(np.int64)
    r = rng.random
    enrol = Rows.empty("household", "person", "category", "valid_from", "valid_to", "amount", "note", "end_reason")

    # Current status start.
    start = np.zeros(count, dtype=np.int64)
    recent = as_of - 30
    start[:] = as_of - np.clip(rng.exponential(4 * YEAR, count), 30, 15 * YEAR).astype(np.int64)
    tekun_start = as_of - np.clip(rng.exponential(5 * YEAR, count), 30, 18 * YEAR).astype(np.int64)
    start = np.where(status == TEKUN, tekun_start, start)
    start = np.where(
        status == MARGINAL, between(rng, max(day_of(2021, 7), as_of - int(5 * YEAR)), recent, count), start
    )
    start = np.where(status == RIGID, between(rng, max(day_of(2025), as_of - int(2 * YEAR)), recent, count), start)
    start = np.where(status == OTHER, between(rng, max(day_of(2023, 10), as_of - int(3 * YEAR)), recent, count), start)

    # Households that left 低保 (or a member left 特困): most within two years, some earlier.
    exited = np.isin(status, (MARGINAL, RIGID, OTHER)) & (r(count) < 0.28)
    recent_exit = r(count) < 0.75
    exit_day = np.where(
        recent_exit,
        between(rng, as_of - 730, as_of - 1, count),
        between(rng, as_of - int(6 * YEAR), as_of - 731, count),
    )
    start = np.where(exited & recent_exit & (status != RIGID), exit_day + 1, start)
    start = np.where(exited, np.maximum(start, exit_day + 1), start)
    was_tekun = exited & np.isin(households.template, (SINGLE_ELDER, SINGLE_ADULT)) & (r(count) < 0.15)

    # Refused applicants (flag), most of them now 其他困难.
    refused = ~exited & (((status == OTHER) & (r(count) < 0.12)) | ((status == MARGINAL) & (r(count) < 0.05)))
    refusal_day = between(rng, as_of - 730, as_of - 7, count)
    start = np.where(refused & (status == OTHER), refusal_day, start)

    # Income first: the 低保 amount is the gap between the standard and counted income.
    share = np.select(
        [status == TEKUN, status == DIBAO, status == MARGINAL, status == RIGID],
        [
            np.where(r(count) < 0.85, 0.0, rng.uniform(0.05, 0.3, count)),
            np.where(r(count) < 0.35, 0.0, rng.uniform(0.05, 0.85, count)),
            rng.uniform(1.02, 1.45, count),
            rng.uniform(1.5, 2.6, count),
        ],
        default=np.where(r(count) < 0.2, rng.uniform(0.6, 0.98, count), rng.uniform(1.0, 2.8, count)),
    )
    share = np.where((exited & recent_exit) | refused, rng.uniform(1.0, 1.45, count), share)
    target = yuan((share * standard * np.maximum(members, 1)).astype(np.int64), 10)
    income_start = np.where(
        exited & recent_exit, exit_day - rng.integers(30, 180, count), day_of(int(ymd(np.array([as_of]))[0][0]))
    )
    incomes = build_incomes(rng, households, people, facts, counted, target, income_start, as_of, standards)
    counted_income = counted_month(incomes, count)

    # Current statuses: 特困 per person, the others per household.
    whole = np.flatnonzero(status != TEKUN)
    dibao_amount = np.maximum(yuan(standard * members - counted_income), 1000)
    enrol.add(
        len(whole),
        household=whole,
        person=np.full(len(whole), -1),
        category=STATUS_CATEGORY[status[whole]],
        valid_from=start[whole],
        valid_to=np.full(len(whole), NO_DATE),
        amount=np.where(status[whole] == DIBAO, dibao_amount[whole], -1),
        note=np.where(
            status[whole] == DIBAO, np.char.add(np.char.add("保障人口", members[whole].astype(str)), "人"), ""
        ),
        end_reason="",
    )
    tekun_people = np.flatnonzero(facts.tekun_person)
    birth = people.birth[tekun_people]
    eligible = np.where(
        facts.age[tekun_people] >= 60,
        birth + int(60 * YEAR),
        np.where(facts.age[tekun_people] >= 18, birth + int(18 * YEAR), birth + int(YEAR)),
    )
    person_start = np.minimum(np.maximum(start[h[tekun_people]], eligible), recent)
    institutional = facts.care_setting[tekun_people] == 0
    amount = tekun_amount(standard[h[tekun_people]], facts.self_care[tekun_people], institutional)
    enrol.add(
        len(tekun_people),
        household=h[tekun_people],
        person=tekun_people,
        category=C_TEKUN,
        valid_from=person_start,
        valid_to=np.full(len(tekun_people), NO_DATE),
        amount=amount,
        note=np.where(institutional, "集中供养", "分散供养"),
        end_reason="",
    )

    # Ended 低保 / 特困 enrollments of households that exited.
    gone = np.flatnonzero(exited & ~was_tekun)
    years_back = as_of // 365 - exit_day[gone] // 365
    previous = standard_in_year(standard[gone], years_back)
    enrol.add(
        len(gone),
        household=gone,
        person=np.full(len(gone), -1),
        category=C_DIBAO,
        valid_from=np.maximum(exit_day[gone] - rng.integers(365, int(8 * YEAR), len(gone)), day_of(2008)),
        valid_to=exit_day[gone],
        amount=yuan((previous * np.maximum(members[gone], 1) * rng.uniform(0.3, 0.9, len(gone))).astype(np.int64)),
        note="",
        end_reason=DIBAO_EXIT_REASONS[rng.choice(5, size=len(gone), p=DIBAO_EXIT_SHARE)],
    )
    gone_tekun = np.flatnonzero(was_tekun)
    heads = np.searchsorted(h, gone_tekun)  # people are sorted by household, head first
    enrol.add(
        len(gone_tekun),
        household=gone_tekun,
        person=heads,
        category=C_TEKUN,
        valid_from=np.minimum(
            np.maximum(
                exit_day[gone_tekun] - rng.integers(365, int(6 * YEAR), len(gone_tekun)),
                people.birth[heads] + int(18 * YEAR),
            ),
            exit_day[gone_tekun] - 30,
        ),
        valid_to=exit_day[gone_tekun],
        amount=tekun_amount(
            standard_in_year(standard[gone_tekun], as_of // 365 - exit_day[gone_tekun] // 365),
            np.zeros(len(gone_tekun), dtype=np.int64),
            np.zeros(len(gone_tekun), dtype=bool),
        ),
        note="分散供养",
        end_reason=TEKUN_EXIT_REASONS[rng.integers(0, 3, len(gone_tekun))],
    )

    # Households on 低保 now that had left it before and came back.
    back = np.flatnonzero((status == DIBAO) & (r(count) < 0.08))
    ended = start[back] - rng.integers(180, 900, len(back))
    began = ended - rng.integers(365, int(5 * YEAR), len(back))
    keep = began >= day_of(2008)
    back, ended, began = back[keep], ended[keep], began[keep]
    enrol.add(
        len(back),
        household=back,
        person=np.full(len(back), -1),
        category=C_DIBAO,
        valid_from=began,
        valid_to=ended,
        amount=yuan(
            (
                standard_in_year(standard[back], (as_of - ended) // 365)
                * np.maximum(members[back], 1)
                * rng.uniform(0.3, 0.9, len(back))
            ).astype(np.int64)
        ),
        note="",
        end_reason="家庭人均收入超过低保标准",
    )

    # 单人保: a severely disabled or seriously ill member of a 边缘 household enrolled in 低保 alone.
    severe = (facts.disability_grade >= 1) & (facts.disability_grade <= 2)
    alone = np.flatnonzero(
        (status[h] == MARGINAL) & counted & (severe | (facts.health == SERIOUS)) & (r(len(people)) < 0.4)
    )
    enrol.add(
        len(alone),
        household=h[alone],
        person=alone,
        category=C_DIBAO,
        valid_from=np.minimum(start[h[alone]] + rng.integers(0, 365, len(alone)), recent),
        valid_to=np.full(len(alone), NO_DATE),
        amount=standard[h[alone]],
        note=np.where(severe[alone], "单人保（重度残疾）", "单人保（重病）"),
        end_reason="",
    )

    refused_index = np.flatnonzero(refused)
    enrol.add(
        len(refused_index),
        household=refused_index,
        person=np.full(len(refused_index), -1),
        category=C_REFUSED,
        valid_from=refusal_day[refused_index],
        valid_to=np.full(len(refused_index), NO_DATE),
        amount=-1,
        note=REFUSAL_NOTE,
        end_reason="",
    )

    _poverty_flags(rng, households, enrol, as_of)

    enrollments = {name: enrol.array(name) for name in enrol.columns}
    since = np.full(count, as_of, dtype=np.int64)
    np.minimum.at(since, enrollments["household"], enrollments["valid_from"])
    since = since - rng.integers(0, 120, count)
    died = ~living
    np.minimum.at(since, h[died], people.deceased_on[died] - rng.integers(180, 720, int(died.sum())))
    membership_from = np.where(living, np.maximum(since[h], people.birth), np.maximum(since[h], people.birth + 1))
    assets, houses, vehicles = household_assets(rng, households)
    return History(
        enrollments=enrollments,
        incomes=incomes,
        since=since,
        membership_from=membership_from,
        financial_assets=assets,
        house_count=houses,
        vehicle_count=vehicles,
    )


def _poverty_flags(rng: np.random.Generator, households: Households, enrol: Rows, as_of: int) -> None:
    """建档立卡 (2014–2020) then 脱贫人口, and 防返贫监测 tags on about 5 % of rural households."""
    count = len(households.status)
    rural = ~households.urban
    r = rng.random
    poor = np.flatnonzero(rural & (r(count) < 0.18))
    registered = between(rng, day_of(2014, 4), day_of(2016, 12, 31), len(poor))
    first_year = ymd(registered)[0] + 1
    lifted_year = np.maximum(rng.integers(2016, 2021, len(poor)), first_year)
    lifted = np.array([day_of(int(y), 12, 31) for y in range(2015, 2022)])[lifted_year - 2015]
    keep = lifted + 1 <= as_of
    poor, registered, lifted = poor[keep], registered[keep], lifted[keep]
    enrol.add(
        len(poor),
        household=poor,
        person=np.full(len(poor), -1),
        category=C_REGISTERED_POOR,
        valid_from=registered,
        valid_to=lifted,
        amount=-1,
        note="",
        end_reason="脱贫",
    )
    enrol.add(
        len(poor),
        household=poor,
        person=np.full(len(poor), -1),
        category=C_FORMER_POOR,
        valid_from=lifted + 1,
        valid_to=np.full(len(poor), NO_DATE),
        amount=-1,
        note="",
        end_reason="",
    )

    former = np.zeros(count, dtype=bool)
    former[poor] = True
    candidates = np.flatnonzero(rural)
    wanted = min(len(candidates), round(0.059 * len(candidates)))
    if not wanted:
        return
    weight = np.array([0.3, 1.0, 2.0, 1.5, 1.5])[households.status[candidates]] * np.where(former[candidates], 4, 1)
    tagged = np.sort(rng.choice(candidates, size=wanted, replace=False, p=weight / weight.sum()))
    tag_start = between(rng, max(day_of(2021, 3), as_of - int(5 * YEAR)), as_of - 30, wanted)
    closed = (r(wanted) < 0.15) & (tag_start + 180 < as_of - 1)
    tag_end = np.where(closed, between(rng, tag_start + 180, as_of - 1, wanted), NO_DATE)
    kind = np.where(former[tagged], np.where(r(wanted) < 0.7, 0, 2), np.where(r(wanted) < 0.7, 1, 2))
    enrol.add(
        wanted,
        household=tagged,
        person=np.full(wanted, -1),
        category=C_RELAPSE,
        valid_from=tag_start,
        valid_to=tag_end,
        amount=-1,
        note=RELAPSE_TYPES[kind],
        end_reason=np.where(closed, "风险已消除", ""),
    )
