"""Hypothesis strategies for random households, as case files (dicts) the engine must accept."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from hypothesis import strategies as st

from jiuzhu.rules.case import CAPACITY, DISABILITY_TYPES, INCOME_TYPES, PHASE_OUT_REASONS, RELATIONS, STUDENT

AS_OF_DATES = (dt.date(2024, 3, 31), dt.date(2025, 6, 30), dt.date(2026, 11, 23))
REGIONS = ("140702", "140700", "321200", "321281", "610203", "340121", "341800", "341823", "110101")

money = st.integers(min_value=0, max_value=600_000).map(lambda fen: Decimal(fen) / 100)


def _absent_or(strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.one_of(st.just(...), strategy)


@st.composite
def member(draw: st.DrawFn, index: int) -> dict[str, Any]:
    data: dict[str, Any] = {"id": f"m{index + 1}", "name": f"成员{index + 1}"}
    birth = draw(st.dates(min_value=dt.date(1920, 1, 1), max_value=dt.date(2025, 12, 31)))
    optional = {
        "birth_date": st.just(birth.isoformat()),
        "sex": st.sampled_from(["male", "female"]),
        "hukou": st.sampled_from(["urban", "rural"]),
        "in_household": st.booleans(),
        "labour_capacity": st.sampled_from(CAPACITY),
        "self_care": st.sampled_from(CAPACITY),
        "care_setting": st.sampled_from(["institutional", "home_based"]),
        "disability": st.one_of(
            st.none(), st.fixed_dictionaries({"type": st.sampled_from(DISABILITY_TYPES), "grade": st.integers(1, 4)})
        ),
        "serious_illness": st.booleans(),
        "student": st.one_of(st.none(), st.sampled_from(STUDENT)),
        "incomes": st.lists(
            st.fixed_dictionaries(
                {
                    "type": st.sampled_from(INCOME_TYPES),
                    "amount": money.map(str),
                    "period": st.sampled_from(["month", "year"]),
                }
            ),
            max_size=3,
        ),
    }
    for key, strategy in optional.items():
        # Mostly known, sometimes absent (unknown) so "cannot determine" is exercised too.
        if draw(st.integers(0, 9)) < 9 or (key == "birth_date" and draw(st.booleans())):
            data[key] = draw(strategy)
    data["relation"] = "head" if index == 0 else draw(st.sampled_from(RELATIONS[1:]))
    return data


@st.composite
def dibao_enrollment(draw: st.DrawFn, as_of: dt.date) -> dict[str, Any]:
    """``household.dibao_enrollment``: a 渐退 or exit begun 0–11 whole months before ``as_of`` (inside and
    outside every pack's window, on any day of the month), enrolled up to ~2.5 years before that."""
    month = as_of.year * 12 + as_of.month - 1 - draw(st.integers(0, 11))
    start = min(dt.date(month // 12, month % 12 + 1, draw(st.integers(1, 28))), as_of)
    data: dict[str, Any] = {"since": (start - dt.timedelta(days=draw(st.integers(0, 900)))).isoformat()}
    if draw(st.integers(0, 9)) < 8:
        data["amount_month"] = str(draw(st.integers(0, 300_000)) / Decimal(100))
    if draw(st.integers(0, 9)) < 7:
        data["registered_poor"] = draw(st.booleans())
    if draw(st.integers(0, 9)) < 8:
        data["phase_out"] = {"reason": draw(st.sampled_from(PHASE_OUT_REASONS)), "start": start.isoformat()}
    return data


@st.composite
def household_case(draw: st.DrawFn, as_of: dt.date | None = None) -> dict[str, Any]:
    """A household as a case file (without ``as_of``); its dates fit ``as_of`` (default: the earliest date)."""
    size = draw(st.integers(1, 6))
    household: dict[str, Any] = {"members": [draw(member(i)) for i in range(size)]}
    if draw(st.integers(0, 9)) < 8:
        household["assets"] = {
            "deposits": str(draw(st.integers(0, 8_000_000)) / Decimal(100)),
            "houses": draw(st.integers(0, 3)),
            "vehicles": draw(
                st.lists(
                    st.fixed_dictionaries(
                        {
                            "type": st.sampled_from(["car", "electric_bike", "disability_vehicle"]),
                            "purpose": st.sampled_from(["private", "livelihood"]),
                        }
                    ),
                    max_size=2,
                )
            ),
        }
    if draw(st.booleans()):
        household["incomes"] = [{"type": "business", "amount": str(draw(money)), "period": "year"}]
    if draw(st.integers(0, 9)) >= 6:
        household["dibao_enrollment"] = draw(dibao_enrollment(as_of or min(AS_OF_DATES)))
        # An enrolled household has its head living in it, able to work (so not 特困 on its own) and often
        # earning around the standard: the 低保 household is not empty, and its income may have passed the
        # standard, which is when 渐退 applies.
        head = household["members"][0]
        head.update(in_household=True, labour_capacity="full")
        monthly = draw(st.sampled_from([2500, 1200, 700, 300])) * size  # per person: above or below the standard
        wage = {"type": "wage", "amount": str(monthly), "period": "month"}
        head["incomes"] = [*head.get("incomes", []), wage]
    case: dict[str, Any] = {"region": draw(st.sampled_from(REGIONS)), "household": household}
    if draw(st.integers(0, 9)) < 8:
        case["area"] = draw(st.sampled_from(["urban", "rural"]))
    return case
