"""Batch tables: the Arrow schema the compiled rules read, built from cases or a registry snapshot,
and the run of a compiled plan on an Ibis backend (DuckDB by default, Spark on request)."""

from __future__ import annotations

import contextlib
import datetime as dt
import weakref
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from functools import partial
from typing import Any

import pyarrow as pa

from jiuzhu.rules.case import EXPENSE_TYPES, INCOME_TYPES, Case, Money, enrollment_inputs
from jiuzhu.rules.compile_ibis import KEY, OUTPUT_COLUMNS, BatchTables, Materialise, PlanGroup, compile_plan
from jiuzhu.rules.params import Library, ParameterSet, default_library, resolve
from jiuzhu.rules.programmes import build_programmes

MONEY = pa.decimal128(18, 2)
# Incomes and expenses arrive wide, as annual totals per type (a month counts 12 times), so the
# engines sum columns instead of joining a long table of rows; null means none of that type.
HOUSEHOLDS_SCHEMA = pa.schema(
    [
        ("household_id", pa.int64()),
        ("region", pa.string()),
        ("area", pa.string()),
        ("deposits", MONEY),
        ("houses", pa.int32()),
        ("vehicles_private", pa.int32()),
        ("incomes_declared", pa.bool_()),
        ("expenses_declared", pa.bool_()),
        ("obligors_declared", pa.bool_()),
        ("emergency_kind", pa.string()),
        ("emergency_loss", MONEY),
        ("emergency_expenses", MONEY),
        # household.dibao_enrollment (all null: the case has none); see case.enrollment_inputs
        ("dibao_since", pa.date32()),
        ("dibao_amount_month", MONEY),
        ("dibao_registered_poor", pa.bool_()),
        ("dibao_phase_out_reason", pa.string()),
        ("dibao_phase_out_start", pa.date32()),
        *[(f"income_{t}", MONEY) for t in INCOME_TYPES],
        *[(f"expense_{t}", MONEY) for t in EXPENSE_TYPES],
    ]
)
MEMBERS_SCHEMA = pa.schema(
    [
        ("household_id", pa.int64()),
        ("member_index", pa.int32()),
        ("birth_date", pa.date32()),
        ("sex", pa.string()),
        ("relation", pa.string()),
        ("hukou", pa.string()),
        ("in_household", pa.bool_()),
        ("labour_capacity", pa.string()),
        ("self_care", pa.string()),
        ("care_setting", pa.string()),
        ("disability_grade", pa.int32()),
        ("disability_type", pa.string()),
        ("serious_illness", pa.bool_()),
        ("student", pa.string()),
        *[(f"income_{t}", MONEY) for t in INCOME_TYPES],
    ]
)
OBLIGORS_SCHEMA = pa.schema(
    [
        ("household_id", pa.int64()),
        ("obligor_index", pa.int32()),
        ("annual_income", MONEY),
        ("household_size", pa.int32()),
        ("age", pa.int32()),
        ("status", pa.string()),
        ("severe_disability", pa.bool_()),
        ("incapacitated", pa.bool_()),
    ]
)
RESULT_SCHEMA = pa.schema(
    [
        ("household_id", pa.int64()),
        ("programme", pa.string()),
        ("eligible", pa.bool_()),
        ("amount_month", pa.decimal128(12, 2)),
        *[(c, pa.decimal128(12, 2)) for c in OUTPUT_COLUMNS],
    ]
)


@dataclass
class ArrowTables:
    households: pa.Table
    members: pa.Table
    obligors: pa.Table

    def as_dict(self) -> dict[str, pa.Table]:
        return {"households": self.households, "members": self.members, "obligors": self.obligors}


def annual_by_type(items: Iterable[Money] | None, types: Sequence[str], prefix: str) -> dict[str, Decimal | None]:
    """Annual totals per type (month × 12), the wide columns the engines read."""
    totals: dict[str, Decimal | None] = {f"{prefix}{t}": None for t in types}
    for item in items or ():
        key = f"{prefix}{item.type}"
        annual = item.amount * 12 if item.period == "month" else item.amount
        totals[key] = (totals[key] or Decimal(0)) + annual
    return totals


def tables_from_cases(cases: Sequence[tuple[int, Case]]) -> ArrowTables:
    """Arrow tables for (household id, case) pairs: how the parity tests feed the batch engines."""
    households: list[dict[str, Any]] = []
    members: list[dict[str, Any]] = []
    obligors: list[dict[str, Any]] = []
    for household_id, case in cases:
        h = case.household
        head = next((m for m in h.members if m.relation == "head"), None)
        area = case.area if case.area is not None else (head.hukou if head else None)
        assets = h.assets
        households.append(
            {
                "household_id": household_id,
                "region": case.region[:6],
                "area": area,
                "deposits": assets.deposits if assets else None,
                "houses": assets.houses if assets else None,
                "vehicles_private": (
                    sum(
                        1
                        for v in assets.vehicles
                        if v.purpose == "private" and v.type not in ("disability_vehicle", "electric_bike")
                    )
                    if assets and assets.vehicles is not None
                    else None
                ),
                "incomes_declared": h.incomes is not None or any(m.incomes is not None for m in h.members),
                "expenses_declared": h.expenses is not None,
                "obligors_declared": h.obligors is not None,
                "emergency_kind": h.emergency.kind if h.emergency else None,
                "emergency_loss": h.emergency.loss if h.emergency else None,
                "emergency_expenses": h.emergency.expenses if h.emergency else None,
                **enrollment_inputs(h.dibao_enrollment),
                **annual_by_type(h.incomes, INCOME_TYPES, "income_"),
                **annual_by_type(h.expenses, EXPENSE_TYPES, "expense_"),
            }
        )
        for index, m in enumerate(h.members):
            members.append(
                {
                    "household_id": household_id,
                    "member_index": index,
                    "birth_date": m.birth_date,
                    "sex": m.sex,
                    "relation": m.relation,
                    "hukou": m.hukou,
                    "in_household": m.in_household,
                    "labour_capacity": m.labour_capacity,
                    "self_care": m.self_care,
                    "care_setting": m.care_setting,
                    "disability_grade": (None if not m.disability_known else m.disability.grade if m.disability else 0),
                    "disability_type": (
                        None if not m.disability_known else m.disability.type if m.disability else "none"
                    ),
                    "serious_illness": m.serious_illness,
                    "student": None if not m.student_known else (m.student or "none"),
                    **annual_by_type(m.incomes, INCOME_TYPES, "income_"),
                }
            )
        for index, o in enumerate(h.obligors or ()):
            obligors.append(
                {
                    "household_id": household_id,
                    "obligor_index": index,
                    "annual_income": o.annual_income,
                    "household_size": o.household_size,
                    "age": o.age,
                    "status": o.status,
                    "severe_disability": o.severe_disability,
                    "incapacitated": o.incapacitated,
                }
            )
    return ArrowTables(
        households=pa.Table.from_pylist(households, HOUSEHOLDS_SCHEMA),
        members=pa.Table.from_pylist(members, MEMBERS_SCHEMA),
        obligors=pa.Table.from_pylist(obligors, OBLIGORS_SCHEMA),
    )


@dataclass(frozen=True)
class Group:
    """Households of one batch that share a parameter set (one county pack chain on one date)."""

    regions: tuple[str, ...]
    parameters: ParameterSet


def parameter_groups(
    regions: Iterable[str], as_of: dt.date, library: Library, overlay: dict[str, tuple[Any, str]] | None = None
) -> list[Group]:
    """Group county codes by the parameter set they resolve to, so each group is one plan."""
    by_fingerprint: dict[str, tuple[list[str], ParameterSet]] = {}
    for region in sorted(set(regions)):
        parameters = resolve(library, region, as_of, overlay)
        entry = by_fingerprint.setdefault(parameters.fingerprint, ([], parameters))
        entry[0].append(region)
    return [Group(tuple(codes), parameters) for codes, parameters in by_fingerprint.values()]


@dataclass(frozen=True)
class Scenario:
    """An as-of date and a parameter overlay: households of one batch may be evaluated under several."""

    as_of: dt.date
    overlay: dict[str, tuple[Any, str]] | None = None


SCENARIO = "scenario"


def materialiser(backend: Any, *, interpreted: bool = False) -> Materialise | None:
    """How a backend keeps a round's tables. Spark computes each round once and cuts its lineage
    (``localCheckpoint``), so that the next round's plan starts from a leaf: analysing and optimising
    one long lineage of wide projections is what made Spark slow. DuckDB plans the whole job at once
    and needs nothing. ``interpreted``: Spark evaluates the rounds' expressions without generating
    Java code (see ``SPARK_INTERPRET_BELOW``)."""
    if getattr(backend, "name", "") != "pyspark":
        return None
    return partial(_spark_checkpoint, backend, interpreted)


# Below this many households Spark evaluates the rounds' expressions interpreted: compiling the Java
# code of the wide CASE expressions costs more than it saves on a small batch (2,000 households,
# cold: about 45 s instead of 65 s), while from about 100,000 households generated code wins.
SPARK_INTERPRET_BELOW = 50_000
_INTERPRETED = {"spark.sql.codegen.wholeStage": "false", "spark.sql.codegen.factoryMode": "NO_CODEGEN"}


@contextlib.contextmanager
def _spark_settings(session: Any, settings: dict[str, str]) -> Iterator[None]:
    """Session settings for one action, the previous values restored after it."""
    previous = {key: session.conf.get(key, None) for key in settings}
    for key, value in settings.items():
        session.conf.set(key, value)
    try:
        yield
    finally:
        for key, value in previous.items():
            if value is None:
                session.conf.unset(key)
            else:
                session.conf.set(key, value)


def _spark_checkpoint(backend: Any, interpreted: bool, table: Any) -> Any:
    import ibis.util

    session = backend._session
    name = ibis.util.gen_name("jiuzhu_round")
    backend._run_pre_execute_hooks(table)
    # NO_CODEGEN is an internal Spark setting, so it is set for this action only.
    with _spark_settings(session, _INTERPRETED if interpreted else {}):
        frame = session.sql(backend.compile(table)).localCheckpoint(eager=True)
    frame.createOrReplaceTempView(name)
    result = backend.table(name)
    # The view (and the checkpointed data) lives as long as an expression refers to it.
    weakref.finalize(result.op(), _drop_view, session, name, frame)
    return result


def _drop_view(session: Any, name: str, frame: Any) -> None:
    with contextlib.suppress(Exception):  # the session may be gone at interpreter exit
        session.catalog.dropTempView(name)
        frame.unpersist()


def run_batch(
    backend: Any,
    tables: dict[str, Any],
    *,
    as_of: dt.date | None = None,
    programmes: Sequence[str] | None = None,
    library: Library | None = None,
    overlay: dict[str, tuple[Any, str]] | None = None,
    regions: Iterable[str] | None = None,
    scenarios: Mapping[int, Scenario] | None = None,
) -> Any:
    """The result expression (an Ibis table) for every household in ``tables`` (Ibis tables on ``backend``).

    One plan for the whole batch: households whose county resolves to another parameter set are
    other groups of the same plan, not other plans. With ``scenarios`` the households table carries
    an integer column ``scenario`` naming each row's scenario (as-of date and overlay); a household
    may appear under several (a what-if against the baseline), and the result then carries the
    ``scenario`` column too.
    """
    library = library or default_library()
    households = tables["households"]
    if scenarios is None:
        if as_of is None:
            raise ValueError("run_batch needs as_of (or scenarios)")
        scenarios = {0: Scenario(as_of, overlay)}
        keys: tuple[str, ...] = (KEY,)
        scenario_column = None
    else:
        keys = (KEY, SCENARIO)
        scenario_column = households[SCENARIO]
    everything = regions is None  # no filter needed when every household's region is known
    found = (
        households.select("region").distinct().to_pyarrow().column(0).to_pylist() if regions is None else list(regions)
    )
    codes = sorted({r for r in found if r is not None})
    everything = everything and None not in found
    # Households sharing an as-of date and a parameter set form one group, whatever their scenario.
    merged: dict[tuple[dt.date, str], tuple[ParameterSet, list[tuple[int, tuple[str, ...]]]]] = {}
    for number, scenario in scenarios.items():
        for group in parameter_groups(codes, scenario.as_of, library, scenario.overlay):
            entry = merged.setdefault((scenario.as_of, group.parameters.fingerprint), (group.parameters, []))
            entry[1].append((number, group.regions))
    plan_groups = []
    for (group_as_of, _), (parameters, parts) in merged.items():
        where = None
        if len(merged) > 1 or scenario_column is not None or not everything:
            where = _where(households, scenario_column, parts)
        plan_groups.append(PlanGroup(group_as_of, tuple(build_programmes(parameters, programmes)), where))
    batch = BatchTables(households=households, members=tables["members"], obligors=tables["obligors"])
    interpreted = False
    if getattr(backend, "name", "") == "pyspark":
        interpreted = households.count().to_pyarrow().as_py() < SPARK_INTERPRET_BELOW
    return compile_plan(plan_groups, batch, keys=keys, materialise=materialiser(backend, interpreted=interpreted))


def _where(households: Any, scenario: Any, parts: list[tuple[int, tuple[str, ...]]]) -> Any:
    """The households of one group: (scenario n and region in …) or …"""
    condition = None
    for number, regions in parts:
        part = households.region.isin(list(regions))
        if scenario is not None:
            part = (scenario == number) & part
        condition = part if condition is None else condition | part
    return condition


def decimal_or_none(value: Any) -> Decimal | None:
    return None if value is None else Decimal(value)


def write_parquet(tables: ArrowTables, folder: Any) -> dict[str, str]:
    """Write the batch tables as Parquet files (how snapshots reach DuckDB and Spark alike)."""
    from pathlib import Path

    import pyarrow.parquet as pq

    target = Path(folder)
    target.mkdir(parents=True, exist_ok=True)
    paths = {}
    for name, table in tables.as_dict().items():
        path = target / f"{name}.parquet"
        pq.write_table(table, path)
        paths[name] = str(path)
    return paths


def read_tables(backend: Any, paths: dict[str, str], prefix: str = "") -> dict[str, Any]:
    """The Parquet snapshot as Ibis tables on ``backend``."""
    return {name: backend.read_parquet(path, table_name=f"{prefix}{name}") for name, path in paths.items()}


def load_arrow(backend: Any, tables: ArrowTables, prefix: str = "") -> dict[str, Any]:
    """Arrow batch tables as Ibis tables on ``backend`` (Spark: temporary views of DataFrames built
    from Arrow; elsewhere tables the backend creates)."""
    loaded = {}
    for name, table in tables.as_dict().items():
        if getattr(backend, "name", "") == "pyspark":
            session = backend._session
            session.createDataFrame(table).createOrReplaceTempView(f"{prefix}{name}")
            loaded[name] = backend.table(f"{prefix}{name}")
        else:
            loaded[name] = backend.create_table(f"{prefix}{name}", table, overwrite=True)
    return loaded
