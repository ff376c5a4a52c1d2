"""Re-checking a batch run: rebuild the cases of a sample of households from the batch tables and
evaluate them one by one with the per-case evaluator; any difference from the batch result is an error.

This is the inverse of ``batch.tables_from_cases`` (incomes come back as annual totals per type,
which the rules read exactly as they read the declared items).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from typing import Any

from jiuzhu.rules.case import (
    EXPENSE_TYPES,
    INCOME_TYPES,
    Assets,
    Case,
    DibaoEnrollment,
    Disability,
    Emergency,
    Household,
    Member,
    Money,
    Obligor,
    Vehicle,
)
from jiuzhu.rules.errors import RulesError
from jiuzhu.rules.evaluate import evaluate_case
from jiuzhu.rules.params import Library


class RecheckMismatch(RulesError):
    """The batch and the evaluator disagree about a household (a defect of the engine, never of the data)."""


def _money(row: Mapping[str, Any], types: Sequence[str], prefix: str) -> tuple[Money, ...]:
    return tuple(
        Money(type=t, amount=Decimal(row[f"{prefix}{t}"]), period="year")
        for t in types
        if row.get(f"{prefix}{t}") is not None
    )


def _member(index: int, row: Mapping[str, Any], incomes_declared: bool) -> Member:
    grade, kind = row["disability_grade"], row["disability_type"]
    student = row["student"]
    return Member(
        id=f"m{index + 1}",
        name=str(row.get("name") or ""),
        id_number=None,
        birth_date=row["birth_date"],
        birth_date_origin="birth_date" if row["birth_date"] else "",
        sex=row["sex"],
        relation=row["relation"],
        hukou=row["hukou"],
        in_household=bool(row["in_household"]) if row["in_household"] is not None else True,
        labour_capacity=row["labour_capacity"],
        self_care=row["self_care"],
        care_setting=row["care_setting"] or "home_based",
        disability_known=grade is not None,
        disability=Disability(type=kind, grade=int(grade)) if grade else None,
        serious_illness=row["serious_illness"],
        student_known=student is not None,
        student=None if student in (None, "none") else student,
        incomes=_money(row, INCOME_TYPES, "income_") if incomes_declared else None,
    )


def case_from_rows(
    household: Mapping[str, Any],
    members: Sequence[Mapping[str, Any]],
    obligors: Sequence[Mapping[str, Any]],
    *,
    as_of: dt.date,
    programmes: Sequence[str] | None = None,
) -> Case:
    """The case a batch-table household stands for."""
    members = sorted(members, key=lambda m: int(m["member_index"]))
    declared = bool(household["incomes_declared"])
    vehicles = household["vehicles_private"]
    assets = Assets(
        deposits=Decimal(household["deposits"]) if household["deposits"] is not None else None,
        vehicles=None
        if vehicles is None
        else tuple(Vehicle(type="car", value=None, purpose="private") for _ in range(int(vehicles))),
        houses=int(household["houses"]) if household["houses"] is not None else None,
    )
    emergency = (
        Emergency(
            kind=household["emergency_kind"],
            loss=household["emergency_loss"],
            expenses=household["emergency_expenses"],
            date=None,
        )
        if household["emergency_kind"]
        else None
    )
    enrollment = (
        DibaoEnrollment(
            since=household["dibao_since"],
            amount_month=None if household["dibao_amount_month"] is None else Decimal(household["dibao_amount_month"]),
            registered_poor=household["dibao_registered_poor"],
            phase_out_reason=household["dibao_phase_out_reason"],
            phase_out_start=household["dibao_phase_out_start"],
        )
        if household.get("dibao_since") is not None
        else None
    )
    obligor_rows = sorted(obligors, key=lambda o: int(o["obligor_index"]))
    return Case(
        region=household["region"],
        as_of=as_of,
        area=household["area"],
        programmes=tuple(programmes) if programmes is not None else None,
        parameters={},
        household=Household(
            members=tuple(_member(i, m, declared) for i, m in enumerate(members)),
            incomes=_money(household, INCOME_TYPES, "income_") if declared else None,
            expenses=_money(household, EXPENSE_TYPES, "expense_") if household["expenses_declared"] else None,
            assets=assets,
            obligors=tuple(
                Obligor(
                    name="",
                    relation="other",
                    annual_income=o["annual_income"],
                    household_size=o["household_size"],
                    age=o["age"],
                    status=o["status"],
                    severe_disability=o["severe_disability"],
                    incapacitated=o["incapacitated"],
                )
                for o in obligor_rows
            )
            if household["obligors_declared"]
            else None,
            emergency=emergency,
            dibao_enrollment=enrollment,
        ),
    )


def recheck(
    *,
    households: Iterable[Mapping[str, Any]],
    members: Iterable[Mapping[str, Any]],
    obligors: Iterable[Mapping[str, Any]],
    results: Iterable[Mapping[str, Any]],
    as_of: dt.date,
    library: Library,
    programmes: Sequence[str] | None = None,
) -> int:
    """Evaluate each household given one by one and compare with its batch ``results`` rows
    (household_id, programme, eligible, amount_month); raise ``RecheckMismatch`` naming the first difference.
    Returns the number of households re-checked."""
    by_household: dict[int, list[Mapping[str, Any]]] = defaultdict(list)
    for row in members:
        by_household[int(row["household_id"])].append(row)
    obligors_of: dict[int, list[Mapping[str, Any]]] = defaultdict(list)
    for row in obligors:
        obligors_of[int(row["household_id"])].append(row)
    batch: dict[int, dict[str, tuple[Any, Decimal]]] = defaultdict(dict)
    for row in results:
        batch[int(row["household_id"])][row["programme"]] = (row["eligible"], Decimal(row["amount_month"]))
    count = 0
    for household in households:
        hid = int(household["household_id"])
        case = case_from_rows(household, by_household[hid], obligors_of[hid], as_of=as_of, programmes=programmes)
        output = evaluate_case(case, library=library, trace=False).output
        for programme, result in output["results"].items():
            expected = (result["eligible"], Decimal(result["amount_month"]))
            got = batch[hid].get(programme)
            if got != expected:
                raise RecheckMismatch(
                    f"批量计算与逐户计算结果不一致：家庭 {hid}「{programme}」批量为 {got}，逐户为 {expected}"
                )
        extra = set(batch[hid]) - set(output["results"])
        if extra:
            raise RecheckMismatch(f"批量计算与逐户计算结果不一致：家庭 {hid} 批量多出项目 {sorted(extra)}")
        count += 1
    return count
