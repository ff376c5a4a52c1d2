"""Parity: the per-case evaluator, DuckDB and Spark agree to the 分 on every household.

Generated households are collected once per test process (hypothesis, derandomized) and shared by
every check. Each engine runs them as ONE batch: one households/members/obligors table each, a
``scenario`` column naming each household's as-of date and parameter overlay, one plan, one job
(DESIGN.md §2). Spark runs in one local session per process; without Java the Spark test fails
with the message ``spark_session`` gives, it is never skipped.
"""

from __future__ import annotations

import datetime as dt
import os
from decimal import Decimal
from typing import Any

import ibis
import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings

from jiuzhu.rules.batch import SCENARIO, ArrowTables, Scenario, load_arrow, run_batch, tables_from_cases
from jiuzhu.rules.case import Case, case_from_dict
from jiuzhu.rules.errors import RulesError
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
OUTPUTS = (
    "standard_month",
    "per_capita_income_month",
    "gap_month",
    "supplement_month",
    "basic_standard_month",
    "care_standard_month",
    "line_month",
)
Rows = dict[tuple[int, str], tuple[Any, ...]]


def scenario_number(index: int) -> int:
    """Household ``index`` (from 0) is evaluated as of one date with one overlay: a scenario."""
    return (index % len(AS_OF_DATES)) * len(OVERLAYS) + index % len(OVERLAYS)


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


def evaluator_rows(cases: list[tuple[int, Case]]) -> Rows:
    rows = {}
    for household_id, case in cases:
        output = evaluate_case(case, trace=False).output
        for programme, result in output["results"].items():
            rows[(household_id, programme)] = (
                result["eligible"],
                Decimal(result["amount_month"]),
                *[None if result.get(k) is None else Decimal(result[k]) for k in OUTPUTS],
            )
    return rows


def batch_input(cases: list[tuple[int, Case]]) -> tuple[ArrowTables, dict[int, Scenario]]:
    """Every generated household in one set of tables, with its scenario number."""
    tables = tables_from_cases(cases)
    numbers = [scenario_number(household_id - 1) for household_id, _ in cases]
    tables.households = tables.households.append_column(SCENARIO, pa.array(numbers, pa.int32()))
    scenarios: dict[int, Scenario] = {}
    for (household_id, case), number in zip(cases, numbers, strict=True):
        scenarios.setdefault(number, Scenario(case.as_of, dict(case.parameters) or None))
        assert scenarios[number] == Scenario(case.as_of, dict(case.parameters) or None), household_id
    return tables, scenarios


def batch_rows(backend: Any, tables: ArrowTables, scenarios: dict[int, Scenario]) -> Rows:
    """One run of the whole batch on ``backend``: one plan, one result."""
    loaded = load_arrow(backend, tables, prefix="parity_")
    result = run_batch(backend, loaded, scenarios=scenarios).to_pyarrow()
    rows: Rows = {}
    for row in result.to_pylist():
        key = (row["household_id"], row["programme"])
        assert key not in rows, f"two rows for {key}"
        rows[key] = (row["eligible"], row["amount_month"], *[row[k] for k in OUTPUTS])
    return rows


@pytest.fixture(scope="module")
def cases() -> list[tuple[int, Case]]:
    return generated_cases()


@pytest.fixture(scope="module")
def expected(cases: list[tuple[int, Case]]) -> Rows:
    return evaluator_rows(cases)


@pytest.fixture(scope="module")
def batch(cases: list[tuple[int, Case]]) -> tuple[ArrowTables, dict[int, Scenario]]:
    return batch_input(cases)


@pytest.fixture(scope="session")
def spark() -> Any:
    """The process's Spark backend (local mode, one session for every test)."""
    from jiuzhu.rules.spark import spark_backend

    try:
        backend = spark_backend()
    except RulesError as error:  # Java or pyspark missing: fail, loudly, with the Chinese message
        pytest.fail(f"Spark 无法启动：{error}", pytrace=False)
    return backend


def _assert_same(expected: Rows, got: Rows) -> None:
    assert set(got) == set(expected)
    differences = [(key, expected[key], got[key]) for key in sorted(expected) if expected[key] != got[key]]
    assert not differences, f"{len(differences)} households differ, first: {differences[:3]}"


def test_generated_households_cover_every_outcome(expected: Rows, batch: tuple[ArrowTables, Any]) -> None:
    outcomes = {value[0] for value in expected.values()}
    assert outcomes == {True, False, None}
    assert len(expected) >= HOUSEHOLDS
    # Every as-of date and overlay is in the one batch table.
    assert len(batch[1]) == len(AS_OF_DATES) * len(OVERLAYS)
    amounts = {value[1] for value in expected.values() if value[0]}
    assert any(amount > 0 for amount in amounts), "no household receives an amount: parity would prove little"


def test_duckdb_matches_the_evaluator(expected: Rows, batch: tuple[ArrowTables, dict[int, Scenario]]) -> None:
    _assert_same(expected, batch_rows(ibis.duckdb.connect(), *batch))


def test_spark_matches_the_evaluator(
    expected: Rows, batch: tuple[ArrowTables, dict[int, Scenario]], spark: Any
) -> None:
    _assert_same(expected, batch_rows(spark, *batch))


def test_a_household_under_two_scenarios_has_a_row_per_scenario(batch: tuple[ArrowTables, dict[int, Scenario]]) -> None:
    """The what-if shape: the same household under two scenarios gives two rows, keyed by scenario."""
    tables, scenarios = batch
    first = tables.households.slice(0, 1)
    members = tables.members.filter(pa.compute.equal(tables.members["household_id"], first["household_id"][0]))
    twice = ArrowTables(
        households=pa.concat_tables(
            [first, first.set_column(first.schema.get_field_index(SCENARIO), SCENARIO, pa.array([1], pa.int32()))]
        ),
        members=members,
        obligors=tables.obligors.slice(0, 0),
    )
    two = {0: Scenario(dt.date(2025, 6, 30)), 1: Scenario(dt.date(2025, 6, 30), scenarios[1].overlay)}
    backend = ibis.duckdb.connect()
    result = run_batch(backend, load_arrow(backend, twice), scenarios=two).to_pyarrow().to_pylist()
    assert {(row["household_id"], row[SCENARIO]) for row in result} == {(1, 0), (1, 1)}
    assert len(result) == 2 * len({row["programme"] for row in result})
