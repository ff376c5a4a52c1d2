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
from pathlib import Path
from typing import Any

import ibis
import pyarrow as pa
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jiuzhu.rules.batch import SCENARIO, ArrowTables, Scenario, load_arrow, run_batch, tables_from_cases
from jiuzhu.rules.case import Case, case_from_dict
from jiuzhu.rules.errors import RulesError
from jiuzhu.rules.evaluate import evaluate_case
from jiuzhu.rules.tests.strategies import AS_OF_DATES, household_case

HOUSEHOLDS = int(os.environ.get("JIUZHU_PARITY_HOUSEHOLDS", "2000"))
EXAMPLES_DIR = Path(__file__).resolve().parents[1] / "examples"
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
    "exit_award",
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
    @given(data=st.data())
    def collect(data: st.DataObject) -> None:
        # The household's dates (渐退 and enrollment) fit the as-of date it will be evaluated on.
        raw.append(data.draw(household_case(AS_OF_DATES[len(raw) % len(AS_OF_DATES)])))

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


def test_generated_households_include_phase_out(cases: list[tuple[int, Case]]) -> None:
    """Some generated households are in a running 渐退期, some past it: both paths are compared."""
    enrolled = [(i, case) for i, case in cases if case.household.dibao_enrollment is not None]
    results = [evaluate_case(case, trace=False).output["results"].get("dibao") for _, case in enrolled]
    running = [r for r in results if r is not None and r["phase_out_until"] is not None]
    assert running, "no generated household is in a running 渐退期"
    assert len(running) < len([r for r in results if r is not None])


def test_phase_out_window_edges_agree() -> None:
    """A 6-month 渐退 begun on any day of May 2025 runs to 2025-10-31 (whole months, May the first): the
    evaluator and DuckDB agree on each side of both edges, each as-of date being its own group."""
    household = {
        "members": [
            {"id": "m1", "relation": "head", "birth_date": "1980-01-01", "hukou": "urban", "labour_capacity": "full",
             "disability": None, "serious_illness": False,
             "incomes": [{"type": "wage", "amount": "5000", "period": "month"}]},
        ],
        "incomes": [],
        "assets": {"deposits": "0", "vehicles": [], "houses": 1},
    }  # fmt: skip
    edges = [
        ("2025-05-01", "2025-05-01", True),
        ("2025-05-31", "2025-10-31", True),
        ("2025-05-01", "2025-11-01", False),
    ]
    edges += [
        ("2025-04-30", "2025-10-01", False),
        ("2024-02-29", "2024-07-31", True),
        ("2024-02-29", "2024-08-01", False),
    ]
    cases = []
    for number, (start, as_of, _) in enumerate(edges, start=1):
        enrollment = {
            "since": "2020-01-01",
            "amount_month": "700.00",
            "phase_out": {"reason": "employment", "start": start},
        }
        data = {"region": "321202", "as_of": as_of, "area": "urban", "programmes": ["dibao"],
                "household": {**household, "dibao_enrollment": enrollment}}  # fmt: skip
        cases.append((number, case_from_dict(data)))
    expected = evaluator_rows(cases)
    assert [expected[(n, "dibao")][0] for n, _ in cases] == [inside for _, _, inside in edges]
    tables = tables_from_cases(cases)
    numbers = list(range(len(cases)))
    tables.households = tables.households.append_column(SCENARIO, pa.array(numbers, pa.int32()))
    scenarios = {n: Scenario(case.as_of) for n, (_, case) in zip(numbers, cases, strict=True)}
    got = batch_rows(ibis.duckdb.connect(), tables, scenarios)  # every programme the pack runs
    _assert_same(expected, {key: row for key, row in got.items() if key[1] == "dibao"})


def worked_example_cases() -> list[tuple[int, Case]]:
    """Every worked example (jiuzhu/rules/examples/*.yaml) as a case, numbered from 1."""
    cases: list[tuple[int, Case]] = []
    for path in sorted(EXAMPLES_DIR.glob("*.yaml")):
        for example in yaml.safe_load(path.read_text(encoding="utf-8"))["cases"]:
            if not example.get("xfail"):
                cases.append((len(cases) + 1, case_from_dict(_plain(example["case"]))))
    return cases


def _plain(value: Any) -> Any:
    """YAML dates and numbers as the JSON text a case file carries."""
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def worked_example_batch(cases: list[tuple[int, Case]]) -> tuple[ArrowTables, dict[int, Scenario]]:
    """The worked examples in one set of tables; a scenario per distinct as-of date and overlay."""
    tables = tables_from_cases(cases)
    scenarios: dict[int, Scenario] = {}
    numbers = []
    for _, case in cases:
        scenario = Scenario(case.as_of, dict(case.parameters) or None)
        number = next((n for n, known in scenarios.items() if known == scenario), len(scenarios))
        scenarios[number] = scenario
        numbers.append(number)
    tables.households = tables.households.append_column(SCENARIO, pa.array(numbers, pa.int32()))
    return tables, scenarios


@pytest.fixture(scope="module")
def examples() -> tuple[Rows, ArrowTables, dict[int, Scenario]]:
    cases = worked_example_cases()
    return evaluator_rows(cases), *worked_example_batch(cases)


def _asked(expected: Rows, got: Rows) -> Rows:
    """The batch rows of the programmes each case asked for (the batch runs all the pack knows)."""
    return {key: row for key, row in got.items() if key in expected}


def test_worked_examples_are_all_in_the_batch(examples: tuple[Rows, ArrowTables, dict[int, Scenario]]) -> None:
    expected, tables, scenarios = examples
    assert tables.households.num_rows == len({key[0] for key in expected}) >= 70
    assert len(scenarios) > 1


def test_duckdb_matches_the_evaluator_on_every_worked_example(
    examples: tuple[Rows, ArrowTables, dict[int, Scenario]],
) -> None:
    expected, tables, scenarios = examples
    _assert_same(expected, _asked(expected, batch_rows(ibis.duckdb.connect(), tables, scenarios)))


def test_spark_matches_the_evaluator_on_every_worked_example(
    examples: tuple[Rows, ArrowTables, dict[int, Scenario]], spark: Any
) -> None:
    expected, tables, scenarios = examples
    _assert_same(expected, _asked(expected, batch_rows(spark, tables, scenarios)))


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
