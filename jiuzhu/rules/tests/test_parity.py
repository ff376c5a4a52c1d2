"""Parity: the per-case evaluator and the compiled batch agree to the 分 on every household.

Generated households are collected first (hypothesis, derandomized), then run through the
evaluator one by one and through each batch engine as one table per (as-of date, overlay)
group: one job per group, not one per example.
"""

from __future__ import annotations

import datetime as dt
import os
from decimal import Decimal
from typing import Any

import ibis
import pytest
from hypothesis import HealthCheck, given, settings

from jiuzhu.rules.batch import run_batch, tables_from_cases
from jiuzhu.rules.case import Case, case_from_dict
from jiuzhu.rules.evaluate import evaluate_case
from jiuzhu.rules.tests.strategies import AS_OF_DATES, household_case

HOUSEHOLDS = int(os.environ.get("JIUZHU_PARITY_HOUSEHOLDS", "2000"))
OVERLAYS: tuple[dict[str, Any], ...] = (
    {},
    {
        "dibao.standard.urban": {"value": "850", "unit": "元/人·月"},
        "dibao.standard.rural": {"value": "8978", "unit": "元/人·年"},
        "dibao.category_supplement.elderly": {"value": "0.10", "unit": "倍标准"},
        "dibao.category_supplement.severe_disability": {"value": "60", "unit": "元/人·月"},
        "dibao.employment_cost_deduction.rate": {"value": "0.2", "unit": "倍"},
        "dibao.employment_cost_deduction.cap": {"value": "300", "unit": "元/人·月"},
        "money.rounding": {"value": "yuan_up", "unit": "规则"},
    },
)


def generated_cases() -> list[tuple[int, Case]]:
    """2,000 households spread over the as-of dates and overlays, deterministic across runs."""
    raw: list[dict[str, Any]] = []

    @settings(
        max_examples=HOUSEHOLDS, derandomize=True, database=None, deadline=None, suppress_health_check=list(HealthCheck)
    )
    @given(case=household_case())
    def collect(case: dict[str, Any]) -> None:
        raw.append(case)

    collect()
    cases = []
    for index, data in enumerate(raw[:HOUSEHOLDS]):
        data = dict(data, as_of=AS_OF_DATES[index % len(AS_OF_DATES)].isoformat())
        overlay = OVERLAYS[index % len(OVERLAYS)]
        if overlay:
            data["parameters"] = overlay
        cases.append((index + 1, case_from_dict(data)))
    return cases


def evaluator_rows(cases: list[tuple[int, Case]]) -> dict[tuple[int, str], tuple[Any, ...]]:
    rows = {}
    for household_id, case in cases:
        output = evaluate_case(case, trace=False).output
        for programme, result in output["results"].items():
            rows[(household_id, programme)] = _normal(result)
    return rows


def _normal(result: dict[str, Any]) -> tuple[Any, ...]:
    keys = (
        "standard_month",
        "per_capita_income_month",
        "gap_month",
        "supplement_month",
        "basic_standard_month",
        "care_standard_month",
        "line_month",
    )
    return (
        result["eligible"],
        Decimal(result["amount_month"]),
        *[None if result.get(k) is None else Decimal(result[k]) for k in keys],
    )


def batch_rows(backend: Any, cases: list[tuple[int, Case]]) -> dict[tuple[int, str], tuple[Any, ...]]:
    groups: dict[tuple[dt.date, int], list[tuple[int, Case]]] = {}
    for household_id, case in cases:
        groups.setdefault((case.as_of, len(case.parameters)), []).append((household_id, case))
    rows = {}
    for (as_of, _), members in groups.items():
        arrow = tables_from_cases(members)
        names = {k: f"t_{k}_{as_of:%Y%m%d}_{len(members[0][1].parameters)}" for k in arrow.as_dict()}
        tables = {k: backend.create_table(names[k], v, overwrite=True) for k, v in arrow.as_dict().items()}
        result = run_batch(backend, tables, as_of=as_of, overlay=dict(members[0][1].parameters)).to_pyarrow()
        for row in result.to_pylist():
            rows[(row["household_id"], row["programme"])] = (
                row["eligible"],
                row["amount_month"],
                row["standard_month"],
                row["per_capita_income_month"],
                row["gap_month"],
                row["supplement_month"],
                row["basic_standard_month"],
                row["care_standard_month"],
                row["line_month"],
            )
    return rows


@pytest.fixture(scope="module")
def cases() -> list[tuple[int, Case]]:
    return generated_cases()


@pytest.fixture(scope="module")
def expected(cases: list[tuple[int, Case]]) -> dict[tuple[int, str], tuple[Any, ...]]:
    return evaluator_rows(cases)


def _assert_same(expected: dict[tuple[int, str], tuple[Any, ...]], got: dict[tuple[int, str], tuple[Any, ...]]) -> None:
    assert set(got) == set(expected)
    differences = [(key, expected[key], got[key]) for key in sorted(expected) if expected[key] != got[key]]
    assert not differences, f"{len(differences)} households differ, first: {differences[:3]}"


def test_generated_households_cover_every_outcome(expected: dict[tuple[int, str], tuple[Any, ...]]) -> None:
    outcomes = {value[0] for value in expected.values()}
    assert outcomes == {True, False, None}
    assert len(expected) >= HOUSEHOLDS


def test_duckdb_matches_the_evaluator(
    cases: list[tuple[int, Case]], expected: dict[tuple[int, str], tuple[Any, ...]]
) -> None:
    _assert_same(expected, batch_rows(ibis.duckdb.connect(), cases))
