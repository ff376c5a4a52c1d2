"""Money for the generated households: demo standards, incomes, assets and benefit amounts.

Everything is integer 分 and becomes ``Decimal`` text only when rows are written. The 低保
standards, 特困 care amounts, subsidies and allowances here are fictitious demo values (DOMAIN.md §7:
no 低保标准 for the seed localities is in the sources); no policy rule reads them.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from typing import Any

import numpy as np

from jiuzhu.demo.attributes import NONE, PARTIAL, UNKNOWN, Facts
from jiuzhu.demo.generator import DIBAO, NO_DATE, YEAR, Households, People, day_of, ymd

INCOME_TYPES = np.array(
    ["wage", "business", "pension", "support_payment", "basic_pension", "disability_subsidy", "elderly_allowance"]
)
I_WAGE, I_BUSINESS, I_PENSION, I_SUPPORT, I_BASIC_PENSION, I_DISABILITY, I_ELDERLY = range(7)
COUNTED_INCOME = (I_WAGE, I_BUSINESS, I_PENSION, I_SUPPORT)
PERIODS = np.array(["month", "year"])
MONTH, YEARLY = 0, 1
# Illustrative demo amounts, 元 per month (not policy parameters).
MINIMUM_WAGE_MONTH = 1880
CARE_SHARE = {"institutional": (0.04, 0.30, 0.50), "home_based": (0.03, 0.20, 0.35)}  # full/partial/none
DISABILITY_LIVING_SUBSIDY = 80
DISABILITY_CARE_SUBSIDY = 90
ELDERLY_ALLOWANCE = ((80, 50), (90, 100), (100, 300))


@dataclass(frozen=True)
class DemoStandards:
    """Fictitious 低保 standards for the demo county, 分 per person-month, stable per county code."""

    urban_month: int
    rural_month: int
    basic_pension_month: int

    @classmethod
    def for_county(cls, county_code: str) -> DemoStandards:
        digest = zlib.crc32(county_code.encode())
        return cls(
            urban_month=(700 + 10 * (digest % 21)) * 100,
            rural_month=(500 + 10 * ((digest // 21) % 21)) * 100,
            basic_pension_month=(143 + 10 * ((digest // 441) % 4)) * 100,
        )


@dataclass
class Rows:
    """Columns of one table, built by concatenating parts."""

    columns: dict[str, list[np.ndarray]]

    @classmethod
    def empty(cls, *names: str) -> Rows:
        return cls({name: [] for name in names})

    def add(self, n: int, **values: Any) -> None:
        for name, parts in self.columns.items():
            value = values[name]
            parts.append(
                np.asarray(value)
                if np.ndim(value)
                else np.full(n, value, dtype=object if isinstance(value, str) else None)
            )

    def array(self, name: str) -> np.ndarray:
        parts = self.columns[name]
        return np.concatenate(parts) if parts else np.empty(0)


def between(rng: np.random.Generator, low: np.ndarray | int, high: np.ndarray | int, n: int) -> np.ndarray:
    low, high = np.broadcast_to(low, (n,)), np.broadcast_to(high, (n,))
    high = np.maximum(high, low)
    return low + (rng.random(n) * (high - low + 1)).astype(np.int64)


def yuan(cents: np.ndarray, step: int = 1) -> np.ndarray:
    """Round 分 to a multiple of ``step`` 元, half up."""
    unit = 100 * step
    return ((cents + unit // 2) // unit) * unit


def standard_in_year(standard: np.ndarray, years_back: np.ndarray) -> np.ndarray:
    """Standards rose about 5 % a year: an earlier year's standard, to 10 元."""
    return yuan((standard * 0.95 ** np.maximum(years_back, 0)).astype(np.int64), 10)


def tekun_amount(standard: np.ndarray, self_care: np.ndarray, institutional: np.ndarray) -> np.ndarray:
    """基本生活 (≥ 1.3 × 低保标准, up to whole 元) + 照料护理 by self-care and care setting."""
    basic = -(-standard * 13 // 1000) * 100
    level = np.where(self_care == NONE, 2, np.where(self_care == PARTIAL, 1, 0))
    shares = np.where(institutional[:, None], np.array(CARE_SHARE["institutional"]), np.array(CARE_SHARE["home_based"]))
    care = yuan((shares[np.arange(len(level)), level] * MINIMUM_WAGE_MONTH * 100).astype(np.int64))
    return basic + care


def build_incomes(
    rng: np.random.Generator,
    households: Households,
    people: People,
    facts: Facts,
    counted: np.ndarray,
    target: np.ndarray,
    income_start: np.ndarray,
    as_of: int,
    standards: DemoStandards,
) -> dict[str, np.ndarray]:
    count = len(target)
    h = people.household
    r = rng.random
    rows = Rows.empty("household", "person", "type", "amount", "period", "valid_from")
    year_start = day_of(int(ymd(np.array([as_of]))[0][0]))
    earner = (
        counted & np.isin(facts.labour, (0, 1)) & (facts.age >= 18) & (facts.age <= 64) & (facts.student == UNKNOWN)
    )
    earner_rank = rank_in_household(h, earner)
    main = np.full(count, -1)
    main[h[earner & (earner_rank == 0)]] = np.flatnonzero(earner & (earner_rank == 0))
    second = np.full(count, -1)
    second[h[earner & (earner_rank == 1)]] = np.flatnonzero(earner & (earner_rank == 1))
    elderly = counted & (facts.age >= 60)
    elder = np.full(count, -1)  # one member aged 60+ per household (the last in member order)
    elder[h[elderly]] = np.flatnonzero(elderly)
    heads = np.searchsorted(h, np.arange(count))

    has_income = target > 0
    business = has_income & (main >= 0) & ~households.urban & (r(count) < 0.55)
    index = np.flatnonzero(business)
    rows.add(
        len(index),
        household=index,
        person=np.full(len(index), -1),
        type=I_BUSINESS,
        amount=yuan(target[index] * 12, 100),
        period=YEARLY,
        valid_from=income_start[index],
    )
    waged = has_income & (main >= 0) & ~business
    split = waged & (second >= 0) & (r(count) < 0.5)
    index = np.flatnonzero(waged)
    main_share = np.where(split[index], yuan(target[index] * 65 // 100, 10), target[index])
    rows.add(
        len(index),
        household=index,
        person=main[index],
        type=I_WAGE,
        amount=main_share,
        period=MONTH,
        valid_from=income_start[index],
    )
    index = np.flatnonzero(split)
    rows.add(
        len(index),
        household=index,
        person=second[index],
        type=I_WAGE,
        amount=target[index] - yuan(target[index] * 65 // 100, 10),
        period=MONTH,
        valid_from=income_start[index],
    )
    no_earner = has_income & (main < 0)
    pensioned = no_earner & (elder >= 0) & households.urban & (r(count) < 0.6)
    index = np.flatnonzero(pensioned)
    rows.add(
        len(index),
        household=index,
        person=elder[index],
        type=I_PENSION,
        amount=target[index],
        period=MONTH,
        valid_from=income_start[index],
    )
    index = np.flatnonzero(no_earner & ~pensioned)
    rows.add(
        len(index),
        household=index,
        person=heads[index],
        type=I_SUPPORT,
        amount=target[index],
        period=MONTH,
        valid_from=income_start[index],
    )

    # Incomes the rules exclude: 基础养老金, 残疾人两项补贴, 高龄津贴.
    has_pension = np.zeros(len(people), dtype=bool)
    has_pension[elder[pensioned]] = True
    living = people.deceased_on == NO_DATE
    index = np.flatnonzero(living & (facts.age >= 60) & ~has_pension)
    rows.add(
        len(index),
        household=h[index],
        person=index,
        type=I_BASIC_PENSION,
        amount=standards.basic_pension_month,
        period=MONTH,
        valid_from=np.maximum(year_start, people.birth[index] + int(60 * YEAR)),
    )
    disabled = living & (facts.disability_grade >= 1)
    subsidy = (
        np.where(households.status[h] == DIBAO, DISABILITY_LIVING_SUBSIDY, 0)
        + np.where(facts.disability_grade <= 2, DISABILITY_CARE_SUBSIDY, 0)
    ) * 100
    index = np.flatnonzero(disabled & (subsidy > 0))
    rows.add(
        len(index),
        household=h[index],
        person=index,
        type=I_DISABILITY,
        amount=subsidy[index],
        period=MONTH,
        valid_from=np.full(len(index), year_start),
    )
    allowance = np.zeros(len(people), dtype=np.int64)
    for from_age, monthly_yuan in ELDERLY_ALLOWANCE:
        allowance = np.where(facts.age >= from_age, monthly_yuan * 100, allowance)
    index = np.flatnonzero(living & (allowance > 0))
    rows.add(
        len(index),
        household=h[index],
        person=index,
        type=I_ELDERLY,
        amount=allowance[index],
        period=MONTH,
        valid_from=np.full(len(index), year_start),
    )
    return {name: rows.array(name) for name in rows.columns}


def counted_month(incomes: dict[str, np.ndarray], count: int) -> np.ndarray:
    """Counted income per household and month, 分 (yearly amounts / 12, half up)."""
    is_counted = np.isin(incomes["type"], COUNTED_INCOME)
    monthly = np.where(incomes["period"] == YEARLY, (incomes["amount"] + 6) // 12, incomes["amount"])
    return np.bincount(incomes["household"][is_counted], weights=monthly[is_counted], minlength=count).astype(np.int64)


def rank_in_household(household: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """0, 1, 2 … for the members where ``mask`` holds, in order within each household; -1 elsewhere."""
    index = np.flatnonzero(mask)
    rank = np.full(len(household), -1)
    if len(index):
        groups = household[index]
        first = np.r_[0, np.flatnonzero(np.diff(groups)) + 1]
        starts = np.repeat(first, np.diff(np.r_[first, len(groups)]))
        rank[index] = np.arange(len(index)) - starts
    return rank


def household_assets(rng: np.random.Generator, households: Households) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Deposits, homes and vehicles: known for most households that were investigated, unknown (-1) for others."""
    count = len(households.status)
    status = households.status
    r = rng.random
    known = r(count) < np.array([0.95, 0.92, 0.9, 0.85, 0.55])[status]
    median = np.array([3000, 2000, 8000, 15000, 12000])[status]
    deposits = yuan((rng.lognormal(0.0, 1.0, count) * median * 100).astype(np.int64))
    deposits = np.where(r(count) < 0.2, 0, deposits)
    draw = r(count)
    houses = np.where(
        households.urban,
        np.where(draw < 0.43, 0, np.where(draw < 0.98, 1, 2)),
        np.where(draw < 0.05, 0, np.where(draw < 0.97, 1, 2)),
    )
    vehicles = (r(count) < np.array([0.0, 0.01, 0.08, 0.15, 0.18])[status]).astype(np.int64)
    return (np.where(known, deposits, -1), np.where(known, houses, -1), np.where(known, vehicles, -1))
